; [hide]
bits 64
org 0x100000
; [show]
; The same image runs at CPL 0 (mode=long) and at CPL 3 (mode=user).
    mov dx, 0x3f8
    lea rsi, [rel msg]
.next:
    lodsb
    test al, al
    jz .privileged
    out dx, al
    jmp .next
.privileged:
    hlt                      ; privileged: traps unless CPL is 0
    mov al, 1                ; reached only if HLT did nothing at all
    out 0xf4, al
msg: db "executing HLT now", 10, 0
