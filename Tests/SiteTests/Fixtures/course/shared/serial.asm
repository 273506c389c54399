    bits 16
    org 0x7c00
; ANCHOR: putc
    mov dx, 0x3f8
    mov al, 'H'
    out dx, al
; ANCHOR_END: putc
    hlt
