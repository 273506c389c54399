/* The Multiboot (version 1) information structure, and a serial console for the test kernels. */
#pragma once
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

struct multiboot_info {
    u32 flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
    u32 syms[4];
    u32 mmap_length, mmap_addr, drives_length, drives_addr, config_table, boot_loader_name;
    u32 apm_table, vbe[6];
};
struct multiboot_module { u32 start, end, string, reserved; };
struct multiboot_mmap { u32 size; u64 base, length; u32 type; } __attribute__((packed));

static inline void outb(u16 port, u8 value) { __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static void putc(char c) {
    while (!(inb(0x3FD) & 0x20)) {}
    outb(0x3F8, (u8)c);
}
static void puts(const char *s) { while (*s) putc(*s++); }
static void puthex(u64 v) {
    puts("0x");
    int started = 0;
    for (int shift = 60; shift >= 0; shift -= 4) {
        int digit = (int)((v >> shift) & 0xF);
        if (digit || started || shift == 0) { putc("0123456789abcdef"[digit]); started = 1; }
    }
}
static void putdec(u32 v) {
    char buffer[12];
    int i = 11;
    buffer[i] = 0;
    do { buffer[--i] = (char)('0' + v % 10); v /= 10; } while (v);
    puts(buffer + i);
}
static void exit_with(u8 status) { outb(0xF4, status); for (;;) {} }
