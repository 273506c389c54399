; A Multiboot kernel that does what a 64-bit kernel's boot code does: builds its own page tables
; (2 MiB pages, identity-mapping the first GiB), GDT and IDT, enables PAE, EFER.LME and paging, and
; far-jumps into 64-bit code. There it takes an exception (#UD from ud2) and a software interrupt
; (int 0x80) through its 64-bit IDT, and prints what happened. -DNO_SOFTWARE_INTERRUPTS leaves the
; int 0x80 out, for QEMU, whose KVM cannot deliver it on PVM hosts.
bits 32
%include "long-mode-entry.inc"

section .text
global _start
_start:
    mov esp, stack_top
    mov dword [pml4], pdpt + 3          ; present, writable
    mov dword [pdpt], pd + 3
    xor ecx, ecx
.map:
    mov eax, ecx
    shl eax, 21
    or eax, 0x83                        ; present, writable, 2 MiB page
    mov [pd + ecx * 8], eax
    inc ecx
    cmp ecx, 512
    jb .map
    enter_long_mode 0

bits 64
long_mode:
    load_data_segments
    mov esp, stack_top                  ; zero-extended: the stack is below 4 GiB
    lea rsi, [rel entered]
    call print
    mov ecx, 0xC0000080
    rdmsr
    test eax, 1 << 10                   ; EFER.LMA
    jz fail
    lea rdi, [rel idt + 6 * 16]
    lea rax, [rel invalid_opcode]
    call set_gate
    lea rdi, [rel idt + 0x80 * 16]
    lea rax, [rel software]
    call set_gate
    lidt [rel idt_descriptor]
    ud2
    lea rsi, [rel after_ud]
    call print
%ifndef NO_SOFTWARE_INTERRUPTS
    mov eax, 41
    int 0x80
    cmp eax, 42
    jne fail
    lea rsi, [rel after_int]
    call print
%endif
    mov al, 0
    out 0xf4, al
fail:
    mov al, 1
    out 0xf4, al

set_gate:                               ; RDI: the gate, RAX: the handler
    mov [rdi], ax
    mov word [rdi + 2], 0x08
    mov word [rdi + 4], 0x8E00          ; present, DPL 0, 64-bit interrupt gate
    shr rax, 16
    mov [rdi + 6], ax
    shr rax, 16
    mov [rdi + 8], eax
    ret

invalid_opcode:
    add qword [rsp], 2                  ; past the ud2
    iretq
software:
    inc eax
    iretq

print:                                  ; RSI: a string
    mov dx, 0x3F8
.next:
    lodsb
    test al, al
    jz .done
    out dx, al
    jmp .next
.done:
    ret

section .data
align 8
long_mode_gdt
idt_descriptor: dw 256 * 16 - 1
    dd idt, 0                           ; the IDT is below 4 GiB
entered: db "long mode", 10, 0
after_ud: db "#UD handled", 10, 0
after_int: db "int 0x80 returned", 10, 0

section .bss
align 4096
pml4: resb 4096
pdpt: resb 4096
pd: resb 4096
idt: resb 256 * 16
stack: resb 4096
stack_top:
