; A Multiboot kernel that reports the state it was entered in, in its registers, and exits at once:
; EAX and EBX as given; ECX = CS; EDX = SS << 16 | DS; ESI = CR0; EDI = EFLAGS; EBP = ESP.
bits 32
section .multiboot
align 4
    dd 0x1BADB002, 0, -0x1BADB002

section .text
global _start
_start:
    mov ecx, cs
    mov edx, ss
    shl edx, 16
    mov dx, ds
    mov esi, cr0
    mov ebp, esp
    pushfd
    pop edi
    out 0xf4, al        ; exit with the low byte of EAX: 0x02 from 0x2BADB002
