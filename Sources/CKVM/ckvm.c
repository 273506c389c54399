// Intentionally empty: the shim is header-only (SwiftPM needs one source file in a C target).
