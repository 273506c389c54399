/* The library's verdicts themselves: a pass, a failure and a skip give kvm-unit-tests' three line
 * kinds, its summary, and an exit status of 1 (the number of failures). */
#include "unit.h"

int kmain(void) {
    report(1, "a true check (%d)", 1);
    report(0, "a false check (0x%x)", 0x2a);
    report_skip("a check this host cannot make");
    return report_summary();
}
