/* The scanner of "Binary translation in your VMM": decodes the guest from its entry along its control
 * flow and marks where each instruction it reaches begins. */

// ANCHOR: scan
/* How long an instruction is, for the opcodes this guest uses: a real translator knows all of them. */
enum form { UNKNOWN, PLAIN, IMM8, IMM32, IMM_OPSIZE, MODRM, MODRM_IMM8 };
static const uint8_t forms[256] = {
    [0x50 ... 0x5f] = PLAIN, [0x9c] = PLAIN, [0x9d] = PLAIN, [0xac] = PLAIN, [0xc3] = PLAIN, [0xee] = PLAIN,
    [0x04] = IMM8, [0x6a] = IMM8, [0x70 ... 0x7f] = IMM8, [0xb0 ... 0xb7] = IMM8, [0xe6] = IMM8,
    [0xeb] = IMM8, [0x68] = IMM32, [0xe8] = IMM32, [0xe9] = IMM32, [0xb8 ... 0xbf] = IMM_OPSIZE,
    [0x84 ... 0x8d] = MODRM, [0x83] = MODRM_IMM8, [0xc1] = MODRM_IMM8,
};

static int instruction_length(const uint8_t *start) {
    const uint8_t *p = start;
    int operand16 = 0, rex_w = 0;
    for (;; p++) {                                        /* prefixes: operand size, REX */
        if (*p == 0x66) operand16 = 1;
        else if ((*p & 0xf0) == 0x40) rex_w = *p & 8;
        else break;
    }
    enum form form = forms[*p++];
    int immediate = form == IMM8 || form == MODRM_IMM8 ? 1 : form == IMM32 ? 4 : 0;
    if (form == IMM_OPSIZE) immediate = rex_w ? 8 : operand16 ? 2 : 4;
    if (form == MODRM || form == MODRM_IMM8) {
        int mod = *p >> 6, rm = *p++ & 7;               /* the ModRM byte: how memory is addressed */
        if (mod != 3 && rm == 4 && (*p++ & 7) == 5 && mod == 0)
            p += 4;                                       /* a SIB byte; with no base, a disp32 */
        if (mod == 0 && rm == 5)
            p += 4;                                       /* RIP-relative: disp32 */
        p += mod == 1 ? 1 : mod == 2 ? 4 : 0;             /* disp8 or disp32 */
    }
    return form == UNKNOWN ? 0 : (int)(p - start) + immediate;
}

#define MAX_IMAGE 0x10000

/* Follows the guest's control flow from its entry, as far as it is known before the guest runs: a call
 * or jump whose target is in the instruction adds that target; a conditional jump goes both ways; a
 * return or an unconditional jump ends the path. Marks where each instruction it reaches begins. */
static void scan(const uint8_t *image, size_t size, uint8_t *starts) {
    uint64_t todo[256];
    int pending = 0;
    todo[pending++] = 0;                                  /* the entry: the image's first byte */
    while (pending > 0) {
        uint64_t at = todo[--pending];
        while (at < size && !starts[at]) {
            const uint8_t *p = image + at;
            int length = instruction_length(p);
            if (length == 0 || at + length > size) {
                printf("[vmm] cannot decode 0x%02x at 0x%lx: not translating\n", *p, (unsigned long)(LOAD + at));
                exit(1);
            }
            starts[at] = 1;
            int64_t target = -1;
            if (*p == 0xe8 || *p == 0xe9) target = at + 5 + (int32_t)(p[1] | p[2] << 8 | p[3] << 16 | p[4] << 24);
            if (*p == 0xeb || (*p & 0xf0) == 0x70) target = at + 2 + (int8_t)p[1];
            if (target >= 0 && pending < 256) todo[pending++] = target;
            if (*p == 0xc3 || *p == 0xe9 || *p == 0xeb) break;
            at += length;
        }
    }
}
// ANCHOR_END: scan
