#!/bin/sh
# Markdown to HTML on one large file, alternating: our renderer, libcmark-gfm's renderer (the same
# binary, --libcmark-render) and the cmark-gfm CLI. Prints each round's wall and CPU seconds per
# render (MarkdownBench: median of 3 in process) and the CLI's wall and user+sys seconds.
#   bench/site/markdown_ab.sh [ROUNDS] [FILE]
# Without FILE, the benchmark's file: every body of gen_course.py's 1,000 lessons (8.4 MB), as
# bench/site/run.py builds it. Needs a release MarkdownBench (swift build -c release --product MarkdownBench).
set -e
cd "$(dirname "$0")/../.."
ROUNDS=${1:-7}
FILE=$2
if [ -z "$FILE" ]; then
    OUT=bench/out/site/markdown-ab
    FILE=$OUT/all.md
    if [ ! -f "$FILE" ]; then
        mkdir -p "$OUT"
        python3 bench/site/gen_course.py "$OUT/course" --lessons 1000 --chapters 20
        python3 - "$OUT/course" "$FILE" <<'PY'
import sys
from pathlib import Path
with open(sys.argv[2], "w") as f:
    for md in sorted(Path(sys.argv[1]).rglob("*.md")):
        text = md.read_text()
        f.write(text.split("\n---\n", 1)[1] if text.startswith("---\n") else text)
        f.write("\n\n")
PY
    fi
fi
BENCH=.build/release/MarkdownBench
echo "file: $FILE ($(wc -c < "$FILE") bytes); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$ROUNDS"); do
    for mode in ours libcmark; do
        flag=""
        [ "$mode" = libcmark ] && flag=--libcmark-render
        "$BENCH" "$FILE" 3 --plain-code $flag | sed -n "s/.*median_s=\([0-9.]*\).*cpu_s=\([0-9.]*\).*/$mode wall=\1 cpu=\2/p"
    done
    /usr/bin/time -f 'cli wall=%e cpu=%U+%S' cmark-gfm --unsafe -e table -e strikethrough -e autolink -e tagfilter \
        -e tasklist -e footnotes "$FILE" 2>&1 >/dev/null
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
