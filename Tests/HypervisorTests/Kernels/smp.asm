; A Multiboot kernel that starts its application processors as a PC's firmware does: it reads the
; CPU count from QEMU's fw_cfg, copies a real-mode trampoline to 0x8000, and sends INIT, SIPI, SIPI to
; all others through its local APIC. Each AP reads its APIC ID with CPUID, waits for its turn (APIC
; ID order), prints it and halts; the BSP waits for them all, prints the count and exits with it.
bits 32
section .multiboot
align 4
    dd 0x1BADB002, 0, -0x1BADB002

TICKET equ 0x7000                       ; shared with the trampoline, which runs with DS = 0
TURN   equ 0x7004
ICR    equ 0xFEE00300

section .text
global _start
_start:
    mov esp, stack_top
    mov dx, 0x510                       ; fw_cfg: the signature, then the CPU count
    xor ax, ax
    out dx, ax
    inc dx
    mov ecx, 4
.signature:                             ; four bytes, the first ending up lowest
    in al, dx
    ror eax, 8
    loop .signature
    cmp eax, 'QEMU'
    jne fail
    dec dx
    mov ax, 5
    out dx, ax
    inc dx
    in al, dx
    mov bl, al
    in al, dx
    mov bh, al
    movzx ebx, bx                       ; EBX: the number of CPUs
    mov dword [TICKET], 0
    mov dword [TURN], 0
    mov esi, trampoline
    mov edi, 0x8000
    mov ecx, trampoline_end - trampoline
    rep movsb
    mov dword [ICR], 0x000C4500         ; INIT to all but self
    mov dword [ICR], 0x000C4608         ; SIPI: start at 0x8000
    mov dword [ICR], 0x000C4608
    lea ecx, [ebx - 1]
.wait:
    pause
    cmp [TURN], ecx                     ; every AP has printed
    jne .wait
    mov dx, 0x3F8
    mov al, 'c'
    out dx, al
    mov al, 'p'
    out dx, al
    mov al, 'u'
    out dx, al
    mov al, 's'
    out dx, al
    mov al, ' '
    out dx, al
    mov al, bl
    add al, '0'
    out dx, al
    mov al, 10
    out dx, al
    mov eax, ebx
    out 0xF4, al
fail:
    mov al, 0xFF
    out 0xF4, al

bits 16
trampoline:                             ; runs at 0x8000, CS = 0x800, in real mode
    cli
    xor ax, ax
    mov ds, ax
    lock inc dword [TICKET]             ; one more AP alive
    mov eax, 1
    cpuid
    shr ebx, 24                         ; EBX: the initial APIC ID, 1 to 7
    lea esi, [ebx - 1]
.turn:                                  ; in APIC ID order, so the output never depends on timing
    pause
    cmp [TURN], esi
    jne .turn
    mov dx, 0x3F8
    mov al, 'a'
    out dx, al
    mov al, 'p'
    out dx, al
    mov al, ' '
    out dx, al
    mov al, bl
    add al, '0'
    out dx, al
    mov al, 10
    out dx, al
%ifdef AP_EXITS
    mov al, 0x42                        ; the first AP ends the run itself
    out 0xF4, al
%endif
    lock inc dword [TURN]
.halt:
    hlt
    jmp .halt
trampoline_end:

section .bss
align 16
stack: resb 4096
stack_top:
