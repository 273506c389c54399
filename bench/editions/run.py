#!/usr/bin/env python3
"""What the offline editions (EPUB and site zip of each language) add to a build, on the course and
on the 1000-lesson benchmark corpus (bench/site/gen_course.py), with a release build of hypercourse.

Each course is copied twice: one copy as it is, one whose course.yml turns both editions off. For each
of `--runs` rounds, alternating which goes first, it times
  full: a build into an empty output folder (every edition written), and
  warm: a second build into the same folder, nothing changed (every edition kept),
for both copies, and reports CPU seconds (user + system of the build and its children) and wall seconds,
medians, with the ratio editions-on / editions-off. CPU seconds are what matter on a loaded machine;
wall seconds only on an idle one. Exercises show their records (no KVM device), as they do on a host
without KVM.

    swift build -c release --product hypercourse
    python3 bench/editions/run.py [--runs 5] [--lessons 1000] [--tool .build/release/hypercourse]
"""
import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def timed(cmd):
    """Wall and CPU seconds (user + system, the build and everything it ran) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def editions_off(course):
    yml = course / "course.yml"
    text = yml.read_text()
    assert "editions:" not in text, f"{yml} sets editions already"
    yml.write_text(text + "\neditions:\n  epub: false\n  site-zip: false\n")


def measure(tool, name, source, runs, work):
    on, off = work / f"{name}-on", work / f"{name}-off"
    for copy in (on, off):
        shutil.copytree(source, copy, symlinks=True, ignore=shutil.ignore_patterns(".hypercourse-cache"))
    editions_off(off)
    samples = {(kind, mode): [] for kind in ("on", "off") for mode in ("full", "warm")}
    for i in range(runs + 1):
        order = [("on", on), ("off", off)] if i % 2 == 0 else [("off", off), ("on", on)]
        for kind, course in order:
            out = work / f"{name}-{kind}-public"
            shutil.rmtree(out, ignore_errors=True)
            cmd = [tool, "build", "--content", str(course), "--out", str(out), "--quiet",
                   "--kvm-device", "/nonexistent/kvm", "--cache", str(work / f"{name}-{kind}-cache")]
            full = timed(cmd)
            warm = timed(cmd)
            if i == 0:
                continue  # warm-up: page cache, exercise cache
            samples[(kind, "full")].append(full)
            samples[(kind, "warm")].append(warm)
        if i:
            print(f"  {name} run {i}/{runs}: full on {samples[('on', 'full')][-1][1]:.2f} / off "
                  f"{samples[('off', 'full')][-1][1]:.2f} CPU s; warm on {samples[('on', 'warm')][-1][1]:.2f} / off "
                  f"{samples[('off', 'warm')][-1][1]:.2f} CPU s", flush=True)
    downloads = work / f"{name}-on-public" / "downloads"
    sizes = {p.name: p.stat().st_size for p in sorted(downloads.iterdir()) if not p.name.startswith(".")}
    return samples, sizes


def report(name, samples, sizes):
    print(f"\n{name}: editions {', '.join(f'{k} {v / 1e6:.1f} MB' for k, v in sizes.items())}")
    print("| build | editions on: CPU s / wall s | off: CPU s / wall s | on/off CPU | on/off wall |")
    print("|---|---|---|---|---|")
    for mode in ("full", "warm"):
        on, off = samples[("on", mode)], samples[("off", mode)]
        on_wall, on_cpu = statistics.median(w for w, _ in on), statistics.median(c for _, c in on)
        off_wall, off_cpu = statistics.median(w for w, _ in off), statistics.median(c for _, c in off)
        print(f"| {mode} | {on_cpu:.2f} / {on_wall:.2f} | {off_cpu:.2f} / {off_wall:.2f} | "
              f"{on_cpu / off_cpu:.2f}x | {on_wall / off_wall:.2f}x |")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--lessons", type=int, default=1000)
    parser.add_argument("--tool", default=str(REPO / ".build/release/hypercourse"))
    parser.add_argument("--only", choices=["course", "corpus"], help="one of the two courses")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; tool {args.tool}")
    with tempfile.TemporaryDirectory(prefix="hc-editions-bench-") as tmp:
        work = Path(tmp)
        courses = []
        if args.only != "corpus":
            courses.append(("course", REPO / "content"))
        if args.only != "course":
            corpus = work / "corpus-source"
            subprocess.run([sys.executable, str(REPO / "bench/site/gen_course.py"), str(corpus), "--lessons",
                            str(args.lessons), "--chapters", str(max(1, args.lessons // 50))], check=True,
                           stdout=subprocess.DEVNULL)
            courses.append((f"corpus-{args.lessons}", corpus))
        results = [(name, *measure(args.tool, name, source, args.runs, work)) for name, source in courses]
        for name, samples, sizes in results:
            report(name, samples, sizes)
        print(f"\nload at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
