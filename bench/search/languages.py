#!/usr/bin/env python3
"""The search index of each language of a built site: its size against the Markdown it indexes, and
what a query loads, measured in headless Chromium from file://.

    /usr/bin/python3 bench/search/languages.py [--site public] [--content content]

For the default language (the site's root) and each other language (the folders the home page's
`<link rel="alternate" hreflang>`s name): the index's files and bytes (search-index.js and search/),
the Markdown of that language's pages (a translation where there is one, else the original, which the
page then shows), the ratio, and for each sample query the index files its page loaded and their bytes
(the scripts its search added to the page, sized from the files on disk).
"""
import argparse
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "Tests/browser"))
from check_site import Site, make_driver  # noqa: E402
from language_checks import other_languages, run_query  # noqa: E402

QUERIES = {"": ["kvm", "shadow paging", "vm exit", "dirty log"], "zh": ["虚拟化", "影子页表", "KVM 内存", "脏页日志"]}


RECORD_SCRIPTS = """window.__hcLoaded = [];
const add = document.head.appendChild.bind(document.head);
document.head.appendChild = node => { if (node.src) window.__hcLoaded.push(node.src); return add(node); };"""


def index_files(folder):
    return [folder / "search-index.js"] + sorted((folder / "search").glob("*.js"))


def markdown_bytes(content, code):
    """The Markdown of one language's pages: each page's translation in `code`, else its original."""
    total = 0
    for original in content.rglob("*.md"):
        stem = original.name[:-3]
        if re.search(r"\.[a-z]{2}(-[A-Za-z]+)?$", stem):
            continue  # a translation: counted with its original
        translated = original.with_name(f"{stem}.{code}.md") if code else None
        total += (translated if translated and translated.exists() else original).stat().st_size
    return total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--site", default="public")
    parser.add_argument("--content", default="content")
    args = parser.parse_args()
    site_root, content = Path(args.site).resolve(), Path(args.content).resolve()
    languages = {"": ""} | {code: folder for code, folder in other_languages(site_root).items()}
    driver = make_driver()
    try:
        site = Site(driver, site_root)
        for code, folder in languages.items():
            root = site_root / folder
            files = index_files(root)
            size = sum(f.stat().st_size for f in files)
            md = markdown_bytes(content, code)
            print(f"{code or 'default'}: index {len(files)} files, {size / 1024:.0f} KB; Markdown {md / 1024:.0f} KB; ratio {size / md:.2f}")
            for query in QUERIES.get(code, QUERIES[""]):
                site.open(f"{folder}/index.html" if folder else "index.html")
                # Chromium keeps no resource timing for file://: the scripts search adds are counted as added.
                site.js(RECORD_SCRIPTS)
                results = run_query(site, None, query)
                loaded = site.js("return window.__hcLoaded.map(u => decodeURI(u))")
                paths = {Path(u.replace("file://", "")) for u in loaded}
                index_bytes = sum(p.stat().st_size for p in paths if p.name != "search.js")
                print(f"  {query!r}: {len(results)} results shown; loaded {len(paths)} index files, {index_bytes / 1024:.1f} KB "
                      f"({100 * index_bytes / size:.0f} % of the index)")
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
