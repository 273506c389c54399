#!/usr/bin/env python3
"""The playground in headless Chromium, against the real `hypercourse serve` and real KVM.

    python3 Tests/browser/check_playground.py

Serves a copy of the runner's fixture course (an exercise with hidden lines before and after the
shown ones, and an include) on a free port, and on its card: Edit shows a textarea with line numbers
where Tab indents; Run shows the new output, end and exit counts in the card; an assembler error is
shown at the student's line; Compare shows the edit as a diff; Reset brings the lesson's version
back. The editor draws its text highlighted exactly as the built card (the server's highlighter)
and keeps it so while typing; Copy all copies the edit with the hidden lines while the editor is
open (the real clipboard); Escape and Close leave the editor for the lesson's card, focus on Edit. axe (HC_AXE_JS, as ./make.sh fetches it) checks the card with the editor open, in both themes.
The same page from file:// keeps the one-line hint instead. Screenshots at 1280 and 375 px go to
screenshots/. Exits non-zero on the first failure.
"""
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_live_reload import start_server  # noqa: E402
from check_site import REPO, check, fail, make_driver, say, screenshot_folder, the_tool  # noqa: E402

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

PAGE = "modes/assembly.html"
CARD = "#exercise-fx-protected"


def main():
    if not os.path.exists("/dev/kvm"):
        print("playground check skipped: /dev/kvm is missing, and the playground runs guests on it")
        return
    tool = the_tool()
    with tempfile.TemporaryDirectory(prefix="hc-playground-") as scratch:
        content = Path(scratch) / "course"
        shutil.copytree(REPO / "Tests/HypercourseTests/Fixtures/course", content)
        out = Path(scratch) / "out"
        server, base = start_server(tool, content, out)
        driver = make_driver()
        try:
            run(driver, base)
            static(driver, out)
        finally:
            driver.quit()
            server.terminate()
            server.wait(timeout=30)


def wait(driver, script, what, seconds=120):
    try:
        return WebDriverWait(driver, seconds, poll_frequency=0.2).until(lambda d: d.execute_script(script))
    except Exception:
        fail(f"timed out waiting for {what}")


def press(driver, name):
    """Clicks the card's button `name` in the middle of the window (the sticky header would cover it
    at the top), scrolled there at once: the page scrolls smoothly, and a click mid-scroll misses."""
    button = driver.find_element(By.CSS_SELECTOR, f"{CARD} .playground-{name}")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", button)
    button.click()


def card_text(driver, selector):
    return driver.execute_script(f"var e = document.querySelector('{CARD} {selector}'); return e ? e.textContent : null")


def run(driver, base):
    driver.set_window_size(1280, 900)
    driver.get(base + PAGE)
    card = driver.find_element(By.CSS_SELECTOR, CARD)
    check(not card.find_elements(By.CSS_SELECTOR, ".exercise-playground-hint"), "the served card still shows the hint")
    check(card_text(driver, ".guest-output samp") == "P\n", "the built card does not show the recorded output")
    press(driver, "edit")
    area = card.find_element(By.CSS_SELECTOR, "textarea.playground-text")
    check(area.is_displayed() and "mov al, 'P'" in area.get_property("value"), "Edit did not open the shown source in a textarea")
    check("[hide]" not in area.get_property("value") and "bits 32" not in area.get_property("value"), "hidden lines are in the editor")
    gutter = card.find_element(By.CSS_SELECTOR, ".playground-gutter").text.split()
    check(gutter[:5] == ["1", "2", "3", "4", "5"], f"line numbers are {gutter}")
    highlighting(driver, area)
    area.send_keys(Keys.CONTROL, "a")
    area.send_keys(Keys.DELETE)
    area.send_keys("    mov al, '<'\n    call putc\n    mov al, 10\n    call putc\n", Keys.TAB, "hlt")
    check(area.get_property("value").endswith("\n    hlt"), "Tab did not indent in the editor")
    say("Edit: the shown source (hidden lines left out) in a textarea with line numbers; Tab indents")

    press(driver, "run")
    wait(driver, f"var s = document.querySelector('{CARD} samp'); return s && s.textContent === '<\\n'", "the new output")
    status = card_text(driver, ".playground-status")
    check("halt" in status, f"the status after Run says {status!r}")
    check("Your version" in card_text(driver, ".exercise-provenance"), "the card does not say the result is the student's")
    check(card_text(driver, ".exit-counts") and "io-out" in card_text(driver, ".exit-counts"), "no exit counts after Run")
    driver.save_screenshot(str(screenshot_folder() / "playground-run.png"))
    say("Run: the card shows the new output (escaped), end and exit counts (screenshot)")

    press(driver, "compare")
    diff = card_text(driver, ".playground-diff")
    check("- " + "    mov al, 'P'" in diff and "+ " + "    mov al, '<'" in diff, f"Compare shows {diff!r}")
    check("+ <" in diff, f"Compare does not show the output's change: {diff!r}")
    say("Compare: the source and the output against the lesson's version, as a line diff")

    copy_and_close(driver, card, area)

    area.send_keys(Keys.CONTROL, "a")
    area.send_keys(Keys.DELETE)
    area.send_keys("    mov al, 'P'\n    call putc\n    mov al, nowhere\n    hlt\n")
    press(driver, "run")
    wait(driver, f"var e = document.querySelector('{CARD} .playground-errors'); return e && !e.hidden", "the error")
    errors = card_text(driver, ".playground-errors")
    check(errors.startswith("line 3:") and "nowhere" in errors, f"the error reads {errors!r}")
    marked = driver.execute_script(f"return document.querySelector('{CARD} .playground-gutter .is-error').textContent")
    check(marked == "3", f"the gutter marks line {marked}")
    axe(driver)
    driver.set_window_size(375, 900)
    driver.execute_script(f"document.querySelector('{CARD}').scrollIntoView()")
    driver.save_screenshot(str(screenshot_folder() / "playground-error-375.png"))
    driver.set_window_size(1280, 900)
    say("an assembler error at the student's line, marked in the gutter (screenshot at 375 px)")

    press(driver, "reset")
    check(card_text(driver, ".guest-output samp") == "P\n", "Reset did not bring back the recorded output")
    check(area.get_property("value").startswith("    mov al, 'P'\n    call putc\n    mov al, 10"), "Reset did not bring back the source")
    check(not card_text(driver, ".playground-errors") or not driver.execute_script(
        f"return !document.querySelector('{CARD} .playground-errors').hidden"), "Reset left the errors")
    say("Reset: the lesson's version and its recorded result again")


def shade(driver):
    """The editor's highlighted copy: its line HTML, and whether its text is the textarea's."""
    return driver.execute_script(
        f"var s = document.querySelector('{CARD} .playground-highlight code'), a = document.querySelector('{CARD} textarea');"
        "return [s.innerHTML.replace(/\\n$/, '').split('\\n'), s.textContent === a.value + '\\n'];")


def highlighting(driver, area):
    """The editor draws its text highlighted as the build highlights it, in place of the textarea's
    own glyphs, and keeps doing so while the student types."""
    built = driver.execute_script(
        f"return Array.prototype.map.call(document.querySelectorAll('{CARD} .exercise-source .line'), function (l) {{ return l.innerHTML; }})")
    lines, same = shade(driver)
    check(same and lines == built, f"the editor's highlighting {lines} is not the built card's {built}")
    look = driver.execute_script(
        f"var a = document.querySelector('{CARD} textarea'), s = document.querySelector('{CARD} .playground-highlight');"
        "var ca = getComputedStyle(a), cs = getComputedStyle(s), ra = a.getBoundingClientRect(), rs = s.getBoundingClientRect();"
        "return [ca.color, ['fontFamily', 'fontSize', 'lineHeight', 'paddingTop', 'paddingLeft', 'tabSize', 'whiteSpace']"
        ".filter(function (k) { return ca[k] !== cs[k]; }), Math.abs(ra.left - rs.left) + Math.abs(ra.top - rs.top)];")
    check(look[0] == "rgba(0, 0, 0, 0)" and not look[1] and look[2] < 1,
          f"the textarea is not a transparent layer over its highlighted copy: color {look[0]}, differing {look[1]}, offset {look[2]}")
    area.send_keys(Keys.CONTROL + Keys.END)
    area.send_keys(Keys.ENTER, "    out 0x80, al ; typed")
    wait(driver, f"return document.querySelector('{CARD} .playground-highlight code').innerHTML.indexOf("
         "'<span class=\"c\">; typed</span>') >= 0", "the typed line highlighted")
    lines, same = shade(driver)
    check(same, "the editor's highlighted copy does not hold the textarea's text after typing")
    check('<span class="k">out</span> <span class="m">0x80</span>, <span class="nb">al</span>' in lines[-1],
          f"the typed line is highlighted as {lines[-1]!r}")
    driver.execute_script(f"document.querySelector('{CARD}').scrollIntoView()")
    driver.save_screenshot(str(screenshot_folder() / "playground-editor.png"))
    driver.set_window_size(375, 900)
    driver.execute_script(f"document.querySelector('{CARD} textarea').scrollIntoView({{block: 'center'}})")
    wide = driver.execute_script("return document.documentElement.scrollWidth")
    check(wide <= 375, f"at 375 px the page is {wide} px wide with the editor open")
    driver.save_screenshot(str(screenshot_folder() / "playground-editor-375.png"))
    driver.set_window_size(1280, 900)
    say("the editor: highlighted as the built card (same HTML per line), a transparent textarea over it,"
        " highlighting follows typing; 375 px without sideways scrolling (screenshots)")


def copy_all(driver, copy):
    """Clicks the card's Copy all and reads the real clipboard once it says it copied."""
    done = f"return document.querySelector('{CARD} .exercise-head .copy-button').classList.contains('is-done')"
    wait(driver, done.replace("return ", "return !"), "the copy button to be ready")
    driver.execute_script("arguments[0].click()", copy)
    wait(driver, done, "the copy")
    return driver.execute_async_script("var done = arguments[0]; navigator.clipboard.readText().then(done, function (e) { done('!' + e); });")


def copy_and_close(driver, card, area):
    """Copy all copies the edit (hidden lines put back) while the editor is open; Close and Escape
    leave the editor for the lesson's card, with focus on Edit; Edit brings the edit back."""
    driver.execute_cdp_cmd("Browser.grantPermissions", {
        "origin": driver.execute_script("return location.origin"),
        "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    edit_text = area.get_property("value")
    copy = card.find_element(By.CSS_SELECTOR, ".exercise-head .copy-button")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", copy)
    copied = copy_all(driver, copy)
    lesson = driver.execute_script(f"return document.querySelector('{CARD} template.exercise-whole-source').content.textContent")
    header = lesson.split("\n")[:int(card.find_element(By.CSS_SELECTOR, "template.exercise-whole-source").get_attribute("data-header-lines"))]
    check(copied.startswith("\n".join(header) + "\n") and edit_text + "\n" in copied and "bits 32" in copied
          and copied != lesson, f"Copy all in the editor copied {copied!r}")
    say("Copy all with the editor open: the download's header, the hidden lines and the edit")

    area.send_keys(Keys.ESCAPE)
    state = driver.execute_script(
        f"var c = document.querySelector('{CARD}');"
        "return [c.querySelector('.playground-editor').hidden, c.querySelector('.exercise-source').hidden,"
        " document.activeElement === c.querySelector('.playground-edit'), c.querySelector('.guest-output samp').textContent,"
        " c.querySelector('.playground-close').hidden];")
    check(state == [True, False, True, "P\n", True], f"Escape did not close the editor onto the lesson's card with focus on Edit: {state}")
    copied = copy_all(driver, copy)
    check(copied == lesson, "with the editor closed Copy all does not copy the lesson's program")
    press(driver, "edit")
    check(area.get_property("value") == edit_text and driver.switch_to.active_element == area, "Edit did not bring the edit back, focused")
    press(driver, "close")
    state = driver.execute_script(
        f"var c = document.querySelector('{CARD}');"
        "return [c.querySelector('.playground-editor').hidden, document.activeElement === c.querySelector('.playground-edit')];")
    check(state == [True, True], f"Close did not close the editor with focus on Edit: {state}")
    press(driver, "edit")
    say("Escape and Close: the lesson's card again, focus on Edit; Edit brings the edit back")


def axe(driver):
    """axe-core on the card with the editor, errors and diff open, in both themes."""
    named = os.environ.get("HC_AXE_JS")
    if not named:
        say("axe skipped: HC_AXE_JS is not set (./make.sh browser-check sets it)")
        return
    driver.execute_script(Path(named).read_text(encoding="utf-8"))
    for theme in ["light", "dark"]:
        driver.execute_script(f"document.documentElement.setAttribute('data-theme', '{theme}')")
        result = driver.execute_async_script(
            "var done = arguments[arguments.length - 1];"
            f"axe.run(document.querySelector('{CARD}')).then(function (r) {{ done(r.violations.map(function (v) {{"
            "return [v.impact, v.id, v.nodes.map(function (n) { return n.html.slice(0, 120); }).join(' | ')]; })); });")
        bad = [v for v in result if v[0] in ("serious", "critical")]
        check(not bad, f"axe finds in the playground ({theme}): {bad}")
    driver.execute_script("document.documentElement.removeAttribute('data-theme')")
    say("axe: the editor, its buttons, errors and diff have no serious or critical finding, in both themes")


def static(driver, out):
    driver.get((out / PAGE).resolve().as_uri())
    hint = card_text(driver, ".exercise-playground-hint")
    check(hint and "hypercourse serve" in hint, "from file:// the card has no hint to use hypercourse serve")
    check(not driver.find_elements(By.CSS_SELECTOR, f"{CARD} .playground-bar"), "from file:// the card has playground buttons")
    say("from file:// the card says in one line how to get the playground, and has no buttons")


if __name__ == "__main__":
    main()
