#!/usr/bin/env python3
"""Search before and after the sharded index, on the same course, in the same run.

Builds COURSE with two hypercourse binaries: BEFORE, one whose search-index.js is the single
full-text file (version 1; its search was a substring match over every section's text, ported
below line for line from the site.js of that time), and AFTER (version 2: word shards, doc
blocks and assets/search.js). Then, in headless Chromium on the AFTER site from file://, each
query runs through the page's own search.js in a fresh page, and the script compares:

- the results (the total and the first 30 links, in order) with the same ranking over BEFORE's
  full text where a query word matches the words it begins (the tokenizer ported below), which
  must be identical: the shards, their encoding and the ranking lose nothing;
- with the old substring search: the difference is the words a query word matched in their
  middle (`port` in `support`), which a word index cannot find; listed per query;
- what the query loaded: the index files its page fetched, against the whole index;
- the tokenizer: Swift's words for a page of mixed scripts (decoded from the AFTER index) and
  site.js's tokens() for the same text must be the same set.

    /usr/bin/python3 bench/search/compare.py --before OLD_BIN --after NEW_BIN [--content content] [--queries FILE]

Exits non-zero when a query's results differ or the tokenizers disagree. Queries come one a line
from --queries (a `.zh.md` course gets its own file), or the built-in English list.
"""
import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
QUERIES = """kvm
vm exit
page table
shadow paging
ept
popek goldberg
trap
emulate
privileged instruction
sensitive
binary translation
paravirtualization
vcpu
ioctl
serial
uart
mmio
port
interrupt
pit
apic
tsc
cpuid
pvm
dirty log
live migration
hlt
real mode
long mode
virt""".splitlines()

MIXED = """---
title: "Mixed scripts: Ünïcödé and 虚拟化"
---

## Straße, naïve café

KVM_RUN returns; the vCPU's CR0.PE bit 0x3f8 COM1 émulation Übersetzung ελληνικά кириллица हिन्दी.
虚拟机监控器（VMM）运行客户机 and ひらがな カタカナ mixed_with_underscores 42nd ½ ⅷ.
"""


def fold(s):
    # JavaScript's toLowerCase().normalize("NFD") and the accents removed, as the old site.js did.
    return re.sub("[\u0300-\u036f]", "", unicodedata.normalize("NFD", s.lower()))


def old_search(docs, raw):
    """The version-1 search of site.js: every whitespace-separated term must occur as a substring;
    score 10 for the page title, 6 for the heading, one per occurrence in the text (at most 5)."""
    terms = [t for t in re.split(r"\s+", fold(raw.strip())) if t]
    results = []
    for i, d in enumerate(docs):
        score = 0
        for term in terms:
            s = (10 if term in d["fp"] else 0) + (6 if term in d["fh"] else 0)
            n, start = 0, 0
            while n < 5:
                at = d["fx"].find(term, start)
                if at < 0:
                    break
                n, start = n + 1, at + len(term)
            s += n
            if s == 0:
                break
            score += s
        else:
            results.append((-score, i, d["u"]))
    results.sort()
    return {"total": len(results), "urls": [u for _, _, u in results[:30]]}


CJK = [(0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x323AF)]


def tokens(text, query=False):
    """SearchTokenizer.swift and search.js's tokens(), in Python."""
    out, word, run = [], "", []

    def flush_run():
        if len(run) == 1:
            out.append(run[0])
        out.extend(run[i] + run[i + 1] for i in range(len(run) - 1))
        if len(run) > 1 and not query:
            out.append(run[-1])
        run.clear()

    for ch in fold(text) + " ":
        if any(a <= ord(ch) <= b for a, b in CJK):
            if word:
                out.append(word)
                word = ""
            run.append(ch)
        elif unicodedata.category(ch)[0] in "LMN":
            flush_run()
            word += ch
        else:
            if word:
                out.append(word)
                word = ""
            flush_run()
    return out


def word_search(docs, raw):
    """The ranking of search.js over the full text: a query word matches every word it begins; score
    10 when one is in the page title, 6 in the heading, one per use in the text (at most 5)."""
    terms = tokens(raw.strip(), query=True)
    results = []
    for i, d in enumerate(docs):
        score = 0
        for term in terms:
            s = (10 if any(w.startswith(term) for w in d["tp"]) else 0) + (6 if any(w.startswith(term) for w in d["th"]) else 0)
            s += min(5, sum(1 for w in d["tx"] if w.startswith(term)))
            if s == 0:
                break
            score += s
        else:
            if terms:
                results.append((-score, i, d["u"]))
    results.sort()
    return {"total": len(results), "urls": [u for _, _, u in results[:30]]}


def build(tool, content, out):
    result = subprocess.run([tool, "build", "--content", str(content), "--out", str(out), "--quiet"], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{tool} could not build {content}:\n{result.stdout}{result.stderr}")


def index_bytes(site):
    files = [site / "search-index.js"] + sorted((site / "search").glob("*.js")) if (site / "search").exists() else [site / "search-index.js"]
    return sum(f.stat().st_size for f in files)


def markdown_bytes(content):
    return sum(p.stat().st_size for p in Path(content).rglob("*.md"))


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--allow-file-access-from-files"):
        options.add_argument(arg)
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    service = Service("/usr/bin/chromedriver") if Path("/usr/bin/chromedriver").exists() else Service()
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_script_timeout(60)
    return driver


RUN = """
const [query, done] = arguments;
function load(src) { return new Promise((ok, fail) => { const s = document.createElement("script"); s.src = src; s.onload = ok; s.onerror = fail; document.head.appendChild(s); }); }
load("search-index.js").then(() => load("assets/search.js")).then(() => {
  window.HC_SEARCH.search(query, "", 30, found => {
    const loaded = [...document.querySelectorAll('script[src]')].map(s => s.getAttribute("src")).filter(s => s.startsWith("search"));
    done({ total: found.total, urls: found.docs.map(d => d.u), loaded });
  });
}, e => done({ error: String(e) }));
"""


def new_search(driver, site, query):
    driver.get((site / "index.html").as_uri())
    return driver.execute_async_script(RUN, query)


def decoded_words(site):
    """Words per doc of a version-2 index, read back in Python (SearchIndex.swift's format)."""
    index = json.loads(re.search(r"=\s*(\{.*\})\s*;", (site / "search-index.js").read_text(), re.S).group(1))
    final, more = "0123456789abcdefghijklmnopqrstuv", "wxyzABCDEFGHIJKLMNOPQRSTUVWXYZ$_"
    words = {}
    for i, (prefix, _) in enumerate(index["shards"]):
        text = re.match(r'HC_SEARCH_SHARD\(\d+,"(.*)"\);\n$', (site / f"search/t{i}.js").read_text(), re.S).group(1)
        parts = text.split(" ")
        for word, postings in zip(parts[0::2], parts[1::2]):
            value, doc = 0, -1
            for ch in postings:
                if ch in more:
                    value = value * 32 + more.index(ch)
                    continue
                value = value * 32 + final.index(ch)
                doc += 1 + value // 24
                words.setdefault(doc, set()).add(prefix + word)
                value = 0
    return words


def tokenizer_check(driver, after_tool, scratch):
    content = scratch / "mixed"
    (content / "01-c").mkdir(parents=True)
    (content / "course.yml").write_text("title: Mixed\n")
    (content / "01-c/01-mixed.md").write_text(MIXED)
    build(after_tool, content, scratch / "mixed-out")
    swift = set().union(*decoded_words(scratch / "mixed-out").values())
    title = re.search(r'title: "(.*)"', MIXED).group(1)
    text = title + " " + MIXED.split("---", 2)[2].replace("## ", "")
    driver.get((scratch / "mixed-out/index.html").as_uri())
    js = set(driver.execute_async_script(
        "const [text, done] = arguments; const s = document.createElement('script'); s.src = 'assets/search.js';"
        "s.onload = () => done(window.HC_SEARCH.tokens(text, false)); document.head.appendChild(s);", text))
    return swift, js


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", required=True, help="hypercourse writing the version-1 index")
    parser.add_argument("--after", required=True, help="hypercourse writing the sharded index")
    parser.add_argument("--content", default=str(REPO / "content"))
    parser.add_argument("--queries", help="one query a line")
    args = parser.parse_args()
    queries = Path(args.queries).read_text().split("\n") if args.queries else QUERIES
    queries = [q for q in queries if q.strip()]

    scratch = Path(tempfile.mkdtemp(prefix="hc-search-compare-"))
    try:
        # Copies: a build may refresh the records of the course it reads.
        for side in ("before", "after"):
            shutil.copytree(args.content, scratch / f"content-{side}")
        build(args.before, scratch / "content-before", scratch / "before")
        build(args.after, scratch / "content-after", scratch / "after")
        old = json.loads(re.search(r"=\s*(\{.*\})\s*;", (scratch / "before/search-index.js").read_text(), re.S).group(1))
        if old.get("version") != 1:
            sys.exit("--before did not write a version-1 search-index.js")
        docs = [dict(d, fp=fold(d["p"]), fh=fold(d["h"]), fx=fold(d["x"]), tp=tokens(d["p"]), th=tokens(d["h"]), tx=tokens(d["x"]))
                for d in old["docs"]]
        md = markdown_bytes(scratch / "content-after")
        whole = index_bytes(scratch / "after")
        print(f"Markdown {md} bytes; index before {index_bytes(scratch / 'before')} bytes ({index_bytes(scratch / 'before') / md:.2f}x), "
              f"after {whole} bytes ({whole / md:.2f}x, goal <= 0.33x)")
        driver = browser()
        failures, as_before = 0, 0
        try:
            print(f"{'query':22} {'substring':>9} {'words':>6} {'after':>6} {'after = words':>13} {'loaded':>8} share")
            for query in queries:
                a, w = old_search(docs, query), word_search(docs, query)
                b = new_search(driver, scratch / "after", query)
                if "error" in b:
                    sys.exit(f"{query!r}: {b['error']}")
                loaded = sum((scratch / "after" / f).stat().st_size for f in ["search-index.js"] + b["loaded"])
                same = w["total"] == b["total"] and w["urls"] == b["urls"]
                as_before += a["total"] == b["total"] and a["urls"] == b["urls"]
                failures += not same
                print(f"{query:22} {a['total']:9} {w['total']:6} {b['total']:6} {'yes' if same else 'NO':>13} {loaded:8} {loaded / whole:5.1%}")
                if not same:
                    print(f"    words: {w['urls'][:6]}\n    after: {b['urls'][:6]}")
                elif a["urls"] != b["urls"]:
                    only = sorted(set(a["urls"]) - set(b["urls"]))
                    print(f"    substring search differs: {a['total'] - b['total']} more sections"
                          + (f", e.g. {only[:3]}" if only else ", same sections in another order (mid-word uses counted)"))
            swift, js = tokenizer_check(driver, args.after, scratch)
        finally:
            driver.quit()
        agree = swift == js
        print(f"tokenizers: {'agree' if agree else 'DISAGREE'} on {len(swift)} words of mixed scripts"
              + ("" if agree else f"; Swift only {sorted(swift - js)}, JS only {sorted(js - swift)}"))
        print(f"{len(queries) - failures} of {len(queries)} queries give the same results as the word ranking over the full text; "
              f"{as_before} the same as the substring search before (the others: words a query word matched in their middle)")
        sys.exit(1 if failures or not agree else 0)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
