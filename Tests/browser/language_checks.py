"""A course in several languages, for check_site.py: the language switch both ways, the other
languages' pages (lang, their own print and 404 pages, no sideways scrolling at 375 px, screenshots
at 1366 and 375 px), and each language's own search over file:// with queries in its script, in
English and mixed (`KVM 内存`), their words highlighted in the results. axe_checks.py checks every
page of every language (site_pages finds them all). A one-language site is skipped, saying so."""
import html as htmllib
import os
import re
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

# Chinese queries tried on a Chinese site: those its pages contain are run (at least three must be).
CHINESE_QUERIES = ["虚拟化", "陷入", "影子页表", "特权指令", "敏感指令", "二进制翻译", "半虚拟化", "脏页"]
MIXED_QUERIES = ["KVM 内存", "EPT 页表", "VM 退出"]
ENGLISH_QUERIES = ["KVM", "ioctl"]
# The queries the course promises its Chinese readers: each must be on the Chinese pages and found.
REQUIRED_QUERIES = ["虚拟化", "陷入", "影子页表", "特权指令", "KVM 内存"]


def other_languages(root):
    """{code: folder} of the languages other than the default, from the home page's alternates."""
    home = (root / "index.html").read_text(encoding="utf-8")
    found = {}
    for code, href in re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', home):
        found[code] = os.path.dirname(href)
    return found


def page_text(root, path):
    """A built page's searchable text, lowercased as search folds it."""
    text = (root / path).read_text(encoding="utf-8")
    # What search indexes: the title and the body, up to the pager (which names other pages);
    # not the description or a chapter page's list of lessons.
    title = re.search(r'<h1 id="hc-page-title">(.*?)</h1>', text, re.S)
    body = text.split('<div class="content"', 1)[1] if '<div class="content"' in text else ""
    main = (title.group(1) if title else "") + " " + body.split('<nav class="pager"', 1)[0].split('<section class="lesson-list"', 1)[0]
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", main)).lower()


def holds(text, word):
    """Whether search should find `word` in `text`: a Latin word where a word begins (search matches
    words by their beginning: `ept` is not in `exception`), Han text anywhere."""
    if word.isascii():
        return re.search(r"(?<![a-z0-9])" + re.escape(word), text) is not None
    return word in text


def languages(site, say, check):
    root = site.root
    others = other_languages(root)
    if not others:
        say("languages: the course has one language; no language checks")
        return
    for code, folder in others.items():
        check((root / folder / "index.html").exists(), f"{folder}/index.html missing for language {code}")
        switch_both_ways(site, say, check, code, folder)
        pages_of(site, say, check, code, folder)
        search_in(site, say, check, code, folder)


def switch_both_ways(site, say, check, code, folder):
    d = site.d
    d.set_window_size(1366, 900)
    site.open("index.html")
    lessons = site.js("return [...document.querySelectorAll('.outline-lessons a')].map(a => a.getAttribute('href'))")
    check(lessons, "the home page lists no lessons")
    default = site.js("return document.documentElement.lang")
    lesson = lessons[len(lessons) // 2]
    site.open(lesson)
    for target, expected_path, lang in ((code, f"{folder}/{lesson}", code), (default, lesson, default)):
        link = d.find_element(By.CSS_SELECTOR, f".language-switch a[hreflang='{target}']")
        site.click(link)
        site.ready()
        check(site.current_path() == os.path.normpath(expected_path), f"the switch to {target} led to {site.current_path()}, not {expected_path}")
        check(site.js("return document.documentElement.lang") == lang, f"{site.current_path()}: lang is not {lang}")
        current = site.js("return [...document.querySelectorAll('.language-switch [aria-current=page]')].map(e => e.lang)")
        check(current == [lang], f"{site.current_path()}: the switch marks {current} as current, expected {lang}")
        alternates = site.js("return [...document.querySelectorAll('link[rel=alternate][hreflang]')].map(l => l.hreflang)")
        check(alternates and lang not in alternates, f"{site.current_path()}: alternates {alternates}")
        site.page_checks()
    say(f"languages: the switch leads from {lesson} to {folder}/{lesson} and back, marking the current language")


def pages_of(site, say, check, code, folder):
    d = site.d
    d.set_window_size(1366, 900)
    site.open(f"{folder}/index.html")
    site.page_checks()
    lessons = site.js("return [...document.querySelectorAll('.outline-lessons a')].map(a => a.getAttribute('href'))")
    check(lessons, f"{folder}/index.html lists no lessons")
    extra = [p for p in ("print.html", "404.html", "glossary.html") if (site.root / folder / p).exists()]
    check("print.html" in extra and "404.html" in extra, f"{folder}/ lacks its print or 404 page")
    for page in [lessons[0], lessons[-1]] + extra:
        site.open(f"{folder}/{page}")
        site.page_checks()
        check(site.js("return document.documentElement.lang") == code, f"{folder}/{page}: lang is not {code}")
    printed = None
    site.open(f"{folder}/print.html")
    printed = site.js("return document.querySelectorAll('.print-lesson').length")
    check(printed == len(lessons), f"{folder}/print.html has {printed} lessons, the outline {len(lessons)}")
    lesson = lessons[1] if len(lessons) > 1 else lessons[0]
    site.open(f"{folder}/{lesson}")
    site.screenshot(f"{code}-desktop.png")
    for width in (375, 360):
        d.set_window_size(width, 800)
        for page in ("index.html", lesson) + (("glossary.html",) if "glossary.html" in extra else ()):
            site.open(f"{folder}/{page}")
            overflow = site.sideways_overflow()
            check(overflow <= 1, f"{folder}/{page} at {width} px scrolls sideways by {overflow} px")
    d.set_window_size(375, 812)
    site.open(f"{folder}/{lesson}")
    site.screenshot(f"{code}-mobile-375.png")
    d.set_window_size(1366, 900)
    say(f"languages: {folder}/ has its home, {len(lessons)} lessons, {', '.join(extra)}; lang={code}; no sideways scrolling at 375/360 px; "
        f"screenshots {code}-desktop.png, {code}-mobile-375.png")


def run_query(site, check, query):
    d = site.d
    box = d.find_element(By.ID, "hc-search-input")
    box.clear()
    box.click()
    box.send_keys(query)
    WebDriverWait(d, 15).until(lambda d: d.find_element(By.ID, "hc-search-status").text not in ("",)
                               and d.find_elements(By.CSS_SELECTOR, "#hc-search-results a"))
    return site.js("""return [...document.querySelectorAll('#hc-search-results a')].map(a => ({
        href: a.getAttribute('href'), marks: [...a.querySelectorAll('mark')].map(m => m.textContent.toLowerCase())}))""")


def search_in(site, say, check, code, folder):
    root = site.root
    texts = {p: page_text(root / folder, p) for p in (str(x.relative_to(root / folder)) for x in (root / folder).rglob("*.html"))
             if not p.endswith("print.html") and p not in ("404.html", "glossary.html", "index.html")}
    everything = " ".join(texts.values())
    chinese = [q for q in CHINESE_QUERIES if q in everything] if code.startswith("zh") else []
    check(not code.startswith("zh") or len(chinese) >= 3, f"{folder}/ pages contain fewer than three of {CHINESE_QUERIES}")
    mixed = [q for q in MIXED_QUERIES if all(holds(everything, w.lower()) for w in q.split())] if code.startswith("zh") else []
    if code.startswith("zh"):
        absent = [q for q in REQUIRED_QUERIES if q not in chinese + mixed]
        check(not absent, f"{folder}/ pages lack {absent}, which the Chinese search must find")
    english = [q for q in ENGLISH_QUERIES if holds(everything, q.lower())]
    queries = chinese + mixed + english
    check(queries, f"{folder}/: no query to try")
    site.d.set_window_size(1366, 900)
    ran = []
    for query in queries:
        site.open(f"{folder}/index.html")
        results = run_query(site, check, query)
        check(results, f"{folder}/: search for '{query}' found nothing")
        first = os.path.normpath(results[0]["href"].split("#")[0])
        words = query.lower().split()
        check(first in texts and all(holds(texts[first], w) for w in words),
              f"{folder}/: the first result for '{query}' ({first}) does not contain it")
        check(any(all(any(w in m for m in r["marks"]) for w in words) for r in results),
              f"{folder}/: no result for '{query}' highlights {words}")
        # Every page the query's words are on is among the results (up to the 30 shown).
        holding = [p for p, t in texts.items() if all(holds(t, w) for w in words)]
        shown = {os.path.normpath(r["href"].split("#")[0]) for r in results}
        check(len(results) >= 30 or set(holding) <= shown, f"{folder}/: '{query}' missed {sorted(set(holding) - shown)[:5]}")
        ran.append(f"{query} → {len(results)}")
    say(f"languages: {folder}/ search over file:// ({len(chinese)} Chinese, {len(mixed)} mixed, {len(english)} English queries), "
        f"matches highlighted: {'; '.join(ran)}")
