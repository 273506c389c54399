import Common

/// What a C exercise that is a Multiboot kernel (`kernel`) adds to the guest runtime: a Multiboot
/// header and a 32-bit entry that enters long mode on its own page tables and stack, then runs the
/// runtime's `_start` as the lesson machine would. Kept apart from `GuestRuntime.files`, so the keys
/// of the course's other C exercises do not change with it; a kernel's key has its hash.
enum KernelRuntime {
    static let entryName = "multiboot_entry.c"
    static let linkerScriptName = "kernel.ld"

    static var hash: String { SHA256.hash(entrySource + "\n" + linkerScript) }

    /// The header and the entry. The header uses the address fields (flag bit 16), so QEMU's
    /// `-kernel` boots the flat image as well as this hypervisor does (QEMU refuses 64-bit ELF
    /// kernels). The page tables are data, not a loop: ring-0 code runs in KVM's emulator on PVM.
    static let entrySource = #"""
        /* A Multiboot kernel's start, for C exercises with the option `kernel`: the loader enters in 32-bit
         * protected mode (paging off, EAX = 0x2BADB002, EBX = the information structure); this keeps both,
         * maps the first 1 GiB one to one with 2 MiB pages, enters long mode and calls the runtime's _start,
         * which runs main and exits with its return value. */
        #include <stdint.h>

        uint32_t multiboot_magic, multiboot_info;

        __asm__(
            ".section .text.multiboot, \"ax\", @progbits\n"
            ".code32\n"
            ".balign 4\n"
            "multiboot_header:\n"
            "    .long 0x1BADB002\n"
            "    .long 0x00010003\n"                     /* align modules, memory info, address fields */
            "    .long -(0x1BADB002 + 0x00010003)\n"
            "    .long multiboot_header\n"               /* header_addr */
            "    .long multiboot_header\n"               /* load_addr: the image starts with this header */
            "    .long 0\n"                              /* load_end_addr: the whole file */
            "    .long __kernel_bss_end\n"               /* bss_end_addr */
            "    .long multiboot_entry\n"                /* entry_addr */
            "multiboot_entry:\n"
            "    cli\n"
            "    movl %eax, multiboot_magic\n"
            "    movl %ebx, multiboot_info\n"
            "    movl %cr4, %eax\n"
            "    orl $0x20, %eax\n"                      /* PAE */
            "    movl %eax, %cr4\n"
            "    movl $kernel_pml4, %eax\n"
            "    movl %eax, %cr3\n"
            "    movl $0xC0000080, %ecx\n"               /* EFER.LME */
            "    rdmsr\n"
            "    orl $0x100, %eax\n"
            "    wrmsr\n"
            "    movl %cr0, %eax\n"
            "    orl $0x80000001, %eax\n"                /* PG, PE */
            "    movl %eax, %cr0\n"
            "    lgdt kernel_gdt_pointer\n"
            "    ljmp $0x08, $kernel_long_entry\n"
            ".code64\n"
            "kernel_long_entry:\n"
            "    movl $0x10, %eax\n"
            "    movl %eax, %ds\n"
            "    movl %eax, %es\n"
            "    movl %eax, %ss\n"
            "    movl %eax, %fs\n"
            "    movl %eax, %gs\n"
            "    movabsq $kernel_stack_top, %rsp\n"
            "    jmp _start\n"
            ".section .rodata.kernel, \"a\", @progbits\n"
            ".balign 16\n"
            "kernel_gdt:\n"
            "    .quad 0\n"
            "    .quad 0x00209A0000000000\n"             /* 0x08: 64-bit code */
            "    .quad 0x0000920000000000\n"             /* 0x10: data */
            "kernel_gdt_pointer:\n"
            "    .word 23\n"
            "    .long kernel_gdt\n"
            ".section .data.pagetables, \"aw\", @progbits\n"
            ".balign 4096\n"
            "kernel_pml4:\n"
            "    .quad kernel_pdpt + 3\n"
            "    .fill 511, 8, 0\n"
            "kernel_pdpt:\n"
            "    .quad kernel_pd + 3\n"
            "    .fill 511, 8, 0\n"
            "kernel_pd:\n"
            "    .set kernel_page, 0\n"
            "    .rept 512\n"
            "    .quad kernel_page + 0x83\n"             /* present, writable, 2 MiB */
            "    .set kernel_page, kernel_page + 0x200000\n"
            "    .endr\n"
            ".section .bss.stack, \"aw\", @nobits\n"
            ".balign 16\n"
            "    .skip 65536\n"
            "kernel_stack_top:\n"
            ".previous\n");
        """#

    /// The header first, at 1 MiB, then the image as `GuestRuntime.linkerScript` lays it out, so the
    /// symbol map's base is the same for kernels and long-mode guests.
    static let linkerScript = #"""
        /* C kernels: the Multiboot header and entry first, at 1 MiB; then the runtime's _start. */
        ENTRY(multiboot_entry)
        SECTIONS
        {
            . = 0x100000;
            .text : { KEEP(*(.text.multiboot)) KEEP(*(.text.start)) *(.text .text.*) }
            .rodata : ALIGN(16) { *(.rodata .rodata.*) }
            .data : ALIGN(16) { *(.data .data.*) }
            .bss : ALIGN(16) { *(.bss .bss.*) *(COMMON) }
            __kernel_bss_end = .;
            /DISCARD/ : { *(.eh_frame*) *(.note*) *(.comment) }
        }
        """#
}
