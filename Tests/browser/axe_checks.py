"""Accessibility, for check_site.py: axe-core 4 on every page of the built site, in the light and the
dark theme, at 1366 and 375 px. Any serious or critical finding fails the check, after all of them
are listed (page, view, rule, element, why); moderate and minor ones are listed without failing.

axe.min.js is not in this repository: ./make.sh fetches it at test time (the axe-playwright-python
wheel on PyPI carries axe-core 4) and passes its path in HC_AXE_JS.

Time: axe's colour-contrast rule is most of the cost (it looks at every highlighted token). The pass
runs in the one browser session, in two windows at once (each its own renderer process, so both cores
work), one page load per page and width, both themes on that load.
"""
import os
import re
import time
from collections import deque
from pathlib import Path

from site_pages import site_pages

WIDTHS = (1366, 375)
THEMES = ("light", "dark")
ALL_PAGES = set()
FAILING = ("critical", "serious")
WINDOWS = 2

# The rules whose results depend on colours. print.html (each language's) repeats every lesson's and chapter's body
# (`.print-all .content`), which are checked on their own pages in every view: there, these rules
# skip the bodies (they would double the whole pass); every other rule still sees the whole page.
COLOUR_RULES = ("color-contrast", "link-in-text-block")

# Starts axe on the open page in the given theme; the result lands in window.__hcAxe.
START_AXE = r"""
const [theme, context, options] = arguments;
window.__hcAxe = null;
document.documentElement.setAttribute('data-theme', theme);
if (!window.axe) { window.__hcAxe = {error: 'axe is not loaded in this page'}; return; }
axe.run(context || document, Object.assign({resultTypes: ['violations']}, options || {})).then(results => {
  window.__hcAxe = {
    version: axe.version,
    violations: results.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map(n => ({impact: n.impact, target: n.target.join(' '), html: n.html,
                                why: (n.failureSummary || '').replace(/^Fix (any|all) of the following:\s*/, '')}))
    }))
  };
}).catch(e => { window.__hcAxe = {error: String(e)}; });
"""


def axe_source():
    """The axe-core script named by HC_AXE_JS, checked to be axe 4 or later; or None and why not."""
    named = os.environ.get("HC_AXE_JS")
    if not named:
        return None, "HC_AXE_JS is not set: run the check through ./make.sh browser-check, which fetches axe-core 4"
    path = Path(named)
    if not path.is_file():
        return None, f"HC_AXE_JS names {path}, which does not exist"
    text = path.read_text(encoding="utf-8")
    match = re.match(r"/\*! axe v(\d+)\.(\d+)\.(\d+)", text)
    if not match or int(match.group(1)) < 4:
        return None, f"{path} is not axe-core 4 or later (its header reads {text[:30]!r})"
    return text, None


def is_print_all(path):
    """print.html of any language (`print.html`, `zh/print.html`)."""
    return path.rsplit("/", 1)[-1] == "print.html"


def translated(path):
    """A page of another language's site (`zh/...`): such a folder has its own print.html, a chapter does not."""
    first, _, rest = path.partition("/")
    return bool(rest) and first.replace("-", "").isalpha() and len(first) <= 8 and Path(first, "print.html").as_posix() in ALL_PAGES


def jobs_for(pages):
    """(path, width, themes, context, options) for every page at every width. A translated page has
    the same templates and stylesheet as its original, which is checked at both widths; only its
    text differs, so it is checked at one width, the widths alternating from page to page (every
    other language's page in both themes, and both widths across the language's pages)."""
    ALL_PAGES.clear()
    ALL_PAGES.update(pages)
    turn = {path: index % len(WIDTHS) for index, path in enumerate(p for p in pages if translated(p))}
    jobs = []
    for width in WIDTHS:
        for path in pages:
            if path in turn and WIDTHS[turn[path]] != width and not is_print_all(path):
                continue
            if is_print_all(path):
                jobs.append((path, width, THEMES, {"exclude": [[".print-all .content"]]}, None))
                jobs.append((path, width, THEMES[:1], None, {"rules": {r: {"enabled": False} for r in COLOUR_RULES}}))
            else:
                jobs.append((path, width, THEMES, None, None))
    # The long print.html jobs first, so the other window is not left waiting at the end.
    return deque(sorted(jobs, key=lambda job: not is_print_all(job[0])))


class Findings:
    """Findings, one entry per (page, rule, element), with the views each was seen in."""

    def __init__(self):
        self.entries = {}

    def add(self, page, view, violation):
        for node in violation["nodes"]:
            impact = node.get("impact") or violation["impact"]
            key = (page, violation["id"], node["target"])
            entry = self.entries.setdefault(key, {"impact": impact, "help": violation["help"], "html": node["html"],
                                                  "why": node["why"], "views": []})
            if view not in entry["views"]:
                entry["views"].append(view)

    def of(self, impacts):
        return {key: e for key, e in self.entries.items() if e["impact"] in impacts}

    @staticmethod
    def report(entries, limit=200):
        lines = []
        for (page, rule, target), e in sorted(entries.items()):
            html = re.sub(r"\s+", " ", e["html"])[:160]
            why = re.sub(r"\s+", " ", e["why"])[:240]
            lines.append(f"  {page} [{', '.join(e['views'])}] {rule} ({e['impact']}): {e['help']}\n"
                         f"      element {target}: {html}\n      {why}")
        if len(lines) > limit:
            lines = lines[:limit] + [f"  … and {len(lines) - limit} more"]
        return "\n".join(lines)


class AxeWindow:
    """One browser window working through jobs: load a page, then run axe once per theme."""

    def __init__(self, site, handle, source):
        self.site, self.handle = site, handle
        self.job, self.themes, self.width = None, [], None
        site.d.switch_to.window(handle)
        self.script = site.d.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": source})["identifier"]

    def start(self, job):
        self.job = job
        if job is None:
            return
        path, width, themes, _, _ = job
        self.site.d.switch_to.window(self.handle)
        if self.width != width:
            self.site.d.set_window_size(width, 900)
            self.width = width
        self.site.open(path)
        self.themes = list(themes)
        self.next_theme()

    def next_theme(self):
        self.theme = self.themes.pop(0)
        self.site.js(START_AXE, self.theme, self.job[3], self.job[4])

    def poll(self):
        """The finished run's result, or None while axe is still working."""
        self.site.d.switch_to.window(self.handle)
        return self.site.js("return window.__hcAxe")

    def close(self):
        self.site.d.switch_to.window(self.handle)
        self.site.d.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": self.script})


def run_all(site, source, jobs, findings):
    """Runs every job over the windows; returns (runs, axe version)."""
    d = site.d
    first = d.current_window_handle
    handles = [first]
    for _ in range(WINDOWS - 1):
        d.switch_to.new_window("window")
        handles.append(d.current_window_handle)
    windows = [AxeWindow(site, handle, source) for handle in handles]
    runs, version = 0, None
    try:
        for window in windows:
            window.start(jobs.popleft() if jobs else None)
        while any(w.job for w in windows):
            idle = True
            for window in (w for w in windows if w.job):
                result = window.poll()
                if result is None:
                    continue
                idle = False
                path, width = window.job[0], window.job[1]
                if "error" in result:
                    raise RuntimeError(f"{path} at {width} px, {window.theme}: axe did not run: {result['error']}")
                runs, version = runs + 1, result["version"]
                for violation in result["violations"]:
                    findings.add(path, f"{window.theme} {width}px", violation)
                if window.themes:
                    window.next_theme()
                else:
                    window.start(jobs.popleft() if jobs else None)
            if idle:
                time.sleep(0.05)
    finally:
        for window in windows:
            window.close()
        for handle in handles[1:]:
            d.switch_to.window(handle)
            d.close()
        d.switch_to.window(first)
        d.set_window_size(1366, 900)
    return runs, version


def accessibility(site, say, check):
    """axe-core on every page: 2 widths × 2 themes; fails on serious or critical findings."""
    source, problem = axe_source()
    check(source is not None, problem or "")
    pages = site_pages(site.root)
    findings = Findings()
    started = time.monotonic()
    runs, version = run_all(site, source, jobs_for(pages), findings)
    seconds = time.monotonic() - started
    failing, other = findings.of(FAILING), findings.of(("moderate", "minor"))
    what = f"axe-core {version}: {len(pages)} pages × light/dark × {'/'.join(map(str, WIDTHS))} px (a translated page at one width), {runs} runs in {seconds:.1f} s"
    if other:
        print(f"  axe-core: {len(other)} moderate or minor findings (not failing):\n{Findings.report(other, limit=30)}", flush=True)
    check(not failing, f"{what}: {len(failing)} serious or critical findings "
                       f"(page [views] rule (impact): help / element / why):\n{Findings.report(failing)}")
    say(f"{what}: no serious or critical finding")
