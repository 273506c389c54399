#!/usr/bin/env python3
"""Browser check of a built Hypercourse site, through file:// in headless Chromium.

    python3 Tests/browser/check_site.py public

Opens the site with the network disabled, walks it with the sidebar and the "Next" links, runs a
search, toggles dark mode, checks keyboard entry and the 360/375 px layouts, the other languages
(language_checks.py: the switch, their pages and search, Chinese screenshots), the exercise cards
(exercise_checks.py), theme details (theme_checks.py) and, with axe-core 4, the accessibility of every
page in both themes at 1366 and 375 px (axe_checks.py; HC_AXE_JS names axe.min.js, which ./make.sh
fetches), and saves screenshots to screenshots/. Exits non-zero on the first failing step.

When content/ has lessons, the check is of the real course: public/ must be its build (./make.sh
browser-check builds it first; a missing or foreign public/ is built here). Without lessons, a copy of
the fixture course (Tests/SiteTests/Fixtures/course) is built into public/. No untracked files are left.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Debian's python3-selenium lives in the system interpreter; a pyenv or venv python3 on PATH
# may not see it. Re-run under /usr/bin/python3 in that case.
try:
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
    from axe_checks import accessibility
    from download_checks import copy_buttons_clear_of_code, exercise_downloads, kernel_exercises
    from pdf_checks import pdf_editions
    from exercise_checks import exercise_cards, exercise_pages, predictions
    from language_checks import languages
    from site_pages import site_pages
    from theme_checks import luminance, theme_details
except ImportError:
    system = "/usr/bin/python3"
    if os.path.realpath(sys.executable) != os.path.realpath(system) and os.path.exists(system) and not os.environ.get("HC_REEXEC"):
        os.environ["HC_REEXEC"] = "1"
        os.execv(system, [system] + sys.argv)
    sys.exit("selenium is missing: apt-get install python3-selenium chromium chromium-driver")

STEP = 0


def say(message):
    global STEP
    STEP += 1
    print(f"  [{STEP:2}] {message}", flush=True)


def fail(message):
    print(f"browser check FAILED: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def has_lessons(content):
    return content.is_dir() and any(p.suffix == ".md" for p in content.rglob("*.md"))


def course_title(content):
    """The title in content/course.yml, if any (what the home page's <title> shows)."""
    config = content / "course.yml"
    if not config.exists():
        return None
    match = re.search(r'^title:\s*["\']?(.*?)["\']?\s*$', config.read_text(encoding="utf-8"), re.M)
    return match.group(1) if match else None


def the_tool():
    named = os.environ.get("HYPERCOURSE_TOOL")  # ./make.sh browser-check passes the binary it chose
    candidates = [REPO / named] if named else [REPO / ".build/release/hypercourse", REPO / ".build/debug/hypercourse"]
    tool = next((p for p in candidates if p.exists()), None)
    if tool is None:
        subprocess.run(["swift", "build", "-c", "release", "--product", "hypercourse"], cwd=REPO, check=True)
        tool = REPO / ".build/release/hypercourse"
    return tool


def ensure_site(site):
    """Makes sure `site` holds the course to check; returns what it holds."""
    is_repo_site = site.resolve() == (REPO / "public").resolve()
    if not is_repo_site:
        check((site / "index.html").exists(), f"{site}/index.html not found; build the site first")
        return str(site)
    content = REPO / "content"
    if has_lessons(content):
        title = course_title(content)
        index = site / "index.html"
        built = index.exists() and (title is None or f"<title>{escape_html(title)}</title>" in index.read_text(encoding="utf-8"))
        if not built:
            print(f"public/ does not hold the course in content/: building it")
            subprocess.run([str(the_tool()), "build", "--content", str(content), "--out", str(site), "--quiet", "--force"], cwd=REPO, check=True)
        return "content/"
    # No lessons yet: the fixture course, built from a copy so that nothing (records, the exercise
    # cache) is ever written next to the fixture in the repository.
    with tempfile.TemporaryDirectory(prefix="hc-browser-fixture-") as scratch:
        copy = Path(scratch) / "course"
        shutil.copytree(REPO / "Tests/SiteTests/Fixtures/course", copy)
        print(f"content/ has no lessons yet: building a copy of the fixture course into {site}/")
        subprocess.run([str(the_tool()), "build", "--content", str(copy), "--out", str(site), "--quiet", "--force"], cwd=REPO, check=True)
    return "the fixture course"


def escape_html(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;").replace("'", "&#39;")


def untracked_files():
    """Untracked, not ignored files in the repository (None outside a git checkout)."""
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return {line[3:] for line in out.splitlines() if line.startswith("?? ")}


def make_driver():
    options = Options()
    for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                "--allow-file-access-from-files", "--force-device-scale-factor=1",
                # No network at all: every URL must be local.
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost", "--proxy-server=http://0.0.0.0:9"]:
        options.add_argument(arg)
    for binary in ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]:
        if os.path.exists(binary):
            options.binary_location = binary
            break
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver_path = "/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None
    service = Service(driver_path) if driver_path else Service()
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(120)
    # Scripts return at once (axe runs asynchronously and is polled), but a renderer still busy with
    # the last axe run on a loaded machine answered after selenium's default 30 s, and print.html
    # took over 30 s to load beside an axe run there.
    driver.set_script_timeout(120)
    return driver


def screenshot_folder():
    """screenshots/ in the repository (git-ignored), made when missing."""
    out = REPO / "screenshots"
    out.mkdir(exist_ok=True)
    return out


class Site:
    def __init__(self, driver, root):
        self.d = driver
        self.root = root

    def url(self, path):
        return (self.root / path).resolve().as_uri()

    def open(self, path):
        self.d.get(self.url(path))
        self.ready()

    def ready(self):
        WebDriverWait(self.d, 10).until(lambda d: d.execute_script("return document.readyState") == "complete")

    def js(self, script, *args):
        return self.d.execute_script(script, *args)

    def current_path(self):
        path = urllib.parse.unquote(urllib.parse.urlparse(self.d.current_url).path)
        return os.path.relpath(path, self.root.resolve())

    def page_checks(self):
        """What every page must satisfy: lang, one h1, only local resources, no JS errors."""
        lang = self.js("return document.documentElement.getAttribute('lang')")
        check(lang, f"{self.current_path()}: <html> has no lang")
        check(self.js("return document.querySelectorAll('h1').length") >= 1, f"{self.current_path()}: no <h1>")
        remote = self.js("""return performance.getEntriesByType('resource').map(e => e.name)
                            .filter(u => !u.startsWith('file:') && !u.startsWith('data:'))""")
        check(not remote, f"{self.current_path()}: loads remote resources {remote}")
        try:
            errors = [e for e in self.d.get_log("browser") if e.get("level") == "SEVERE" and "favicon" not in e.get("message", "")]
        except WebDriverException:
            errors = []
        check(not errors, f"{self.current_path()}: console errors {errors}")

    def sideways_overflow(self):
        """How far the open page scrolls sideways, in CSS pixels."""
        return self.js("return document.documentElement.scrollWidth - document.documentElement.clientWidth")

    def click(self, element):
        """Scrolls the element to the middle of the window (clear of the sticky header) and clicks it."""
        self.js("arguments[0].scrollIntoView({block: 'center', inline: 'nearest', behavior: 'instant'})", element)
        time.sleep(0.05)
        element.click()

    def screenshot(self, name, limit=4000):
        out = screenshot_folder()
        height = min(self.js("return document.documentElement.scrollHeight"), limit)
        width = self.js("return window.innerWidth")
        self.d.set_window_size(width, max(height, 700))
        time.sleep(0.2)
        self.d.save_screenshot(str(out / name))
        return out / name


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    root = Path(sys.argv[1])
    if not root.is_absolute():
        root = (Path.cwd() / root)
    untracked_before = untracked_files()
    source = ensure_site(root)
    check((root / "index.html").exists(), f"{root}/index.html missing")
    print(f"Browser check of {root}/ ({source}) through file://")
    driver = make_driver()
    try:
        site = Site(driver, root)
        run(site)
        languages(site, say, check)
        exercise_cards(site, say, check)
        exercise_downloads(site, say, check, [path for _, path, _, _ in exercise_pages(root)], the_tool(),
                           kernel_exercises(REPO / "content") if source == "content/" else frozenset())
        copy_buttons_clear_of_code(site, say, check, [p for p in site_pages(root) if p != "print.html"])
        predictions(site, say, check)
        theme_details(site, say, check)
        accessibility(site, say, check)
        pdf_editions(root, screenshot_folder(), say, check)
    finally:
        driver.quit()
    untracked_after = untracked_files()
    if untracked_before is not None and untracked_after is not None:
        left = sorted(untracked_after - untracked_before)
        check(not left, f"the check left untracked files in the repository: {left[:10]}")
    print("browser check passed")


def run(site):
    d = site.d
    d.set_window_size(1366, 900)

    # Home page and the outline.
    site.open("index.html")
    site.page_checks()
    outline = site.js("return [...document.querySelectorAll('.outline-chapters a')].map(a => a.getAttribute('href'))")
    check(outline, "home page has no course outline")
    lesson_urls = site.js("return [...document.querySelectorAll('.outline-lessons a')].map(a => a.getAttribute('href'))")
    chapter_urls = [u for u in outline if u not in lesson_urls]
    say(f"home page: {len(chapter_urls)} chapters, {len(lesson_urls)} lessons in the outline")
    check(lesson_urls, "the outline lists no lessons")

    # Keyboard: the first Tab stop is the skip link, and it moves focus to <main>.
    d.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    check(site.js("return document.activeElement.classList.contains('skip-link')"), "first Tab stop is not the skip link")
    d.switch_to.active_element.send_keys(Keys.ENTER)
    time.sleep(0.2)
    check(site.js("return document.activeElement.id") == "hc-main" or d.current_url.endswith("#hc-main"), "skip link does not reach <main>")
    say("keyboard: skip link is the first Tab stop and reaches <main>")

    # Sidebar navigation: a chapter, then its first lesson.
    site.open("index.html")
    first_chapter = d.find_element(By.CSS_SELECTOR, ".sidebar .nav-chapter-link")
    # A sidebar link is its number (a span) and its title (the text after it).
    link_title = "return arguments[0].lastChild.textContent.trim()"
    chapter_title = d.execute_script(link_title, first_chapter)
    site.click(first_chapter)
    site.ready()
    check(chapter_title in d.find_element(By.TAG_NAME, "h1").text, f"sidebar chapter link led to '{d.find_element(By.TAG_NAME, 'h1').text}'")
    site.page_checks()
    lesson_link = d.find_element(By.CSS_SELECTOR, ".sidebar .nav-lessons a")
    lesson_title = d.execute_script(link_title, lesson_link)
    site.click(lesson_link)
    site.ready()
    check(d.find_element(By.TAG_NAME, "h1").text.strip() == lesson_title, "sidebar lesson link led to the wrong page")
    current = site.js("return [...document.querySelectorAll('.sidebar [aria-current=page]')].map(e => e.lastChild.textContent.trim())")
    check(current == [lesson_title], f"sidebar marks {current} as current, expected {lesson_title}")
    chapters_listed = site.js("return document.querySelectorAll('.sidebar .nav-chapter').length")
    check(chapters_listed == len(chapter_urls), f"the sidebar lists {chapters_listed} chapters, the outline {len(chapter_urls)}")
    say(f"sidebar: '{chapter_title}' → '{lesson_title}', current lesson marked; all {chapters_listed} chapters listed (sidebar.js)")

    # Without JavaScript the page's own sidebar: its chapter, the current lesson marked, a link to the outline.
    d.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        site.open(site.current_path())
        check(site.js("return !document.documentElement.classList.contains('js')"), "the page's scripts ran although they are disabled")
        current = site.js("return [...document.querySelectorAll('.sidebar [aria-current=page]')].map(e => e.lastChild.textContent.trim())")
        check(current == [lesson_title], f"without JavaScript the sidebar marks {current} as current, expected {lesson_title}")
        outline_link = site.js("const a = document.querySelector('.sidebar .nav-outline a'); return a && a.offsetParent !== null ? a.getAttribute('href') : null")
        check(outline_link and outline_link.endswith("index.html#hc-outline-title"), f"without JavaScript the sidebar has no visible link to the outline ({outline_link})")
    finally:
        d.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
    say("sidebar without JavaScript: the current chapter, the lesson marked, a link to the outline")

    # Next links through the whole course, from the first chapter page to the end.
    site.open(chapter_urls[0] if chapter_urls else lesson_urls[0])
    visited = [site.current_path()]
    while True:
        nxt = d.find_elements(By.CSS_SELECTOR, "a.pager-next")
        if not nxt:
            break
        expected = nxt[0].find_element(By.CSS_SELECTOR, ".pager-title").text.strip()
        site.click(nxt[0])
        site.ready()
        check(d.find_element(By.TAG_NAME, "h1").text.strip() == expected, f"'Next' promised '{expected}', got '{d.find_element(By.TAG_NAME, 'h1').text}'")
        site.page_checks()
        visited.append(site.current_path())
        check(len(visited) <= 5000, "'Next' links loop")
    expected_pages = len(chapter_urls) + len(lesson_urls)
    check(len(visited) == expected_pages, f"'Next' visited {len(visited)} pages, the outline has {expected_pages}")
    check(len(set(visited)) == len(visited), "'Next' visited a page twice")
    say(f"next links: walked all {len(visited)} pages in order")

    # Previous link goes back.
    prev = d.find_elements(By.CSS_SELECTOR, "a.pager-prev")
    check(prev, "last page has no 'Previous' link")
    site.click(prev[0])
    site.ready()
    check(site.current_path() == visited[-2], "'Previous' did not go back one page")
    say("previous link goes back")

    # Search: a word from a lesson title must find that lesson.
    site.open(lesson_urls[0])
    title = d.find_element(By.TAG_NAME, "h1").text.strip()
    words = sorted(re.findall(r"[^\W\d_]{4,}", title), key=len, reverse=True) or [title[:4]]
    query = words[0]
    box = d.find_element(By.ID, "hc-search-input")
    check(box.is_displayed(), "search box is not visible")
    box.click()
    box.send_keys(query)
    WebDriverWait(d, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#hc-search-results a"))
    results = site.js("return [...document.querySelectorAll('#hc-search-results a')].map(a => a.textContent)")
    check(any(title in r for r in results), f"search for '{query}' did not list '{title}': {results[:5]}")
    status = d.find_element(By.ID, "hc-search-status").text
    check(status, "search shows no result count")
    # Keyboard: arrow down to the first result, Enter opens it.
    box.send_keys(Keys.ARROW_DOWN)
    check(site.js("return document.activeElement.closest('#hc-search-results') !== null"), "ArrowDown does not reach the results")
    target = site.js("return document.activeElement.getAttribute('href')")
    d.switch_to.active_element.send_keys(Keys.ENTER)
    site.ready()
    check(site.current_path().split("#")[0] == os.path.normpath(os.path.join(os.path.dirname(lesson_urls[0]), target)).split("#")[0],
          f"search result opened {site.current_path()}, expected {target}")
    site.page_checks()
    say(f"search: '{query}' → {status}; first result opened with the keyboard")

    # A section-level query: a heading inside a lesson must be found as a section.
    site.open(lesson_urls[0])
    heading = site.js("const h = document.querySelector('.content h2'); return h ? h.firstChild.textContent.trim() : null")
    if heading:
        box = d.find_element(By.ID, "hc-search-input")
        box.click()
        box.send_keys(heading)
        WebDriverWait(d, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#hc-search-results a"))
        hrefs = site.js("return [...document.querySelectorAll('#hc-search-results a')].map(a => a.getAttribute('href'))")
        check(any("#" in h for h in hrefs), f"search for the heading '{heading}' found no section: {hrefs[:5]}")
        say(f"search: heading '{heading}' found as a section")

    # Dark mode: follows the toggle, is remembered across pages and reloads.
    site.open(lesson_urls[0])
    light_bg = site.js("return getComputedStyle(document.body).backgroundColor")
    toggle = d.find_element(By.CSS_SELECTOR, ".theme-toggle")
    check(toggle.is_displayed(), "dark-mode toggle is not visible")
    check(toggle.get_attribute("aria-pressed") == "false", "page starts dark without being asked")
    site.screenshot("desktop-light.png")
    d.set_window_size(1366, 900)
    site.click(toggle)
    time.sleep(0.2)
    dark_bg = site.js("return getComputedStyle(document.body).backgroundColor")
    check(site.js("return document.documentElement.dataset.theme") == "dark", "toggle did not set the dark theme")
    check(dark_bg != light_bg and luminance(dark_bg) < 0.2, f"background did not turn dark ({light_bg} → {dark_bg})")
    check(toggle.get_attribute("aria-pressed") == "true", "toggle does not report its state")
    site.open(lesson_urls[-1])
    check(site.js("return document.documentElement.dataset.theme") == "dark", "dark theme not remembered on the next page")
    site.open(lesson_urls[0])
    site.screenshot("desktop-dark.png")
    d.set_window_size(1366, 900)
    site.click(d.find_element(By.CSS_SELECTOR, ".theme-toggle"))
    check(luminance(site.js("return getComputedStyle(document.body).backgroundColor")) > 0.8, "toggle does not switch back to light")
    say("dark mode: toggles, reports aria-pressed, remembered across pages")

    # Narrow screens: no horizontal scrolling at 375 and 360 px; the menu opens the sidebar.
    for width in (375, 360):
        d.set_window_size(width, 800)
        site.open(lesson_urls[0])
        overflow = site.sideways_overflow()
        check(overflow <= 1, f"{width} px: page scrolls sideways by {overflow} px")
    d.set_window_size(375, 812)
    site.open(lesson_urls[0])
    menu = d.find_element(By.CSS_SELECTOR, ".menu-toggle")
    check(menu.is_displayed(), "375 px: no menu button")
    sidebar = d.find_element(By.ID, "hc-sidebar")
    check(not sidebar.is_displayed() or sidebar.location["x"] < -50, "375 px: sidebar covers the page before the menu is opened")
    site.click(menu)
    time.sleep(0.4)
    check(sidebar.is_displayed() and sidebar.location["x"] >= 0, "375 px: menu does not open the sidebar")
    check(menu.get_attribute("aria-expanded") == "true", "375 px: menu does not report aria-expanded")
    site.js("document.activeElement.blur()")
    d.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    time.sleep(0.4)
    check(menu.get_attribute("aria-expanded") == "false", "375 px: Escape does not close the menu")
    d.set_window_size(375, 812)
    site.open(lesson_urls[0])
    site.screenshot("mobile-375.png")
    say("375/360 px: no sideways scrolling; menu opens and closes the sidebar")

    # Print-all page and 404 page.
    d.set_window_size(1366, 900)
    site.open("print.html")
    site.page_checks()
    printed = site.js("return document.querySelectorAll('.print-lesson').length")
    check(printed == len(lesson_urls), f"print.html has {printed} lessons, the outline {len(lesson_urls)}")
    ids = site.js("return [...document.querySelectorAll('[id]')].map(e => e.id)")
    check(len(ids) == len(set(ids)), "print.html has duplicate ids")
    # Each chapter's print page: that chapter's lessons only; a link to another chapter leads to its print page.
    first_chapter_lessons = [u for u in lesson_urls if u.startswith(os.path.dirname(chapter_urls[0]) + "/")] if chapter_urls else []
    if chapter_urls:
        site.open(os.path.dirname(chapter_urls[0]) + "/_print.html")
        site.page_checks()
        chapter_printed = site.js("return document.querySelectorAll('.print-lesson').length")
        check(chapter_printed == len(first_chapter_lessons), f"the first chapter's print page has {chapter_printed} lessons, the outline {len(first_chapter_lessons)}")
        ids = site.js("return [...document.querySelectorAll('[id]')].map(e => e.id)")
        check(len(ids) == len(set(ids)), "the chapter's print page has duplicate ids")
        missing = site.js("return [...document.querySelectorAll('a[href^=\"#\"]')].map(a => a.getAttribute('href').slice(1)).filter(id => id && !document.getElementById(decodeURIComponent(id)))")
        check(not missing, f"the chapter's print page links to ids it does not have: {missing[:5]}")
    site.open("404.html")
    site.page_checks()
    say(f"print.html holds all {printed} lessons with unique ids; the first chapter's print page its {len(first_chapter_lessons)}; 404 page renders")

    # Exercises, when the course has them: guest output is text, never markup.
    site.open("print.html")
    exercises = site.js("return document.querySelectorAll('figure.exercise').length")
    if exercises:
        markup = site.js("return [...document.querySelectorAll('.guest-output samp')].filter(s => s.children.length > 0).length")
        check(markup == 0, "guest output contains HTML elements")
        say(f"exercises: {exercises} on print.html, guest output escaped")

    shots = sorted(p.name for p in (REPO / "screenshots").glob("*.png"))
    say(f"screenshots in screenshots/: {', '.join(shots)}")


if __name__ == "__main__":
    main()
