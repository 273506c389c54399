#!/usr/bin/env python3
"""Site benchmark (./make.sh bench-site). Compares, in the same run, on the same Markdown:

1. `hypercourse build` (release) against Hugo (Debian `hugo`, Chroma highlighting on) on a
   synthetic 1,000-lesson course, alternating the two; wall-time medians, ratio, peak RSS.
2. In-process Markdown-to-HTML throughput of the Markdown module (MarkdownBench) against the
   `cmark-gfm` CLI on one large file.

Goals (issue 3): build <= 0.5x Hugo's wall time, peak RSS < 300 MB, Markdown >= 0.8x cmark-gfm.
Results go to stdout and bench/out/site/results.md; copy them into docs/benchmarks.md.

    python3 bench/site/run.py [--runs 5] [--lessons 1000]
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
OUT = REPO / "bench/out/site"


def sh(*args, **kw):
    return subprocess.run(args, check=True, text=True, capture_output=True, **kw).stdout


def timed(cmd, cwd=REPO):
    """(wall seconds, peak RSS MB) of one run, from GNU time."""
    result = subprocess.run(["/usr/bin/time", "-v"] + cmd, cwd=cwd, text=True, capture_output=True)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{result.stdout}\n{result.stderr}")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", result.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    seconds = int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3))
    return seconds, int(rss.group(1)) / 1024


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    mem = next((int(l.split()[1]) // 1024 for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
    kvm = "PVM (kvm_pvm)" if os.path.exists("/sys/module/kvm_pvm") else ("VT-x" if os.path.exists("/sys/module/kvm_intel") else "?")
    swift = sh("swift", "--version").splitlines()[0] if shutil.which("swift") else "?"
    hugo = sh("hugo", "version").split()[1] if shutil.which("hugo") else "?"
    cmark = sh("cmark-gfm", "--version").splitlines()[0] if shutil.which("cmark-gfm") else "?"
    return {"cpu": cpu, "cores": os.cpu_count(), "mem": f"{mem} MB", "kernel": platform.release(), "kvm": kvm,
            "swift": swift, "hugo": hugo, "cmark": cmark}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--lessons", type=int, default=1000)
    parser.add_argument("--md-iterations", type=int, default=7)
    args = parser.parse_args()

    course = OUT / "course"
    if course.exists():
        shutil.rmtree(course)
    print(sh(sys.executable, str(REPO / "bench/site/gen_course.py"), str(course), "--lessons", str(args.lessons)).strip())
    print("building hypercourse and MarkdownBench (release)…", flush=True)
    subprocess.run(["swift", "build", "-c", "release", "--product", "hypercourse"], cwd=REPO, check=True, capture_output=True)
    subprocess.run(["swift", "build", "-c", "release", "--product", "MarkdownBench"], cwd=REPO, check=True, capture_output=True)
    tool = str(REPO / ".build/release/hypercourse")

    # Hugo reads the same Markdown through a symlinked content folder.
    hugo_site = OUT / "hugo"
    if hugo_site.exists():
        shutil.rmtree(hugo_site)
    shutil.copytree(REPO / "bench/site/hugo", hugo_site)
    (hugo_site / "content").symlink_to(course)

    hc_cmd = [tool, "build", "--content", str(course), "--out", str(OUT / "hc-public"), "--quiet"]
    hugo_cmd = ["hugo", "--quiet", "--source", str(hugo_site), "--destination", str(OUT / "hugo-public"), "--cleanDestinationDir"]
    timed(hc_cmd)  # warm-up: page cache, first output folder
    timed(hugo_cmd)
    hc, hugo = [], []
    for i in range(args.runs):
        # Alternate which goes first, so drifting machine load hits both alike.
        order = [(hc_cmd, hc), (hugo_cmd, hugo)] if i % 2 == 0 else [(hugo_cmd, hugo), (hc_cmd, hc)]
        for cmd, samples in order:
            samples.append(timed(cmd))
        print(f"  run {i + 1}/{args.runs}: hypercourse {hc[-1][0]:.2f} s, hugo {hugo[-1][0]:.2f} s", flush=True)
    hc_wall = statistics.median(s for s, _ in hc)
    hugo_wall = statistics.median(s for s, _ in hugo)
    hc_rss = max(r for _, r in hc)
    hugo_rss = max(r for _, r in hugo)
    pages = sum(1 for _ in (OUT / "hc-public").rglob("*.html"))

    # One large file: every lesson body, front matter removed.
    big = OUT / "all.md"
    with big.open("w") as f:
        for md in sorted(course.rglob("*.md")):
            text = md.read_text()
            f.write(text.split("\n---\n", 1)[1] if text.startswith("---\n") else text)
            f.write("\n\n")
    size = big.stat().st_size
    # Alternate the two, like the builds: each round runs MarkdownBench (median of 3 in-process
    # renders) and then the cmark-gfm CLI once; medians over the rounds.
    cmark_cmd = ["cmark-gfm", "--unsafe", "-e", "table", "-e", "strikethrough", "-e", "autolink", "-e", "tagfilter",
                 "-e", "tasklist", "-e", "footnotes", str(big)]
    ours_walls, ours_cpus, cmark_times, plain_walls = [], [], [], []
    for _ in range(args.md_iterations):
        bench = sh(str(REPO / ".build/release/MarkdownBench"), str(big), "3")
        ours_walls.append(float(re.search(r"median_s=([\d.]+)", bench).group(1)))
        ours_cpus.append(float(re.search(r"cpu_s=([\d.]+)", bench).group(1)))
        plain_bench = sh(str(REPO / ".build/release/MarkdownBench"), str(big), "3", "--plain-code")
        plain_walls.append(float(re.search(r"median_s=([\d.]+)", plain_bench).group(1)))
        start = time.perf_counter()
        subprocess.run(cmark_cmd, check=True, stdout=subprocess.DEVNULL)
        cmark_times.append(time.perf_counter() - start)
    ours = size / statistics.median(ours_walls) / 1e6
    ours_cpu = size / statistics.median(ours_cpus) / 1e6
    plain = size / statistics.median(plain_walls) / 1e6
    cmark = size / statistics.median(cmark_times) / 1e6

    m = machine()
    ratio = hc_wall / hugo_wall
    md_ratio = ours / cmark
    plain_ratio = plain / cmark
    verdict = lambda ok: "met" if ok else "MISSED"
    lines = [
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['mem']}, Linux {m['kernel']} (KVM: {m['kvm']}); {m['swift']}; "
        f"Hugo {m['hugo']}; {m['cmark']}. Date: {time.strftime('%Y-%m-%d')}.",
        "",
        f"Course: {args.lessons} lessons, {size / 1e6:.1f} MB of Markdown, {pages} HTML pages written; "
        f"{args.runs} alternating runs each after one warm-up, medians.",
        "",
        "| Measure | hypercourse | anchor | ratio | goal |",
        "|---|---:|---:|---:|---|",
        f"| Build wall time (vs Hugo) | {hc_wall:.2f} s | {hugo_wall:.2f} s | {ratio:.2f}x | <= 0.5x: {verdict(ratio <= 0.5)} |",
        f"| Peak RSS (vs Hugo) | {hc_rss:.0f} MB | {hugo_rss:.0f} MB | {hc_rss / hugo_rss:.2f}x | < 300 MB: {verdict(hc_rss < 300)} |",
        f"| Markdown to HTML, one {size / 1e6:.1f} MB file (vs cmark-gfm CLI) | {ours:.1f} MB/s | {cmark:.1f} MB/s | {md_ratio:.2f}x | >= 0.8x: {verdict(md_ratio >= 0.8)} |",
        f"| Markdown to HTML like for like (code blocks escaped, not highlighted, as the CLI does) | {plain:.1f} MB/s | {cmark:.1f} MB/s | {plain_ratio:.2f}x | >= 0.8x: {verdict(plain_ratio >= 0.8)} |",
        "",
        f"Markdown: the whole in-process pipeline per document (parse, heading ids, admonitions, highlighting, "
        f"HTML); highlighting of a document's code blocks runs on all cores. By CPU time instead of wall time: "
        f"{ours_cpu:.1f} MB/s ({ours_cpu / cmark:.2f}x). cmark-gfm runs with the same extensions and --unsafe.",
        "",
        f"Per run (s): hypercourse {', '.join(f'{s:.2f}' for s, _ in hc)}; hugo {', '.join(f'{s:.2f}' for s, _ in hugo)}.",
    ]
    text = "\n".join(lines)
    (OUT / "results.md").write_text(text + "\n")
    print("\n" + text)


if __name__ == "__main__":
    main()
