#!/usr/bin/env python3
"""Exercise benchmark (./make.sh bench-exercises): cold and warm `hypercourse build` of a course
with runnable exercises, against anchors measured in the same run on the same machine.

Courses: a synthetic 30-exercise course (18 assembly guests across the four modes, some with
`trace` and `steps`, and 12 C guests in long and user mode, in 10 lessons of prose), and, with
--course DIR, a copy of a real course (e.g. content/).

Per course, alternating so all see the same machine noise:
- cold:  cache and records deleted, so every exercise is built and run twice, and recorded;
- warm:  nothing changed, so nothing is built or run (the no-op build);
- site:  the same lessons with the word `exercise` removed from the info strings, so the blocks
         are plain code: the cost of the pages alone (anchor for warm);
- tools: the same nasm / clang + ld.lld + llvm-objcopy invocations the build makes, run by
         `xargs -P <cores>` with no hypervisor and no site (anchor for cold, with site).
Plus one cold build with HYPERCOURSE_PROFILE=1 for where the time goes.

Goals (issue 4): cold <= 3 s and warm <= 0.3 s for about 30 exercises on the 2-core machine.
Results go to stdout and bench/out/exercises/results.md; copy them into docs/benchmarks.md.

    python3 bench/exercises/run.py [--rounds 7] [--course content]
"""
import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "bench/out/exercises"
TOOL = REPO / ".build/release/hypercourse"
FENCE = re.compile(r"^(`{3,}|~{3,})\s*(asm|c)\s+exercise\b(.*)$")


def sh(*args, **kw):
    return subprocess.run(args, check=True, text=True, capture_output=True, **kw).stdout


def timed(cmd, cwd, env=None):
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, text=True, capture_output=True, env=env)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{result.stdout}\n{result.stderr}")
    return elapsed, result


# MARK: the synthetic course

ASM_HEADERS = {"real": "bits 16\norg 0x7c00", "protected": "bits 32\norg 0x100000",
               "long": "bits 64\norg 0x100000", "user": "bits 64\norg 0x100000"}


def asm_guest(mode, n):
    si = {"real": "si", "protected": "esi"}.get(mode)
    load = f"mov {si}, msg" if si else "lea rsi, [rel msg]"
    end = "mov al, 0\n    out 0xf4, al" if mode == "user" else "hlt"
    # A loop with a little arithmetic, then a message through COM1.
    return f"""; [hide]
{ASM_HEADERS[mode]}
; [show]
    mov ecx, {100 + n * 10}
    xor eax, eax
.sum:
    add eax, ecx
    loop .sum
    mov dx, 0x3f8
    {load}
.next:
    lodsb
    test al, al
    jz .done
    out dx, al
    jmp .next
.done:
    {end}
msg: db "guest {n} in {mode} mode", 10, 0
"""


def c_guest(n):
    return f"""// [hide]
#include "hypercourse.h"
// [show]
static unsigned collatz(unsigned x) {{
    unsigned steps = 0;
    while (x != 1) {{ x = (x & 1) ? 3 * x + 1 : x / 2; steps++; }}
    return steps;
}}

int main(void) {{
    unsigned best = 0, at = 0;
    for (unsigned i = 1; i < {20 + n * 5}; i++) {{
        unsigned s = collatz(i);
        if (s > best) {{ best = s; at = i; }}
    }}
    printf("guest {n}: longest chain below %u starts at %u (%u steps)\\n", {20 + n * 5}u, at, best);
    return 0;
}}
"""


PROSE = ("Trap-and-emulate lets the guest run directly until it does something the hypervisor must see. "
         "Each VM exit costs a round trip through KVM, so the exit counts below are the cost of the program. ") * 3


def synthetic_course(root):
    if root.exists():
        shutil.rmtree(root)
    content = root / "content"
    modes = ["real", "protected", "long", "user"]
    chapters = []
    n = 0
    for chapter in range(1, 6):
        folder = content / f"{chapter:02d}-chapter-{chapter}"
        folder.mkdir(parents=True)
        (folder / "_index.md").write_text(f"---\ntitle: \"Chapter {chapter}\"\n---\n{PROSE}\n")
        chapters.append(f"  - path: {folder.name}\n    title: Chapter {chapter}")
        for lesson in range(1, 3):
            parts = [f"---\ntitle: \"Lesson {chapter}.{lesson}\"\n---\n", PROSE]
            for _ in range(3):
                n += 1
                if n % 5 in (0, 3):
                    mode = "user" if n % 2 else "long"
                    parts.append(f"\n## Exercise {n}\n\n{PROSE}\n\n```c exercise id=guest-{n} mode={mode}\n{c_guest(n)}```\n")
                else:
                    mode = modes[n % 4]
                    extra = " trace" if n % 3 == 0 else ""
                    extra += " steps=8" if n % 7 == 1 and mode != "user" else ""
                    parts.append(f"\n## Exercise {n}\n\n{PROSE}\n\n```asm exercise id=guest-{n} mode={mode}{extra}\n{asm_guest(mode, n)}```\n")
            (folder / f"{lesson:02d}-lesson-{chapter}-{lesson}.md").write_text("\n".join(parts))
    (content / "course.yml").write_text("title: \"Exercise benchmark\"\nchapters:\n" + "\n".join(chapters) + "\n")
    return content


# MARK: measurements

def exercise_sources(content):
    """(language, source path, lesson folder) for every exercise block, writing inline bodies to files."""
    sources = []
    scratch = content.parent / "anchor-sources"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    for md in sorted(content.rglob("*.md")):
        lines = md.read_text().split("\n")
        i = 0
        while i < len(lines):
            m = FENCE.match(lines[i])
            if m:
                j = i + 1
                while not lines[j].startswith(m.group(1)):
                    j += 1
                src = re.search(r"\bsrc=(\S+)", m.group(3))
                if src:
                    path = md.parent / src.group(1)
                else:
                    path = scratch / f"{len(sources)}.{'asm' if m.group(2) == 'asm' else 'c'}"
                    path.write_text("\n".join(lines[i + 1:j]) + "\n")
                sources.append((m.group(2), path, md.parent))
                i = j
            i += 1
    return sources


def tools_anchor_script(content, cache):
    """A shell script running the build's tool invocations, `xargs -P cores` wide."""
    toolchain = Path(shutil.which("swiftc")).resolve().parent
    runtime = next((cache / "runtime").glob("*/runtime.o")).parent
    out = content.parent / "anchor-out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    flags = ("--target=x86_64-unknown-none-elf -ffreestanding -nostdlib -nostdlibinc -mno-red-zone -fno-pic -O2 -g "
             "-fno-stack-protector -fno-asynchronous-unwind-tables -fno-unwind-tables -std=gnu11 -Wall")
    commands = []
    for n, (language, path, folder) in enumerate(exercise_sources(content)):
        if language == "asm":
            commands.append(f"cd {folder} && nasm -f bin -l {out}/{n}.lst -o {out}/{n}.bin -I {folder}/ -I {content}/ {path}")
        else:
            commands.append(f"cd {folder} && {toolchain}/clang {flags} -I {runtime} -I {folder} -MD -MF {out}/{n}.d -c {path} -o {out}/{n}.o"
                            f" && {toolchain}/ld.lld -nostdlib -static --build-id=none -T {runtime}/link.ld -o {out}/{n}.elf {runtime}/runtime.o {out}/{n}.o"
                            f" && {toolchain}/llvm-objcopy -O binary {out}/{n}.elf {out}/{n}.bin")
    script = content.parent / "anchor.sh"
    script.write_text("\n".join(commands) + "\n")
    return script, len(commands)


def measure(name, content, rounds):
    root = content.parent
    cache = root / ".hypercourse-cache"
    site = root / "site-only"
    shutil.rmtree(site, ignore_errors=True)
    shutil.copytree(content, site)
    for md in site.rglob("*.md"):
        md.write_text(re.sub(r"^(`{3,}|~{3,})(\s*(?:asm|c))\s+exercise\b.*$", r"\1\2", md.read_text(), flags=re.M))
    for record in site.rglob("*.exercises.json"):
        record.unlink()

    def build(folder, out, env=None):
        return timed([str(TOOL), "build", "-q", "--content", str(folder), "--out", str(out),
                      "--templates", str(REPO / "templates"), "--cache", str(cache)], cwd=root, env=env)

    def cold():
        shutil.rmtree(cache, ignore_errors=True)
        for record in content.rglob("*.exercises.json"):
            record.unlink()
        return build(content, root / "public")

    cold()  # warm up the file cache and build the C runtime object once
    script, count = tools_anchor_script(content, cache)
    results = {"cold": [], "warm": [], "site": [], "tools": []}
    for _ in range(rounds):
        results["cold"].append(cold()[0])
        results["warm"].append(build(content, root / "public")[0])
        results["site"].append(build(site, root / "public-site")[0])
        results["tools"].append(timed(["sh", "-c", f"xargs -P {os.cpu_count()} -I CMD sh -c CMD < {script}"], cwd=root)[0])
    shutil.rmtree(cache, ignore_errors=True)
    for record in content.rglob("*.exercises.json"):
        record.unlink()
    _, profiled = build(content, root / "public", env={**os.environ, "HYPERCOURSE_PROFILE": "1"})
    _, warm_profiled = build(content, root / "public", env={**os.environ, "HYPERCOURSE_PROFILE": "1"})
    summary = profiled.stdout.strip().splitlines()[-1]
    profile = [l for l in profiled.stderr.splitlines() if l.startswith("profile")]
    warm_profile = [l for l in warm_profiled.stderr.splitlines() if l.startswith("profile")]
    med = {k: statistics.median(v) for k, v in results.items()}
    return {"name": name, "exercises": count, "median": med, "runs": results, "summary": summary,
            "profile": profile, "warm_profile": warm_profile}


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    kvm = "PVM (kvm_pvm)" if os.path.exists("/sys/module/kvm_pvm") else ("VT-x" if os.path.exists("/sys/module/kvm_intel") else "?")
    return f"{os.cpu_count()}-core {cpu}, kernel {platform.release()}, KVM from {kvm}; {sh('swift', '--version').splitlines()[0]}; {sh('nasm', '-v').strip()}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--course", help="also measure a copy of this content folder")
    args = parser.parse_args()
    print("==> building hypercourse (release)", file=sys.stderr)
    subprocess.run(["swift", "build", "-c", "release", "--product", "hypercourse"], cwd=REPO, check=True)
    OUT.mkdir(parents=True, exist_ok=True)
    courses = [("synthetic, 30 exercises", synthetic_course(OUT / "synthetic"))]
    if args.course:
        copy = OUT / "course" / "content"
        shutil.rmtree(copy.parent, ignore_errors=True)
        shutil.copytree(Path(args.course).resolve(), copy)
        courses.append((f"copy of {args.course}", copy))
    lines = [f"Machine: {machine()}", f"Rounds: {args.rounds} (medians; cold, warm, site and tools alternate)", ""]
    lines += ["| course | exercises | cold (s) | warm (s) | site only (s) | tools only (s) | cold / (site + tools) | warm / site |",
              "|---|---:|---:|---:|---:|---:|---:|---:|"]
    details = []
    for name, content in courses:
        print(f"==> {name}", file=sys.stderr)
        r = measure(name, content, args.rounds)
        m = r["median"]
        lines.append(f"| {name} | {r['exercises']} | {m['cold']:.2f} | {m['warm']:.3f} | {m['site']:.3f} | {m['tools']:.2f} | "
                     f"{m['cold'] / (m['site'] + m['tools']):.2f} | {m['warm'] / m['site']:.2f} |")
        details += [f"", f"{name}: {r['summary']}", "cold build profile:"] + [f"    {l}" for l in r["profile"]]
        details += ["warm build profile:"] + [f"    {l}" for l in r["warm_profile"]]
        details += [f"all runs (s): " + "; ".join(f"{k} " + " ".join(f"{x:.3f}" for x in v) for k, v in r["runs"].items())]
    text = "\n".join(lines + details) + "\n"
    (OUT / "results.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
