"""The built site's HTML pages, for the browser check's modules: found and read once, then shared
(the site does not change while it is checked)."""
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=None)
def page_texts(root):
    """{path relative to `root`, as a URL path: the page's HTML} for every page, in a stable order.
    Each chapter's print page (CHAPTER/_print.html) repeats bodies print.html holds and the check
    of the print pages looks at on its own, so it is left out."""
    root = Path(root)
    pages = {html.relative_to(root).as_posix(): html for html in root.rglob("*.html") if html.name != "_print.html"}
    return {path: pages[path].read_text(encoding="utf-8") for path in sorted(pages)}


def site_pages(root):
    """Every HTML page of the built site, in a stable order."""
    return list(page_texts(root))
