// The system libcmark-gfm, exposed to Swift as-is. No logic lives here.
#include <cmark-gfm.h>
#include <cmark-gfm-core-extensions.h>
