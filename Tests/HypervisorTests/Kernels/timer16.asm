; The PIT through the 8259 in real mode, through the guest's own interrupt vector table: a boot
; sector for the pc machine (`--mode real --machine pc`), loaded at 0x7C00. As timer.asm otherwise.
bits 16
org 0x7C00
TICKS equ 10
    cli
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7C00
    mov word [0x20 * 4], tick           ; IVT entry 0x20
    mov word [0x20 * 4 + 2], 0
    mov al, 0x11
    out 0x20, al
    mov al, 0x20
    out 0x21, al
    mov al, 4
    out 0x21, al
    mov al, 1
    out 0x21, al
    mov al, 0xFE
    out 0x21, al
    mov al, 0x34
    out 0x43, al
    mov al, 1193 & 0xFF
    out 0x40, al
    mov al, 1193 >> 8
    out 0x40, al
    sti
.sleep:
    hlt
    cmp word [ticks], TICKS
    jb .sleep
    cli
    mov dx, 0x3F8
    mov si, message
.print:
    lodsb
    test al, al
    jz .done
    out dx, al
    jmp .print
.done:
    mov ax, [ticks]
    out 0xF4, al
tick:
    push ax
    inc word [ticks]
    cmp word [ticks], TICKS
    jb .eoi
    mov al, 0xFF
    out 0x21, al
.eoi:
    mov al, 0x20
    out 0x20, al
    pop ax
    iret
ticks: dw 0
message: db "ticks: 10", 10, 0
