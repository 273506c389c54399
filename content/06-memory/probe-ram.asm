; [hide]
bits 32
org 0x100000
; [show]
; Find the top of guest RAM from the inside: write a pattern at the start
; of each MiB and read it back. Past the last memory slot, writes are
; dropped and reads return all ones (open bus), so the first mismatch
; marks the end of RAM.
PATTERN equ 0x5A5AA5A5

    mov ebx, 0x00200000     ; start at 2 MiB (this program is at 1 MiB)
.probe:
    mov dword [ebx], PATTERN
    cmp dword [ebx], PATTERN
    jne .found              ; no RAM here: the write vanished
    add ebx, 0x00100000     ; next MiB
    jnz .probe              ; (stop if we ever wrap around 4 GiB)
.found:
    mov esi, msg
    call puts
    mov eax, ebx
    shr eax, 20             ; bytes -> MiB
    call dec32
    mov esi, mib
    call puts
    hlt

msg: db "RAM ends at ", 0
mib: db " MiB", 10, 0
; [hide]
; puts: print the NUL-terminated string at ESI to COM1.
puts:
    push eax
    push edx
    mov dx, 0x3f8
.next:
    lodsb
    test al, al
    jz .done
    out dx, al
    jmp .next
.done:
    pop edx
    pop eax
    ret
; dec32: print EAX in decimal to COM1 (clobbers EAX, ECX, EDX).
dec32:
    push ebx
    mov ebx, 10
    xor ecx, ecx
.div:
    xor edx, edx
    div ebx
    push edx                ; remainders come out lowest digit first
    inc ecx
    test eax, eax
    jnz .div
    mov dx, 0x3f8
.out:
    pop eax
    add al, '0'
    out dx, al
    loop .out
    pop ebx
    ret
; [show]
