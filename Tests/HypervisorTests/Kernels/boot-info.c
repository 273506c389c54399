/* Prints what the loader handed over: magic, memory, command line, boot loader, modules (string and
   first bytes) and the memory map, then exits with status 0. */
#include "multiboot.h"

void kmain(u32 magic, struct multiboot_info *info) {
    puts("magic "); puthex(magic);
    puts("\nflags "); puthex(info->flags);
    puts("\nmem_lower "); putdec(info->mem_lower);
    puts(" mem_upper "); putdec(info->mem_upper);
    puts("\ncmdline '"); puts((const char *)info->cmdline);
    puts("'\nloader '"); puts((const char *)info->boot_loader_name);
    puts("'\nmodules "); putdec(info->mods_count); puts("\n");
    struct multiboot_module *mods = (struct multiboot_module *)info->mods_addr;
    for (u32 i = 0; i < info->mods_count; i++) {
        puts("  '"); puts((const char *)mods[i].string); puts("' ");
        putdec(mods[i].end - mods[i].start); puts(" bytes at "); puthex(mods[i].start); puts(":");
        for (u32 a = mods[i].start; a < mods[i].end && a < mods[i].start + 4; a++) { putc(' '); puthex(*(u8 *)a); }
        puts(mods[i].start % 4096 == 0 ? " (page-aligned)\n" : " (unaligned)\n");
    }
    puts("mmap\n");
    for (u32 at = info->mmap_addr; at < info->mmap_addr + info->mmap_length;) {
        struct multiboot_mmap *e = (struct multiboot_mmap *)at;
        puts("  "); puthex(e->base); puts(" "); puthex(e->length); puts(" type "); putdec(e->type); puts("\n");
        at += e->size + 4;
    }
    exit_with(0);
}
