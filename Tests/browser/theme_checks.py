"""Theme details, for check_site.py: short inline code never breaks at 375 px while long code wraps
inside the column; an exercise card's Copy button sits in the card's header, clear of the source;
the stylesheet is one file."""
import re

from site_pages import page_texts


def luminance(css):
    values = [int(v) for v in re.findall(r"\d+", css)[:3]]
    return sum(values) / (3 * 255) if values else 1.0


# Inline code on the open page: (short spans drawn on more than one line, long spans wider than the column).
INLINE_CODE = r"""
const broken = [], wide = [];
for (const code of document.querySelectorAll('.content :not(pre) > code')) {
  if (code.closest('table, figure')) continue;
  const rects = [...code.getClientRects()].filter(r => r.width > 0);
  if (code.classList.contains('nowrap') && rects.length > 1) broken.push(code.textContent);
  const column = code.closest('.content').getBoundingClientRect();
  if (rects.some(r => r.right > column.right + 1)) wide.push(code.textContent);
}
return [broken, wide];
"""

# Copy buttons of exercise cards on the open page that are not in the header or overlap the source.
COPY_BUTTONS = r"""
const problems = [];
for (const figure of document.querySelectorAll('figure.exercise')) {
  const button = figure.querySelector('.copy-button');
  if (!button) continue;
  if (!button.closest('.exercise-head')) { problems.push(`${figure.id}: the Copy button is not in the card's header`); continue; }
  const b = button.getBoundingClientRect();
  for (const line of figure.querySelectorAll('.exercise-source .line')) {
    const r = line.getBoundingClientRect();
    if (b.bottom > r.top && b.top < r.bottom && b.right > r.left && b.left < r.right) {
      problems.push(`${figure.id}: the Copy button covers source line ${line.dataset.line}`);
      break;
    }
  }
}
return problems;
"""


def code_pages(root, count=4):
    """The pages with the most short inline code, and the page with the most exercise cards."""
    scored = []
    for path, text in page_texts(root).items():
        if path.rsplit("/", 1)[-1] in ("print.html", "404.html"):
            continue
        scored.append((text.count('class="nowrap"'), text.count('<figure class="exercise'), path))
    by_code = [p for n, _, p in sorted(scored, key=lambda s: (-s[0], s[2])) if n][:count]
    by_cards = [p for _, n, p in sorted(scored, key=lambda s: (-s[1], s[2])) if n][:1]
    return list(dict.fromkeys(by_code + by_cards))


def theme_details(site, say, check):
    d = site.d
    pages = code_pages(site.root)
    stylesheets = None
    short = 0
    for width in (375, 1366):
        d.set_window_size(width, 812)
        for path in pages:
            site.open(path)
            broken, wide = site.js(INLINE_CODE)
            check(not broken, f"{path} at {width} px: short inline code breaks across lines: {broken[:5]}")
            check(not wide, f"{path} at {width} px: inline code sticks out of the column: {wide[:5]}")
            short += site.js("return document.querySelectorAll('.content code.nowrap').length")
            if width == 1366:
                problems = site.js(COPY_BUTTONS)
                check(not problems, f"{path}: {problems[:5]}")
            stylesheets = site.js("return [...document.querySelectorAll('link[rel=stylesheet]')].map(l => l.getAttribute('href'))")
            rules = site.js("return [...document.styleSheets].reduce((n, s) => n + s.cssRules.length, 0)")
            check(len(stylesheets) == 1 and rules > 200, f"{path}: stylesheets {stylesheets} with {rules} rules (expected one joined sheet)")
    say(f"theme: {short // 2} short code spans unbroken at 375 px, long ones inside the column; Copy buttons in card headers; one stylesheet {stylesheets}")
