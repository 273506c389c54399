// C shim for <linux/kvm.h>. Exports request numbers and wraps full-width integer
// arguments; holds no logic. (Filled in by the hypervisor work.)
#pragma once
#include <linux/kvm.h>
