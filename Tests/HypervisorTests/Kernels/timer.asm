; The PIT through the 8259 and the guest's own IDT. Remaps the master PIC to vectors 0x20-0x27,
; programs PIT channel 0 at about 1 kHz, and sleeps in `hlt` with interrupts on until the handler has
; counted TICKS interrupts; the handler then masks the timer, so the count is exact however late the
; host delivers. Prints "ticks: N" and exits with N.
; Assembled three ways: -DMULTIBOOT (a 32-bit kernel), -DFLAT32 or -DFLAT64 (flat images for the
; lesson layout's protected and long modes, which provide GDT, stack and page tables).
%ifndef TICKS
%define TICKS 10
%endif

%ifdef MULTIBOOT
bits 32
section .multiboot
align 4
    dd 0x1BADB002, 0, -0x1BADB002
section .text
global _start
_start:
    mov esp, stack_top
    lgdt [gdt_descriptor]
    jmp 0x08:start
%elifdef FLAT64
bits 64
org 0x100000
    jmp start
%else
bits 32
org 0x100000
    jmp start
%endif

start:
%ifdef FLAT64
    lea rdi, [rel idt + 0x20 * 16]
    lea rax, [rel tick]
    mov [rdi], ax
    mov word [rdi + 2], 0x18            ; the lesson layout's 64-bit code selector
    mov word [rdi + 4], 0x8E00
    shr rax, 16
    mov [rdi + 6], ax
    shr rax, 16
    mov [rdi + 8], eax
    lidt [rel idt_descriptor]
%else
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov edi, idt + 0x20 * 8
    mov eax, tick
    mov [edi], ax
    mov word [edi + 2], 0x08
    mov word [edi + 4], 0x8E00          ; present, DPL 0, 32-bit interrupt gate
    shr eax, 16
    mov [edi + 6], ax
    lidt [idt_descriptor]
%endif
    mov al, 0x11                        ; ICW1: edge-triggered, cascade, ICW4 follows
    out 0x20, al
    out 0xA0, al
    mov al, 0x20                        ; ICW2: vectors 0x20 and 0x28
    out 0x21, al
    mov al, 0x28
    out 0xA1, al
    mov al, 4                           ; ICW3: the slave on IRQ2
    out 0x21, al
    mov al, 2
    out 0xA1, al
    mov al, 1                           ; ICW4: 8086 mode
    out 0x21, al
    out 0xA1, al
    mov al, 0xFE                        ; only IRQ0, the timer
    out 0x21, al
    mov al, 0xFF
    out 0xA1, al
    mov al, 0x34                        ; PIT channel 0, rate generator
    out 0x43, al
    mov al, 1193 & 0xFF                 ; 1.193182 MHz / 1193: about 1 kHz
    out 0x40, al
    mov al, 1193 >> 8
    out 0x40, al
    sti
.sleep:
    hlt                                 ; woken by the next tick
    cmp dword [ticks], TICKS
    jb .sleep
    cli
    mov dx, 0x3F8
%ifdef FLAT64
    lea rsi, [rel message]
%else
    mov esi, message
%endif
.print:
    lodsb
    test al, al
    jz .done
    out dx, al
    jmp .print
.done:
    mov eax, [ticks]
    out 0xF4, al

tick:
%ifdef FLAT64
    push rax
%else
    push eax
%endif
    inc dword [ticks]
    cmp dword [ticks], TICKS
    jb .eoi
    mov al, 0xFF                        ; enough: mask the timer
    out 0x21, al
.eoi:
    mov al, 0x20
    out 0x20, al
%ifdef FLAT64
    pop rax
%else
    pop eax
%endif
%ifdef FLAT64
    iretq
%else
    iretd
%endif

%ifdef MULTIBOOT
section .data
%endif
align 8
gdt: dq 0, 0x00CF9A000000FFFF, 0x00CF92000000FFFF
gdt_descriptor: dw 23
    dd gdt
%ifdef FLAT64
idt_descriptor: dw 256 * 16 - 1
    dq idt
%else
idt_descriptor: dw 256 * 8 - 1
    dd idt
%endif
ticks: dd 0
message: db "ticks: ", '0' + TICKS / 10, '0' + TICKS % 10, 10, 0

%ifdef MULTIBOOT
section .bss
align 16
idt: resb 256 * 8
stack: resb 4096
stack_top:
%else
align 16
idt: times 256 * 16 db 0
%endif
