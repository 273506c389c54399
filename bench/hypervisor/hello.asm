; The benchmark's hello guest: 14 COM1 writes and a hlt (an exit-port write at ring 3, where hlt is
; privileged, and with -DEND_AT_PORT: on the pc machine KVM keeps hlt in the kernel, so a hlt would
; never come back to the C harness). Assemble with one of -DREAL, -DPROT, -DLONG, -DUSER.
%ifdef REAL
bits 16
org 0x7c00
%define SI si
%elifdef PROT
bits 32
org 0x100000
%define SI esi
%else
bits 64
org 0x100000
%define SI rsi
%endif
    mov SI, msg
.next:
    lodsb
    test al, al
    jz .done
    mov dx, 0x3f8
    out dx, al
    jmp .next
.done:
%ifdef USER
%define END_AT_PORT
%endif
%ifdef END_AT_PORT
    xor eax, eax
    out 0xf4, al
%else
    hlt
%endif
msg: db "Hello, world!", 10, 0
