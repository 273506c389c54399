"""The whole program of each exercise, for check_site.py: the card's download link (a plain link, no
JavaScript) reaches a file next to the page that holds the shown source and more, the same text the
"Copy all" button puts on the clipboard; the files it includes sit beside it; the command the card
shows runs it with the installed tool and prints what the card shows. At 375 px no copy button covers
the first line of its code."""
import os
import re
import shlex
import subprocess
from pathlib import Path

from selenium.webdriver.common.by import By

# For each exercise card of the open page: where its download leads and what the card says.
CARDS = r"""
return [...document.querySelectorAll('figure.exercise:not(.is-pending)')].map(f => {
  const link = f.querySelector('a.exercise-download'), whole = f.querySelector('template.exercise-whole-source');
  const output = f.querySelector('.guest-output samp');
  return {id: f.id, href: link && link.getAttribute('href'), whole: whole && whole.content.textContent,
          shown: [...f.querySelectorAll('.exercise-source .line')].map(l => l.textContent),
          includes: [...f.querySelectorAll('.exercise-includes a')].map(a => a.getAttribute('href')),
          command: (f.querySelector('.exercise-run code') || {}).textContent,
          language: f.querySelector('pre[data-lang]').dataset.lang,
          output: output ? output.textContent : '', cut: !!f.querySelector('.exercise-output .exercise-note'),
          end: (f.querySelector('.exercise-end') || f.querySelector('.exercise-facts dd code') || {}).textContent};
});
"""

# Copy buttons whose box meets the box of the first line of their code block.
COVERED = r"""
const covered = [];
for (const button of document.querySelectorAll('.copy-button')) {
  const block = button.closest('.code-block') || button.closest('figure').querySelector('.code-block');
  const pre = block.querySelector('pre');
  let line = pre.querySelector('.line');
  let box;
  if (line) { box = line.getBoundingClientRect(); }
  else {
    const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    let node = walker.nextNode();
    while (node && !node.textContent.trim()) node = walker.nextNode();
    if (!node) continue;
    range.selectNodeContents(node);
    box = range.getClientRects()[0];
    const preBox = pre.getBoundingClientRect();
    box = {left: preBox.left, right: preBox.right, top: box.top, bottom: box.bottom};
  }
  const b = button.getBoundingClientRect();
  if (b.width && b.left < box.right && box.left < b.right && b.top < box.bottom && box.top < b.bottom)
    covered.push(`${block.closest('[id]') ? block.closest('[id]').id : ''}: '${button.textContent}' over '${pre.textContent.split('\n')[0].slice(0, 40)}'`);
}
return covered;
"""


def visible(text):
    """Guest output as the card shows it (OutputDisplay.visible): control characters as their
    pictures, a CR before a newline dropped."""
    text = text.replace("\r\n", "\n")
    return "".join(chr(0x2400 + ord(c)) if ord(c) < 0x20 and c not in "\n\t" else "\u2421" if c == "\x7f" else c for c in text)


def is_subsequence(lines, whole):
    rest = iter(whole)
    return all(any(line == other for other in rest) for line in lines)


def run_command(command, folder, tool):
    """The card's command, with the tool under test for `hypercourse`, run in the download's folder."""
    words = shlex.split(command)
    assert words[:2] == ["hypercourse", "run"], command
    done = subprocess.run([str(tool)] + words[1:], cwd=folder, capture_output=True, timeout=120)
    return done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")


# An exercise's opening fence: its language, the word `exercise`, then its options.
EXERCISE_FENCE = re.compile(r"^\s*(?:`{3,}|~{3,})\s*(?:asm|c)\s+exercise\b(.*)$")


def kernel_exercises(content):
    """The ids of the course's exercises that are Multiboot kernels (the `kernel` option), read from
    the lessons' fences: the site offers them no download (docs/exercises.md)."""
    ids = set()
    for lesson in content.rglob("*.md") if content.is_dir() else []:
        for line in lesson.read_text(encoding="utf-8").splitlines():
            fence = EXERCISE_FENCE.match(line)
            words = fence.group(1).split() if fence else []
            if "kernel" in words or "kernel=true" in words:
                ids.update(word[len("id="):] for word in words if word.startswith("id="))
    return ids


def exercise_downloads(site, say, check, pages, tool, kernels=frozenset()):
    """Every card's download, its includes and Copy all's text; the command run for assembly cards.
    `kernels`: the ids of kernel exercises, which have no download by design."""
    d = site.d
    d.set_window_size(1366, 900)
    files = ran = 0
    for path in pages:
        site.open(path)
        for card in site.js(CARDS):
            where = f"{path} #{card['id']}"
            if card["language"] == "vmm" or card["id"].removeprefix("exercise-") in kernels:
                # A host program is built and confined by the course, not by `hypercourse run`, and a
                # kernel is booted, not run as a guest file: neither has a download.
                check(not card["href"] and not card["command"], f"{where}: a vmm or kernel card offers a download: {card}")
                continue
            check(card["href"] and card["whole"] and card["command"], f"{where}: no download link, whole source or command: {card}")
            target = (site.root / os.path.dirname(path) / card["href"]).resolve()
            check(target.is_file(), f"{where}: the download link leads to {target}, which does not exist")
            text = target.read_text(encoding="utf-8")
            check(text == card["whole"], f"{where}: 'Copy all' would copy other text than {card['href']} holds")
            check(is_subsequence(card["shown"], text.split("\n")), f"{where}: {card['href']} does not hold every shown line in order")
            check(card["command"].endswith(" " + target.name), f"{where}: the command '{card['command']}' does not run {target.name}")
            for include in card["includes"]:
                check((site.root / os.path.dirname(path) / include).resolve().is_file(), f"{where}: the included file {include} is not beside the download")
            files += 1
            # What today's `hypercourse run` takes: assembly (C needs run to compile it).
            if card["language"] != "asm" or not os.path.exists("/dev/kvm"):
                continue
            out, err = run_command(card["command"], target.parent, tool)
            end = err.strip().splitlines()[-1] if err.strip() else ""
            check(end.startswith(card["end"]), f"{where}: '{card['command']}' ended '{end}', the card says '{card['end']}'")
            # A run stopped by its timeout prints as much as it managed; every other end is exact.
            if not card["cut"] and card["end"] != "timeout":
                check(visible(out) == card["output"], f"{where}: '{card['command']}' printed {out[:80]!r}, the card shows {card['output'][:80]!r}")
            ran += 1
    say(f"downloads: {files} exercises' whole programs beside their pages, equal to Copy all's text; "
        f"{ran} assembly ones run with the card's command print the card's output and end")


def copy_buttons_clear_of_code(site, say, check, pages):
    """At 375 px no copy button's box meets its code's first line (on a phone it is always shown)."""
    d = site.d
    d.set_window_size(375, 812)
    buttons, busiest = 0, (0, "")
    for path in pages:
        site.open(path)
        covered = site.js(COVERED)
        check(not covered, f"{path} at 375 px: copy buttons cover the first line of code: {covered[:5]}")
        buttons += site.js("return document.querySelectorAll('.copy-button').length")
        busiest = max(busiest, (site.js("return document.querySelectorAll('.has-copy').length"), path))
    check(buttons, "no copy buttons found at 375 px")
    shot = None
    if busiest[1]:
        site.open(busiest[1])
        shot = site.screenshot("code-blocks-mobile-375.png", limit=6000).name
    d.set_window_size(1366, 900)
    say(f"375 px: none of {buttons} copy buttons on {len(pages)} pages covers its code's first line; screenshot {shot}")
