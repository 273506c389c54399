#!/usr/bin/env python3
"""Where a built site's bytes go: by kind of file, and inside the HTML by tag (start and end tags with
their attributes), by attribute (name, `=`, quoted value), by highlighter token class, and text.
Deterministic (counts bytes), so it can run on a loaded machine.

    python3 bench/site/bytes.py PUBLIC [--html-only GLOB] [--top 25]
"""
import argparse
import collections
import re
from pathlib import Path

TAG = re.compile(rb"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>|<!--.*?-->", re.S)
ATTR = re.compile(rb"\s+([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+))?")
SPAN_CLASS = re.compile(rb'<span class="([^"]*)">')


def kind(path, root):
    rel = path.relative_to(root).as_posix()
    if rel == "print.html" or rel.endswith("/print.html"):
        return "print.html"
    if rel.endswith("/_print.html"):
        return "chapter print pages"
    if rel.startswith("search") or "/search/" in rel or rel.endswith("search-index.js"):
        return "search index"
    if rel.endswith(".html"):
        return "pages"
    return "other"


def scan(data, tags, attrs, spans, counts):
    text = 0
    pos = 0
    for m in TAG.finditer(data):
        text += m.start() - pos
        pos = m.end()
        if m.group(2) is None:
            tags["<!-- -->"] += m.end() - m.start()
            continue
        name = m.group(2).lower().decode()
        key = ("</" if m.group(1) else "<") + name + ">"
        tags[key] += m.end() - m.start()
        counts[key] += 1
        for a in ATTR.finditer(m.group(3)):
            attrs[a.group(1).decode() + ("=…" if a.group(2) else "")] += a.end() - a.start()
    text += len(data) - pos
    for m in SPAN_CLASS.finditer(data):
        spans[m.group(1).decode()] += m.end() - m.start()
    return text


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("public")
    parser.add_argument("--html-only", help="only HTML files matching this glob (relative to PUBLIC)")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    root = Path(args.public)
    by_kind = collections.Counter()
    tags, attrs, spans, counts = (collections.Counter() for _ in range(4))
    text = 0
    files = sorted(root.glob(args.html_only)) if args.html_only else sorted(p for p in root.rglob("*") if p.is_file())
    for p in files:
        size = p.stat().st_size
        by_kind[kind(p, root)] += size
        if p.suffix == ".html":
            text += scan(p.read_bytes(), tags, attrs, spans, counts)
    total = sum(by_kind.values())
    mb = lambda n: f"{n / 1e6:9.2f} MB"
    print(f"total {mb(total)} in {len(files)} files")
    for k, v in by_kind.most_common():
        print(f"  {k:22} {mb(v)}  {100 * v / total:5.1f} %")
    html = sum(tags.values()) + text
    print(f"\nHTML {mb(html)}: text {mb(text)}, markup {mb(html - text)}")
    print("\ntags (whole tag with attributes):")
    for k, v in tags.most_common(args.top):
        print(f"  {k:22} {mb(v)}  {100 * v / html:5.1f} %  x{counts[k]}")
    print("\nattributes:")
    for k, v in attrs.most_common(args.top):
        print(f"  {k:22} {mb(v)}  {100 * v / html:5.1f} %")
    print("\n<span class=…> opening tags by class:")
    for k, v in spans.most_common(args.top):
        print(f"  {k:22} {mb(v)}  {100 * v / html:5.1f} %")


if __name__ == "__main__":
    main()
