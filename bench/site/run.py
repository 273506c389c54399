#!/usr/bin/env python3
"""Site benchmark (./make.sh bench-site). Compares, in the same run, on the same Markdown:

1. `hypercourse build` (release) against Hugo (Debian `hugo`, Chroma highlighting on) on synthetic
   courses of 1,000 and 4,000 lessons (50 a chapter), alternating the two at each size: wall-time
   medians, their ratio, how each scales from the first size to the next, peak RSS, output size,
   a lesson page's size, the search index against the Markdown, the print pages.
2. In-process Markdown-to-HTML throughput of the Markdown module (MarkdownBench) against the
   `cmark-gfm` CLI on one large file.

Goals: at most 0.25x Hugo at both sizes; 4x the lessons at most 4.4x the time; peak RSS at most
300 MB; output at most 1.5x Hugo's; search index at most a third of the Markdown; Markdown at
least 1.0x cmark-gfm. Results go to stdout and bench/out/site/results.md; copy them into
docs/benchmarks.md.

    python3 bench/site/run.py [--runs 5] [--sizes 1000,4000]
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
    """(wall seconds, peak RSS MB, CPU seconds: user + system) of one run, from GNU time."""
    result = subprocess.run(["/usr/bin/time", "-v"] + cmd, cwd=cwd, text=True, capture_output=True)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{result.stdout}\n{result.stderr}")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", result.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    cpu = sum(float(re.search(rf"{kind} time \(seconds\): ([\d.]+)", result.stderr).group(1)) for kind in ("User", "System"))
    seconds = int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3))
    return seconds, int(rss.group(1)) / 1024, cpu


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    mem = next((int(l.split()[1]) // 1024 for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
    kvm = "PVM (kvm_pvm)" if os.path.exists("/sys/module/kvm_pvm") else ("VT-x" if os.path.exists("/sys/module/kvm_intel") else "?")
    swift = sh("swift", "--version").splitlines()[0] if shutil.which("swift") else "?"
    hugo = sh("hugo", "version").split()[1] if shutil.which("hugo") else "?"
    cmark = sh("cmark-gfm", "--version").splitlines()[0] if shutil.which("cmark-gfm") else "?"
    return {"cpu": cpu, "cores": os.cpu_count(), "mem": f"{mem} MB", "kernel": platform.release(), "kvm": kvm,
            "swift": swift, "hugo": hugo, "cmark": cmark}


def tree_bytes(folder):
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


def site_run(tool, lessons, runs, editions=True):
    """One course size: generate it, build it alternately with hypercourse and Hugo; medians, peak RSS,
    output sizes. Without `editions`, the course leaves out its EPUB and site zip (Hugo makes neither)."""
    chapters = max(1, lessons // 50)
    course = OUT / f"course-{lessons}"
    if course.exists():
        shutil.rmtree(course)
    print(sh(sys.executable, str(REPO / "bench/site/gen_course.py"), str(course), "--lessons", str(lessons),
             "--chapters", str(chapters)).strip(), flush=True)
    if not editions:
        with (course / "course.yml").open("a") as f:
            f.write("editions:\n  epub: false\n  site-zip: false\n")
    # Hugo reads the same Markdown through a symlinked content folder.
    hugo_site = OUT / f"hugo-{lessons}"
    if hugo_site.exists():
        shutil.rmtree(hugo_site)
    shutil.copytree(REPO / "bench/site/hugo", hugo_site)
    (hugo_site / "content").symlink_to(course)
    hc_out, hugo_out = OUT / f"hc-public-{lessons}", OUT / f"hugo-public-{lessons}"
    hc_cmd = [tool, "build", "--content", str(course), "--out", str(hc_out), "--quiet"]
    hugo_cmd = ["hugo", "--quiet", "--source", str(hugo_site), "--destination", str(hugo_out), "--cleanDestinationDir"]
    timed(hc_cmd)  # warm-up: page cache, first output folder
    timed(hugo_cmd)
    hc, hugo = [], []
    for i in range(runs):
        # Alternate which goes first, so drifting machine load hits both alike.
        order = [(hc_cmd, hc), (hugo_cmd, hugo)] if i % 2 == 0 else [(hugo_cmd, hugo), (hc_cmd, hc)]
        for cmd, samples in order:
            samples.append(timed(cmd))
        print(f"  {lessons} lessons, run {i + 1}/{runs}: hypercourse {hc[-1][0]:.2f} s, hugo {hugo[-1][0]:.2f} s", flush=True)
    lesson_pages = sorted(hc_out.glob("chapter-1/*.html"))
    lesson_pages = [p for p in lesson_pages if p.name not in ("index.html", "_print.html")]
    index_files = [hc_out / "search-index.js"] + sorted((hc_out / "search").glob("*.js"))
    return {
        "lessons": lessons, "chapters": chapters, "course": course,
        "hc": statistics.median(s for s, _, _ in hc), "hugo": statistics.median(s for s, _, _ in hugo),
        "hc_cpu": statistics.median(c for _, _, c in hc), "hugo_cpu": statistics.median(c for _, _, c in hugo),
        "hc_rss": max(r for _, r, _ in hc), "hugo_rss": max(r for _, r, _ in hugo),
        "hc_runs": [s for s, _, _ in hc], "hugo_runs": [s for s, _, _ in hugo],
        "hc_cpu_runs": [c for _, _, c in hc], "hugo_cpu_runs": [c for _, _, c in hugo],
        "hc_bytes": tree_bytes(hc_out), "hugo_bytes": tree_bytes(hugo_out),
        "pages": sum(1 for _ in hc_out.rglob("*.html")),
        "md_bytes": sum(p.stat().st_size for p in course.rglob("*.md")),
        "lesson_page": statistics.median(p.stat().st_size for p in lesson_pages),
        "index_bytes": sum(f.stat().st_size for f in index_files),
        "largest_shard": max(f.stat().st_size for f in index_files),
        "print_bytes": (hc_out / "print.html").stat().st_size,
        "chapter_print_bytes": statistics.median(p.stat().st_size for p in hc_out.glob("*/_print.html")),
    }


def markdown_rounds(course, iterations, bench_tool):
    """One large file (every lesson body, front matter removed): MarkdownBench (median of 3 in-process
    renders) and the cmark-gfm CLI, alternating; medians over the rounds, in MB/s."""
    big = OUT / "all.md"
    with big.open("w") as f:
        for md in sorted(course.rglob("*.md")):
            text = md.read_text()
            f.write(text.split("\n---\n", 1)[1] if text.startswith("---\n") else text)
            f.write("\n\n")
    size = big.stat().st_size
    cmark_cmd = ["cmark-gfm", "--unsafe", "-e", "table", "-e", "strikethrough", "-e", "autolink", "-e", "tagfilter",
                 "-e", "tasklist", "-e", "footnotes", str(big)]
    ours_walls, ours_cpus, cmark_times, plain_walls = [], [], [], []
    for _ in range(iterations):
        bench = sh(str(bench_tool), str(big), "3")
        ours_walls.append(float(re.search(r"median_s=([\d.]+)", bench).group(1)))
        ours_cpus.append(float(re.search(r"cpu_s=([\d.]+)", bench).group(1)))
        plain_bench = sh(str(bench_tool), str(big), "3", "--plain-code")
        plain_walls.append(float(re.search(r"median_s=([\d.]+)", plain_bench).group(1)))
        start = time.perf_counter()
        subprocess.run(cmark_cmd, check=True, stdout=subprocess.DEVNULL)
        cmark_times.append(time.perf_counter() - start)
    rate = lambda samples: size / statistics.median(samples) / 1e6
    return {"size": size, "ours": rate(ours_walls), "ours_cpu": rate(ours_cpus), "plain": rate(plain_walls), "cmark": rate(cmark_times)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="1000,4000", help="course sizes in lessons, 50 a chapter; the first is the anchor")
    parser.add_argument("--md-iterations", type=int, default=7, help="0 leaves the Markdown comparison out")
    parser.add_argument("--products", help="a folder with release builds of hypercourse and MarkdownBench, used as they are")
    parser.add_argument("--without-editions", action="store_true",
                        help="the courses leave out the EPUB and the site zip, which a full build makes and Hugo does not")
    args = parser.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]

    products = Path(args.products) if args.products else REPO / ".build/release"
    if not args.products:
        print("building hypercourse and MarkdownBench (release)…", flush=True)
        subprocess.run(["swift", "build", "-c", "release", "--product", "hypercourse"], cwd=REPO, check=True, capture_output=True)
        subprocess.run(["swift", "build", "-c", "release", "--product", "MarkdownBench"], cwd=REPO, check=True, capture_output=True)
    tool = str(products / "hypercourse")
    results = [site_run(tool, n, args.runs, editions=not args.without_editions) for n in sizes]
    md = markdown_rounds(results[0]["course"], args.md_iterations, products / "MarkdownBench") if args.md_iterations else None

    m = machine()
    verdict = lambda ok: "met" if ok else "MISSED"
    base = results[0]
    lines = [
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['mem']}, Linux {m['kernel']} (KVM: {m['kvm']}); {m['swift']}; "
        f"Hugo {m['hugo']}; {m['cmark']}. Date: {time.strftime('%Y-%m-%d')}; load average before the run "
        f"{os.getloadavg()[0]:.1f}.",
        "",
        f"{args.runs} alternating build runs per size after one warm-up each, medians; courses from gen_course.py, 50 lessons a chapter"
        f"{', without the EPUB and site zip' if args.without_editions else ', with the EPUB and site zip hypercourse makes by default'}.",
        "",
        "| Lessons (chapters) | Markdown | hypercourse | Hugo | hc / Hugo (<= 0.25x) | peak RSS hc / Hugo | output hc / Hugo (<= 1.5x) | lesson page | search index / Markdown (<= 0.33x) | largest index file | print.html / a chapter's |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['lessons']} ({r['chapters']}) | {r['md_bytes'] / 1e6:.1f} MB | {r['hc']:.2f} s | {r['hugo']:.2f} s | "
            f"{r['hc'] / r['hugo']:.2f}x: {verdict(r['hc'] / r['hugo'] <= 0.25)} | {r['hc_rss']:.0f} / {r['hugo_rss']:.0f} MB | "
            f"{r['hc_bytes'] / 1e6:.0f} / {r['hugo_bytes'] / 1e6:.0f} MB = {r['hc_bytes'] / r['hugo_bytes']:.2f}x: "
            f"{verdict(r['hc_bytes'] <= 1.5 * r['hugo_bytes'])} | {r['lesson_page'] / 1e3:.1f} KB | "
            f"{r['index_bytes'] / r['md_bytes']:.2f}x: {verdict(r['index_bytes'] * 3 <= r['md_bytes'])} | {r['largest_shard'] / 1e3:.0f} KB | "
            f"{r['print_bytes'] / 1e6:.1f} MB / {r['chapter_print_bytes'] / 1e6:.2f} MB |")
    lines.append("")
    for r in results[1:]:
        scale, hugo_scale = r["hc"] / base["hc"], r["hugo"] / base["hugo"]
        cpu_scale, hugo_cpu_scale = r["hc_cpu"] / base["hc_cpu"], r["hugo_cpu"] / base["hugo_cpu"]
        lines.append(
            f"Scaling {base['lessons']} → {r['lessons']} lessons ({r['lessons'] / base['lessons']:.0f}x the work): hypercourse "
            f"{scale:.2f}x the time (goal <= 4.4x: {verdict(scale <= 4.4)}), Hugo {hugo_scale:.2f}x; by CPU time "
            f"hypercourse {cpu_scale:.2f}x, Hugo {hugo_cpu_scale:.2f}x; peak RSS {r['hc_rss']:.0f} MB "
            f"(goal <= 300 MB: {verdict(r['hc_rss'] <= 300)}); lesson page {base['lesson_page'] / 1e3:.1f} KB → {r['lesson_page'] / 1e3:.1f} KB.")
    if md:
        md_ratio, plain_ratio = md["ours"] / md["cmark"], md["plain"] / md["cmark"]
        lines += [
            "",
            f"Markdown to HTML, one {md['size'] / 1e6:.1f} MB file ({base['lessons']} lessons' bodies), {args.md_iterations} alternating rounds: "
            f"the page pipeline {md['ours']:.1f} MB/s, like for like (code escaped, not highlighted) {md['plain']:.1f} MB/s, cmark-gfm CLI "
            f"{md['cmark']:.1f} MB/s: {md_ratio:.2f}x and {plain_ratio:.2f}x (goal >= 1.0x: {verdict(md_ratio >= 1.0)}, "
            f"{verdict(plain_ratio >= 1.0)}); by CPU time the page pipeline is {md['ours_cpu'] / md['cmark']:.2f}x.",
        ]
    lines.append("")
    for r in results:
        lines.append(f"CPU time (user + system, medians) at {r['lessons']}: hypercourse {r['hc_cpu']:.2f} s, Hugo {r['hugo_cpu']:.2f} s, "
                     f"{r['hc_cpu'] / r['hugo_cpu']:.2f}x (on a busy machine the ratio to read; wall time is the goal's).")
    lines.append("")
    for r in results:
        lines.append(f"Per run at {r['lessons']} (s): hypercourse {', '.join(f'{s:.2f}' for s in r['hc_runs'])}; "
                     f"hugo {', '.join(f'{s:.2f}' for s in r['hugo_runs'])}; CPU hypercourse "
                     f"{', '.join(f'{s:.2f}' for s in r['hc_cpu_runs'])}; hugo {', '.join(f'{s:.2f}' for s in r['hugo_cpu_runs'])}.")
    text = "\n".join(lines)
    (OUT / "results.md").write_text(text + "\n")
    print("\n" + text)


if __name__ == "__main__":
    main()
