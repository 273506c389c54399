#include "hypercourse.h"

// Pure computation: nothing here depends on the privilege level.
// `volatile` stops the compiler computing the answers at build time.
static volatile unsigned limit = 200;
static volatile unsigned start = 27;

int main(void) {
    unsigned count = 0, sum = 0;
    for (unsigned n = 2; n < limit; n++) {
        int prime = 1;
        for (unsigned d = 2; d * d <= n; d++) {
            if (n % d == 0) { prime = 0; break; }
        }
        if (prime) { count++; sum += n; }
    }
    printf("primes below %u: %u, their sum: %u\n", limit, count, sum);

    unsigned x = start, steps = 0;
    while (x != 1) {                      // the Collatz sequence from 27
        x = (x % 2) ? 3 * x + 1 : x / 2;
        steps++;
    }
    printf("Collatz steps from %u: %u\n", start, steps);
    return 0;
}
