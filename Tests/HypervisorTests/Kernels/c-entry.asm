; The C test kernels' entry: the Multiboot header, a stack, then kmain(EAX, EBX).
bits 32
section .multiboot
align 4
    dd 0x1BADB002, 0, -0x1BADB002

section .bss
align 16
stack: resb 16384
stack_top:

section .text
global _start
extern kmain
_start:
    mov esp, stack_top
    push ebx
    push eax
    call kmain
    cli
.halt:
    hlt
    jmp .halt
