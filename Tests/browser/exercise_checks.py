"""Exercise cards in the built site, for check_site.py: every card shows its output, end and
expected without sticking out of the card; the trace table fits its card at 1366 px and scrolls in its
own box at 375/360 px; the step-through "Next step" enhancement works; screenshots of the pages with
the most exercises."""
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from site_pages import page_texts


def exercise_pages(root):
    """Pages with exercise cards, most cards first: (count, path, has a trace, has steps)."""
    pages = []
    for path, text in page_texts(root).items():
        if path.rsplit("/", 1)[-1] in ("print.html", "index.html", "404.html"):
            continue
        count = text.count('<figure class="exercise')
        if count:
            pages.append((count, path, 'class="exercise-trace"' in text, 'class="exercise-steps"' in text))
    return sorted(pages, key=lambda page: (-page[0], page[1]))


# Problems with the exercise cards of the open page, as seen at the current width.
CARD_PROBLEMS = r"""
const problems = [];
// A result tied to a prediction is closed by design: checked here as the reader sees it once opened.
for (const reveal of document.querySelectorAll('details.exercise-reveal')) reveal.open = true;
function scrolls(el, stop) {
  for (let p = el.parentElement; p && p !== stop; p = p.parentElement) {
    if (['auto', 'scroll'].includes(getComputedStyle(p).overflowX)) return true;
  }
  return false;
}
for (const figure of document.querySelectorAll('figure.exercise:not(.is-pending)')) {
  const id = figure.id, box = figure.getBoundingClientRect();
  for (const el of figure.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && !scrolls(el, figure) && r.right > box.right + 1) {
      problems.push(`${id}: ${el.tagName.toLowerCase()}.${el.className} sticks out of the card by ${Math.round(r.right - box.right)} px`);
      break;
    }
  }
  const output = figure.querySelector('.guest-output') || figure.querySelector('.exercise-output .muted');
  if (!output || output.offsetHeight === 0) problems.push(`${id}: no visible output`);
  else if (output.getBoundingClientRect().right > box.right + 1) problems.push(`${id}: the output is wider than the card`);
  const facts = [...figure.querySelectorAll('.exercise-facts dd code')].map(c => c.textContent.trim());
  const end = (figure.querySelector('.exercise-end') || {}).textContent;
  const hidesEnd = !!figure.querySelector('details.exercise-reveal');
  if (facts.length < 2 || !facts[0] || !facts[1]) problems.push(`${id}: end and expected are not both shown`);
  else if (hidesEnd ? end !== undefined : facts[0] !== (end || '').trim()) problems.push(`${id}: the card's end '${end}' differs from 'Ended with ${facts[0]}'`);
  for (const wrap of figure.querySelectorAll('.table-wrap.framed')) {
    const rows = wrap.querySelectorAll('tbody tr').length;
    if (rows <= 16 && wrap.scrollHeight > wrap.clientHeight + 1) problems.push(`${id}: a ${rows}-row table scrolls inside its box`);
    if (rows > 16 && !wrap.classList.contains('is-long')) problems.push(`${id}: a ${rows}-row table is not in a scroll box`);
  }
}
return problems;
"""


def exercise_cards(site, say, check):
    """Exercise cards on every page that has them, the trace table at 1366 and 375 px, stepping."""
    d = site.d
    pages = exercise_pages(site.root)
    if not pages:
        say("exercises: none in this course")
        return
    d.set_window_size(1366, 900)
    cards = 0
    for count, path, _, _ in pages:
        site.open(path)
        problems = site.js(CARD_PROBLEMS)
        check(not problems, f"{path} at 1366 px: {problems[:5]}")
        cards += count
    say(f"exercise cards at 1366 px: {cards} on {len(pages)} pages show output, end and expected, and fit their cards")

    trace_page = next((path for _, path, trace, _ in pages if trace), None)
    if trace_page:
        site.open(trace_page)
        last = site.js("""const w = document.querySelector('.exercise-trace .table-wrap'), th = w.querySelector('thead th:last-child');
            const f = w.closest('figure').getBoundingClientRect(), r = th.getBoundingClientRect(), b = w.getBoundingClientRect();
            return {fits: w.scrollWidth <= w.clientWidth + 1, inside: r.right <= b.right + 1 && b.right <= f.right + 1, name: th.textContent}""")
        check(last["fits"] and last["inside"], f"{trace_page} at 1366 px: the trace table's last column ({last['name']}) is not visible inside its card")
        for width in (375, 360):
            d.set_window_size(width, 800)
            site.open(trace_page)
            overflow = site.sideways_overflow()
            check(overflow <= 1, f"{trace_page} at {width} px: the page scrolls sideways by {overflow} px")
            problems = site.js(CARD_PROBLEMS)
            check(not problems, f"{trace_page} at {width} px: {problems[:5]}")
        scrolled = site.js("""const w = document.querySelector('.exercise-trace .table-wrap');
            const scrollable = w.scrollWidth > w.clientWidth && ['auto', 'scroll'].includes(getComputedStyle(w).overflowX);
            w.scrollLeft = w.scrollWidth;
            const r = w.querySelector('thead th:last-child').getBoundingClientRect(), b = w.getBoundingClientRect();
            return {scrollable: scrollable, reached: r.right <= b.right + 1 && r.left >= b.left - 1}""")
        check(scrolled["scrollable"], f"{trace_page} at 360 px: the trace table does not scroll sideways inside its box")
        check(scrolled["reached"], f"{trace_page} at 360 px: scrolling the trace table does not bring its last column into view")
        say(f"trace table ({trace_page}): last column inside the card at 1366 px; scrolls in its own box at 375/360 px")
        d.set_window_size(1366, 900)

    steps_page = next((path for _, path, _, steps in pages if steps), None)
    if steps_page:
        site.open(steps_page)
        details = d.find_element(By.CSS_SELECTOR, ".exercise-steps")
        buttons = details.find_elements(By.CSS_SELECTOR, ".step-controls button")
        check(len(buttons) == 3, f"{steps_page}: the step-through controls are missing ({len(buttons)} buttons)")
        prev, nxt, show_all = buttons
        state = """const d = document.querySelector('.exercise-steps'), rows = [...d.querySelectorAll('tbody tr')];
            const current = rows.findIndex(r => r.classList.contains('is-current'));
            const line = d.closest('figure').querySelector('.exercise-source .line.is-current');
            return {rows: rows.length, current: current, hidden: rows.filter(r => r.classList.contains('is-hidden')).length,
                    rowLine: current >= 0 ? rows[current].dataset.line : null, sourceLine: line ? line.dataset.line : null,
                    status: d.querySelector('.step-controls [role=status]').textContent}"""
        before = site.js(state)
        check(before["current"] == -1 and before["hidden"] == 0, f"{steps_page}: the step table does not start with every row shown")
        site.click(nxt)
        one = site.js(state)
        check(one["current"] == 0 and one["hidden"] == one["rows"] - 1, f"{steps_page}: 'Next step' does not show just the first row: {one}")
        check(one["sourceLine"] == one["rowLine"], f"{steps_page}: the first step does not mark its source line: {one}")
        check(f"1 " in one["status"] and str(one["rows"]) in one["status"], f"{steps_page}: step status reads '{one['status']}'")
        site.click(nxt)
        two = site.js(state)
        check(two["current"] == 1 and two["hidden"] == two["rows"] - 2 and two["sourceLine"] == two["rowLine"], f"{steps_page}: the second 'Next step' misbehaves: {two}")
        site.click(prev)
        check(site.js(state)["current"] == 0, f"{steps_page}: 'Previous step' does not go back")
        site.click(show_all)
        final = site.js(state)
        check(final["current"] == -1 and final["hidden"] == 0, f"{steps_page}: 'Show all' does not show every row")
        say(f"step-through ({steps_page}): Next/Previous step walk the rows and mark the source line; Show all restores the table")

    # Screenshots of the most exercise-heavy pages, for people to look at.
    shots = []
    for _, path, _, _ in pages[:3]:
        name = "exercises-" + path.replace("/", "-").removesuffix(".html")
        d.set_window_size(1366, 900)
        site.open(path)
        site.js("document.documentElement.dataset.theme = 'light'")
        shots.append(site.screenshot(f"{name}-desktop-light.png", limit=9000).name)
        d.set_window_size(1366, 900)
        site.js("document.documentElement.dataset.theme = 'dark'")
        shots.append(site.screenshot(f"{name}-desktop-dark.png", limit=9000).name)
        d.set_window_size(375, 812)
        site.open(path)
        site.js("document.documentElement.dataset.theme = 'light'")
        shots.append(site.screenshot(f"{name}-mobile-375.png", limit=16000).name)
    d.set_window_size(1366, 900)
    say(f"screenshots of exercise pages: {', '.join(shots)}")


# Each prediction's answer and each result tied to a prediction: as the page is loaded, open or visible.
DETAILS_STATE = r"""
return [...document.querySelectorAll('details.predict-answer, details.exercise-reveal')].map(d => ({
  kind: d.className, open: d.open, shown: d.querySelector(':scope > div').checkVisibility()}));
"""


def predictions(site, say, check):
    """Predictions hide their answers, and tied exercises their results, until the reader opens them,
    with the page's scripts disabled (a `<details>` needs none); the print page shows them open."""
    d = site.d
    pages = [path for path, text in page_texts(site.root).items()
             if path.rsplit("/", 1)[-1] != "print.html" and 'class="predict-answer"' in text]
    if not pages:
        say("predictions: none in this course")
        return
    d.set_window_size(1366, 900)
    d.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    opened = 0
    try:
        for path in pages:
            site.open(path)
            check(site.js("return !document.documentElement.classList.contains('js')"), f"{path}: the page's scripts ran although they are disabled")
            before = site.js(DETAILS_STATE)
            check(before and all(not x["open"] and not x["shown"] for x in before), f"{path}: an answer or a result is visible before it is opened: {before}")
            for summary in d.find_elements(By.CSS_SELECTOR, "details.predict-answer > summary, details.exercise-reveal > summary"):
                summary.send_keys(Keys.ENTER)
            after = site.js(DETAILS_STATE)
            check(all(x["open"] and x["shown"] for x in after), f"{path}: Enter on a summary did not show its answer or result: {after}")
            opened += len(after)
    finally:
        d.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
    site.open("print.html")
    printed = site.js(DETAILS_STATE)
    check(printed and all(x["open"] and x["shown"] for x in printed), f"print.html: a prediction's answer or a result is closed: {printed}")
    say(f"predictions without scripts: {opened} answers and results on {len(pages)} pages closed until opened from the keyboard; all open on print.html")
