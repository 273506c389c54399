#!/usr/bin/env python3
"""Live reload in headless Chromium, against the real `hypercourse serve`.

    python3 Tests/browser/check_live_reload.py

Serves a copy of the fixture course on a free port, opens a lesson, and edits the lesson on disk:
the open page must reload by itself and show the edit; a broken edit must show the build's error on
the open page (and on a page opened after it); fixing it must reload the page again. Screenshots of
the error panel, desktop and 375 px wide, go to screenshots/. Exits non-zero on the first failure.
"""
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_site import REPO, check, fail, make_driver, say, screenshot_folder, the_tool  # noqa: E402  (re-runs under the system python3 first)

from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

LESSON = "01-foundations/01-what-is-a-vm.md"
PAGE = "foundations/what-is-a-vm.html"


def start_server(tool, content, out):
    """`hypercourse serve` on a free port; returns the process and its base URL."""
    server = subprocess.Popen([str(tool), "serve", "--port", "0", "--content", str(content), "--out", str(out)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 300
    for line in server.stdout:
        match = re.search(r"on (http://127\.0\.0\.1:\d+/)", line)
        if match:
            # The browser check maps every name but localhost to nowhere, IP literals included.
            return server, match.group(1).replace("127.0.0.1", "localhost")
        if time.time() > deadline:
            break
    server.kill()
    fail("hypercourse serve did not say where it listens")


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    check(old in text, f"{path.name} does not contain {old!r}")
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def wait_for_reload(driver, what, seconds=120):
    """Waits until the page was loaded anew (the marker set on the old one is gone)."""
    try:
        WebDriverWait(driver, seconds, poll_frequency=0.2).until(
            lambda d: d.execute_script("return document.readyState === 'complete' && !window.hcOldPage"))
    except Exception:
        fail(f"the open page did not reload after {what}")
    driver.execute_script("window.hcOldPage = true")


def error_panel(driver, seconds=120):
    try:
        return WebDriverWait(driver, seconds, poll_frequency=0.2).until(
            lambda d: d.execute_script("var e = document.getElementById('hc-build-error'); return e && e.textContent"))
    except Exception:
        fail("the build error did not appear on the open page")


def main():
    tool = the_tool()
    with tempfile.TemporaryDirectory(prefix="hc-live-reload-") as scratch:
        content = Path(scratch) / "course"
        shutil.copytree(REPO / "Tests/SiteTests/Fixtures/course", content)
        server, base = start_server(tool, content, Path(scratch) / "out")
        driver = make_driver()
        try:
            run(driver, base, content / LESSON)
        finally:
            driver.quit()
            server.terminate()
            server.wait(timeout=30)


def run(driver, base, lesson):
    driver.get(base + PAGE)
    check("What is a virtual machine?" in driver.title, f"unexpected title {driver.title!r}")
    token = driver.execute_script("var s = document.getElementById('hc-live'); return s && s.dataset.token")
    check(token and re.fullmatch(r"[0-9a-f]{64}", token), "the served page carries no server token")
    driver.execute_script("window.hcOldPage = true")
    say(f"serving {base}: page open, reload script and token in it")

    edit(lesson, "gives each guest the illusion", "gives every guest the live-reloaded illusion")
    wait_for_reload(driver, "an edit")
    check("live-reloaded illusion" in driver.page_source, "the reloaded page does not show the edit")
    say("an edit to the lesson reloads the open page with the change")

    edit(lesson, "## Three properties", "## Three properties\n\nSee [the missing page](no-such-lesson.md).")
    message = error_panel(driver)
    check("no-such-lesson" in message and "what-is-a-vm.md" in message, f"the error panel says {message!r}")
    driver.set_window_size(1280, 800)
    driver.save_screenshot(str(screenshot_folder() / "live-reload-error.png"))
    driver.set_window_size(375, 800)
    driver.get(base + "foundations/")
    later = error_panel(driver, seconds=20)
    check("no-such-lesson" in later, "a page opened after the failure does not show it")
    driver.save_screenshot(str(screenshot_folder() / "live-reload-error-375.png"))
    driver.set_window_size(1280, 800)
    say("a broken edit shows the build error on the open page and on pages opened later (screenshots)")

    driver.get(base + PAGE)
    driver.execute_script("window.hcOldPage = true")
    edit(lesson, "\n\nSee [the missing page](no-such-lesson.md).", "")
    wait_for_reload(driver, "the fix")
    check(not driver.execute_script("return document.getElementById('hc-build-error')"), "the error panel stayed after the fix")
    say("fixing it reloads the page without the error")


if __name__ == "__main__":
    main()
