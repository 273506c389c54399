; [hide]
bits 64
org 0x100000
; [show]
    mov dx, 0x3f8
    lea rsi, [rel msg]
.next:
    lodsb
    test al, al
    jz .done
    out dx, al
    jmp .next
.done:
    hlt
msg: db "long mode from a file", 10, 0
