/* setjmp and longjmp, as kvm-unit-tests' setjmp test checks them: longjmp(buf, i) makes setjmp return i,
 * ten times over, with the locals that live across it intact; longjmp(buf, 0) makes it return 1. */
#include "unit.h"

int kmain(void) {
    jmp_buf buffer;
    volatile int round = 0, ok = 1;
    int value = setjmp(buffer);
    if (value != round) ok = 0;
    if (++round < 10) longjmp(buffer, round);
    report(ok && round == 10, "setjmp returns each longjmp's value, 0 to 9");
    jmp_buf zero;
    volatile int second = 0;
    value = setjmp(zero);
    if (!second) { second = 1; longjmp(zero, 0); }
    report(value == 1, "longjmp with 0 makes setjmp return 1");
    return report_summary();
}
