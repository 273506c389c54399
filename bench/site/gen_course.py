#!/usr/bin/env python3
"""Writes a synthetic course for the site benchmark: CHAPTERS x LESSONS lessons of about 8 KB of
GFM each (headings, lists, tables, links between lessons, 2-3 asm/C code blocks), deterministic.

    python3 bench/site/gen_course.py OUT [--lessons 1000] [--chapters 20]
"""
import argparse
import random
from pathlib import Path

WORDS = ("guest host hypervisor trap emulate privileged instruction register memory page table "
         "shadow nested paging exit vcpu interrupt device port serial virtual machine monitor kernel "
         "context switch mode ring protected real long segment descriptor translation cache tlb "
         "fault handler dispatch loop ioctl mapping address physical frame").split()

ASM = """    bits 16
    org 0x7c00
start:
    mov dx, 0x3f8          ; COM1
    mov si, msg
.next:
    lodsb
    test al, al
    jz .done
    out dx, al             ; each byte is a VM exit
    jmp .next
.done:
    hlt
msg: db "Hello from lesson {n}", 10, 0
"""

C = """#include <stdint.h>

static inline void outb(uint16_t port, uint8_t value) {{
    __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}}

/* Lesson {n}: print a string over the serial port. */
void puts_serial(const char *s) {{
    while (*s) {{
        outb(0x3f8, (uint8_t)*s++);
    }}
}}

int main(void) {{
    puts_serial("lesson {n}\\n");
    return {n} % 7;
}}
"""


def sentence(rng, n=14):
    words = [rng.choice(WORDS) for _ in range(n)]
    words[0] = words[0].capitalize()
    i = rng.randrange(2, n - 2)
    words[i] = f"**{words[i]}**"
    j = rng.randrange(2, n - 2)
    if j != i:
        words[j] = f"`{words[j]}`"
    return " ".join(words) + "."


def paragraph(rng, k=4):
    return " ".join(sentence(rng, rng.randrange(10, 18)) for _ in range(k))


def lesson(rng, chapter, index, chapters, lessons_per_chapter, names):
    n = chapter * lessons_per_chapter + index
    out = ["---", f"title: \"Lesson {n}: {rng.choice(WORDS).capitalize()} and {rng.choice(WORDS)}\"",
           f"weight: {index + 1}", f"description: \"{sentence(rng, 9)}\"", "---", ""]
    out += [paragraph(rng), ""]
    sections = 0
    while sum(len(x) + 1 for x in out) < 7600:
        sections += 1
        out += [f"## Section {sections}: {rng.choice(WORDS)} {rng.choice(WORDS)}", "", paragraph(rng), ""]
        kind = sections % 5
        if kind == 1:
            out += [f"- {sentence(rng, 8)}" for _ in range(4)] + [""]
        elif kind == 2:
            out += ["| Exit | Port | Count |", "|------|------|------:|"]
            out += [f"| {rng.choice(WORDS)} | 0x{rng.randrange(0x3f8, 0x400):x} | {rng.randrange(1, 999)} |" for _ in range(4)] + [""]
        elif kind == 3:
            out += [f"### Details {sections}", "", paragraph(rng, 3), ""]
            out += [f"{i + 1}. {sentence(rng, 7)}" for i in range(3)] + [""]
        elif kind == 4 and sections < 12:
            lang, body = (("asm", ASM) if sections % 2 else ("c", C))
            out += [f"```{lang}", body.format(n=n).rstrip("\n"), "```", ""]
        # A link to another lesson, with an anchor that exists there.
        oc, oi = rng.randrange(chapters), rng.randrange(lessons_per_chapter)
        target = f"../{names[oc][0]}/{names[oc][1][oi]}"
        out += [f"See [lesson {oc * lessons_per_chapter + oi}]({target}#section-1-{'{}'}) for more.", ""]
    # Make sure there are at least two code blocks.
    out += ["```asm", ASM.format(n=n).rstrip("\n"), "```", "", "```c", C.format(n=n).rstrip("\n"), "```", ""]
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--lessons", type=int, default=1000)
    parser.add_argument("--chapters", type=int, default=20)
    args = parser.parse_args()
    per = args.lessons // args.chapters
    out = Path(args.out)
    names = [(f"{c + 1:02}-chapter-{c + 1}", [f"{i + 1:02}-lesson-{c * per + i}.md" for i in range(per)]) for c in range(args.chapters)]
    # Section headings are random, so links point at "section-1-..." headings we know: collect them first.
    rng = random.Random(42)
    texts = {}
    for c in range(args.chapters):
        for i in range(per):
            texts[(c, i)] = lesson(rng, c, i, args.chapters, per, names)
    first_heading = {}
    for key, text in texts.items():
        line = next(l for l in text.split("\n") if l.startswith("## Section 1:"))
        slug = line[3:].lower().replace(":", "").replace(" ", "-")
        first_heading[key] = slug
    for (c, i), text in texts.items():
        folder = out / names[c][0]
        folder.mkdir(parents=True, exist_ok=True)
        # Resolve each link's anchor to the target's real first heading.
        lines = []
        for line in text.split("\n"):
            if line.startswith("See [lesson ") and "#section-1-{}" in line:
                target = line.split("](../")[1].split("#")[0]
                tc = next(k for k, (d, _) in enumerate(names) if target.startswith(d + "/"))
                ti = names[tc][1].index(target.split("/")[1])
                line = line.replace("#section-1-{}", "#" + first_heading[(tc, ti)])
            lines.append(line)
        (folder / names[c][1][i]).write_text("\n".join(lines))
    (out / "course.yml").write_text("title: \"Synthetic benchmark course\"\nlanguage: en\n")
    total = sum(p.stat().st_size for p in out.rglob("*.md"))
    print(f"{len(texts)} lessons, {total / 1e6:.1f} MB of Markdown in {out}")


if __name__ == "__main__":
    main()
