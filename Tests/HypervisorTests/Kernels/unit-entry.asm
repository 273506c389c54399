; The conformance kernels' start, in the spirit of kvm-unit-tests' x86 boot code: a Multiboot header,
; then from 32-bit protected mode into long mode on page tables that are data (no loop: ring-0 code
; runs in KVM's emulator on PVM hosts). The first GiB is mapped one to one with 2 MiB pages, except
; that 0x3FE00000 is read-only (for #PF on write protection); 1-2 GiB is not present (for #PF on a
; missing page); the local APIC and IOAPIC pages at 0xFEC00000 and 0xFEE00000 are mapped uncached.
; CR0.WP makes ring 0 honour read-only pages. Then a 64-bit GDT, an IDT whose gates reach
; `interrupt_dispatch(struct frame *)` in C, and `kmain`, whose return value (the number of failures)
; is the exit status. Also here: setjmp/longjmp, and the trampoline an exception handler returns to so
; that a caught exception resumes at its setjmp.
; Built as ELF64 (nasm -f elf64, linked with the C parts) and converted to ELF32 for QEMU, which boots
; only ELF32 kernels; both load the same bytes at the same addresses.
bits 32
%include "long-mode-entry.inc"

section .text
global _start
extern kmain, interrupt_dispatch
_start:
    mov esp, stack_top
    enter_long_mode 1 << 16             ; and CR0.WP: ring 0 honours read-only pages

bits 64
long_mode:
    load_data_segments
    mov fs, ax
    mov gs, ax
    mov esp, stack_top                  ; zero-extended: the stack is below 4 GiB
    call kmain
    out 0xf4, al                        ; exit status = failures
.stuck:
    cli
    hlt
    jmp .stuck

; An exception or interrupt: the CPU pushed SS, RSP, RFLAGS, CS, RIP and for some vectors an error
; code; the stub pushes a zero in its place where the CPU does not, then the vector, so every frame
; has one shape. 15 registers more keep RSP 16-byte aligned at the call.
%macro stub 1
stub_%1:
%if %1 != 8 && %1 != 10 && %1 != 11 && %1 != 12 && %1 != 13 && %1 != 14 && %1 != 17 && %1 != 21
    push 0
%endif
    push %1
    jmp interrupt_common
%endmacro
%assign vector 0
%rep 256
    stub vector
%assign vector vector + 1
%endrep

interrupt_common:
    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    mov rdi, rsp
    cld
    call interrupt_dispatch
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    add rsp, 16                         ; vector and error code
    iretq

; int setjmp(jmp_buf), void longjmp(jmp_buf, int): the registers the SysV ABI has callers keep, the
; stack pointer and the return address.
global setjmp, longjmp, exception_resume
setjmp:
    mov [rdi], rbx
    mov [rdi + 8], rbp
    mov [rdi + 16], r12
    mov [rdi + 24], r13
    mov [rdi + 32], r14
    mov [rdi + 40], r15
    lea rdx, [rsp + 8]
    mov [rdi + 48], rdx
    mov rdx, [rsp]
    mov [rdi + 56], rdx
    xor eax, eax
    ret
longjmp:
    mov eax, esi
    test eax, eax
    jnz .value
    inc eax                             ; longjmp(buf, 0) makes setjmp return 1, as C requires
.value:
    mov rbx, [rdi]
    mov rbp, [rdi + 8]
    mov r12, [rdi + 16]
    mov r13, [rdi + 24]
    mov r14, [rdi + 32]
    mov r15, [rdi + 40]
    mov rsp, [rdi + 48]
    jmp [rdi + 56]

; Where a caught exception's iretq lands: back to the setjmp of the code that expected it.
extern catch_point
exception_resume:
    mov rdi, [rel catch_point]
    mov esi, 1
    jmp longjmp

section .data
align 8
global stub_table
stub_table:
%assign vector 0
%rep 256
    dq stub_ %+ vector
%assign vector vector + 1
%endrep
long_mode_gdt

align 4096
pml4: dq pdpt + 3                       ; present, writable
    times 511 dq 0
pdpt: dq pd_low + 3, 0, 0, pd_high + 3  ; 0-1 GiB, 1-3 GiB not present, 3-4 GiB
    times 508 dq 0
pd_low:
%assign page 0
%rep 511
    dq page * 0x200000 + 0x83           ; present, writable, 2 MiB
%assign page page + 1
%endrep
    dq 511 * 0x200000 + 0x81            ; present, read-only
pd_high:
    times 502 dq 0
    dq 0xFEC00000 + 0x9B                ; IOAPIC: present, writable, write-through, uncached, 2 MiB
    dq 0xFEE00000 + 0x9B                ; local APIC
    times 8 dq 0

section .bss
align 16
stack: resb 16384
stack_top:
