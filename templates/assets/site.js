// Hypercourse: small progressive enhancements. Every page is complete without this file.
(function () {
  "use strict";
  var body = document.body;
  var root = document.documentElement;
  // ui-strings.js sets the global for the whole site; a layout may inline them instead.
  var strings = window.HC_UI_STRINGS || {};
  if (!window.HC_UI_STRINGS) {
    try { strings = JSON.parse(document.getElementById("hc-ui-strings").textContent); } catch (e) {}
  }
  function t(key) { return strings[key] || ""; }
  function show(el) { if (el) el.hidden = false; }

  // ---- Theme toggle (remembered in localStorage; follows the system until chosen) ----
  var toggle = document.querySelector(".theme-toggle");
  var media = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  function isDark() {
    var chosen = root.getAttribute("data-theme");
    return chosen ? chosen === "dark" : !!(media && media.matches);
  }
  function syncToggle() {
    if (!toggle) return;
    var dark = isDark();
    toggle.setAttribute("aria-pressed", dark ? "true" : "false");
    toggle.title = dark ? t("theme_light") : t("theme_dark");
  }
  if (toggle) {
    show(toggle);
    syncToggle();
    toggle.addEventListener("click", function () {
      var next = isDark() ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try { localStorage.setItem("hc-theme", next); } catch (e) {}
      syncToggle();
    });
    if (media && media.addEventListener) media.addEventListener("change", syncToggle);
  }

  // ---- Sidebar drawer on narrow screens ----
  var menu = document.querySelector(".menu-toggle");
  var sidebar = document.getElementById("hc-sidebar");
  var narrow = window.matchMedia ? window.matchMedia("(max-width: 960px)") : null;
  function setMenu(open) {
    body.classList.toggle("nav-open", open);
    menu.setAttribute("aria-expanded", open ? "true" : "false");
    menu.querySelector(".visually-hidden").textContent = open ? t("close_menu") : t("menu");
    if (open) {
      var current = sidebar.querySelector('[aria-current="page"]') || sidebar.querySelector("a");
      if (current) current.focus();
    }
  }
  function syncMenu() {
    if (!menu) return;
    menu.hidden = !(narrow && narrow.matches);
    if (menu.hidden) setMenu(false);
  }
  if (menu && sidebar) {
    syncMenu();
    if (narrow && narrow.addEventListener) narrow.addEventListener("change", syncMenu);
    menu.addEventListener("click", function () { setMenu(!body.classList.contains("nav-open")); });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && body.classList.contains("nav-open")) { setMenu(false); menu.focus(); }
    });
    document.addEventListener("click", function (e) {
      if (body.classList.contains("nav-open") && !sidebar.contains(e.target) && !menu.contains(e.target)) setMenu(false);
    });
  }
  // Keep the current lesson visible in a long sidebar.
  if (sidebar) {
    var here = sidebar.querySelector('[aria-current="page"]');
    if (here && here.offsetTop > sidebar.clientHeight - 80) sidebar.scrollTop = here.offsetTop - sidebar.clientHeight / 3;
  }

  // ---- Copy buttons on code blocks ----
  // An exercise card's button copies the whole program, hidden lines included (the card keeps it in
  // a <template>), so what is pasted runs; it sits in the card's header. Elsewhere the button sits
  // over the code's top right corner, or on touch screens in a strip of its own above the code.
  function copyButton(label, text, whole) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy-button";
    button.textContent = t(label);
    button.setAttribute("aria-label", t(whole ? "copy_all_code" : "copy_code"));
    button.addEventListener("click", function () {
      Promise.resolve(text()).then(function (copied) { return navigator.clipboard.writeText(copied); }).then(function () {
        button.textContent = t("copied");
        button.classList.add("is-done");
        setTimeout(function () { button.textContent = t(label); button.classList.remove("is-done"); }, 1600);
      });
    });
    return button;
  }
  // An exercise card whose playground editor is open copies the edit instead (a promise of it).
  function edited(card) { return card && card.playgroundCopy ? card.playgroundCopy() : null; }
  document.querySelectorAll(".code-block").forEach(function (block) {
    var pre = block.querySelector("pre");
    if (!pre || !navigator.clipboard) return;
    var card = block.classList.contains("exercise-source") ? block.parentNode : null;
    var head = card && card.querySelector(".exercise-head");
    var whole = card && card.querySelector("template.exercise-whole-source");
    if (head && whole) {
      var label = whole.getAttribute("data-hidden-lines") !== "0" ? "copy_all" : "copy";
      head.appendChild(copyButton(label, function () { return edited(card) || whole.content.textContent; }, true));
    } else {
      var button = copyButton("copy", function () { return edited(card) || pre.innerText.replace(/\n$/, ""); }, false);
      if (head) { head.appendChild(button); } else { block.appendChild(button); block.classList.add("has-copy"); }
    }
  });

  // ---- Figures and tables that scroll sideways take keyboard focus, so arrow keys scroll them ----
  // Only while they do (a diagram on a phone, a wide table): when they fit they stay out of the
  // Tab order. Elements with a tabindex of their own are left alone.
  var scrollers = Array.prototype.slice.call(document.querySelectorAll(".content figure:not(.exercise), .content table"));
  function syncScrollers() {
    scrollers.forEach(function (el) {
      var scrolls = el.scrollWidth > el.clientWidth + 1;
      if (scrolls && !el.hasAttribute("tabindex")) { el.setAttribute("tabindex", "0"); el.setAttribute("data-hc-scroller", ""); }
      else if (!scrolls && el.hasAttribute("data-hc-scroller")) { el.removeAttribute("tabindex"); el.removeAttribute("data-hc-scroller"); }
    });
  }
  if (scrollers.length) {
    syncScrollers();
    var scrollerFrame = 0;
    window.addEventListener("resize", function () {
      cancelAnimationFrame(scrollerFrame);
      scrollerFrame = requestAnimationFrame(syncScrollers);
    });
  }

  // ---- Table of contents: mark the section being read ----
  var tocLinks = Array.prototype.slice.call(document.querySelectorAll(".toc-side a"));
  if (tocLinks.length && "IntersectionObserver" in window) {
    var targets = tocLinks.map(function (a) { return document.getElementById(decodeURIComponent(a.hash.slice(1))); });
    var observer = new IntersectionObserver(function () {
      var current = 0;
      targets.forEach(function (el, i) { if (el && el.getBoundingClientRect().top < 140) current = i; });
      tocLinks.forEach(function (a, i) { a.classList.toggle("is-current", i === current); });
    }, { rootMargin: "0px 0px -70% 0px", threshold: [0, 1] });
    targets.forEach(function (el) { if (el) observer.observe(el); });
  }

  // ---- Print page: a print button ----
  var printButton = document.querySelector(".print-button");
  if (printButton) { show(printButton); printButton.addEventListener("click", function () { window.print(); }); }

  // ---- Exercise step-through: reveal one instruction at a time, marking its source line ----
  function enhanceSteps(details) {
    var rows = Array.prototype.slice.call(details.querySelectorAll("tbody tr"));
    if (rows.length < 2) return;
    var figure = details.closest(".exercise");
    var position = rows.length - 1;
    var controls = document.createElement("div");
    controls.className = "step-controls";
    var prev = document.createElement("button");
    var next = document.createElement("button");
    var all = document.createElement("button");
    var status = document.createElement("span");
    [prev, next, all].forEach(function (b) { b.type = "button"; b.className = "button"; });
    prev.textContent = "← " + t("exercise_step_prev");
    next.textContent = t("exercise_step_next") + " →";
    all.textContent = t("exercise_step_all");
    status.setAttribute("role", "status");
    status.className = "muted";
    controls.append(prev, next, all, status);
    details.querySelector("summary").after(controls);
    function render(showAll) {
      rows.forEach(function (row, i) {
        row.classList.toggle("is-hidden", !showAll && i > position);
        row.classList.toggle("is-current", !showAll && i === position);
      });
      if (figure) {
        figure.querySelectorAll(".exercise-source .line.is-current").forEach(function (l) { l.classList.remove("is-current"); });
        var line = rows[position].getAttribute("data-line");
        if (!showAll && line) {
          var el = figure.querySelector('.exercise-source .line[data-line="' + line + '"]');
          if (el) el.classList.add("is-current");
        }
      }
      // Keep the current row in view inside a long table's own scroll box, not by scrolling the page.
      var box = rows[position].closest(".table-wrap");
      if (!showAll && box && box.scrollHeight > box.clientHeight) {
        var head = box.querySelector("thead");
        var rect = rows[position].getBoundingClientRect(), frame = box.getBoundingClientRect();
        var above = rect.top - frame.top - (head ? head.offsetHeight : 0), below = rect.bottom - frame.top - box.clientHeight;
        if (above < 0) box.scrollTop += above;
        else if (below > 0) box.scrollTop += below;
      }
      status.textContent = showAll ? "" : t("exercise_step_status") + " " + (position + 1) + " " + t("exercise_step_of") + " " + rows.length;
      prev.disabled = showAll || position === 0;
      next.disabled = !showAll && position === rows.length - 1;
    }
    prev.addEventListener("click", function () { if (position > 0) position--; render(false); });
    next.addEventListener("click", function () {
      if (status.textContent === "") position = 0; else if (position < rows.length - 1) position++;
      render(false);
    });
    all.addEventListener("click", function () { position = rows.length - 1; render(true); });
    render(true);
  }
  document.querySelectorAll(".exercise-steps").forEach(enhanceSteps);

  // ---- Playground (only in pages `hypercourse serve` serves: it adds #hc-live with its token) ----
  // Edit turns the shown source into an editor: a textarea over a copy of its text that the server
  // highlights as the build does (asked for after each pause in typing; lines it has seen keep their
  // colours meanwhile). Run posts it to the server, which builds and runs it as the build does and
  // answers with the card rendered by the build's own template; Reset goes back to the lesson's
  // version; Compare shows what differs from it; Close (or Escape) shows the lesson's card again and
  // keeps the edit for the next Edit. Without the server's token the card keeps its one-line hint.
  var live = document.getElementById("hc-live");
  var token = live && live.getAttribute("data-token");
  if (token && window.fetch) document.querySelectorAll(".exercise[data-exercise]").forEach(playground);

  function ask(path, body) {
    return fetch(path, {
      method: "POST", headers: { "Content-Type": "application/json", "X-Hypercourse-Token": token }, body: JSON.stringify(body)
    });
  }

  function playground(card) {
    var id = card.getAttribute("data-exercise");
    var source = card.querySelector(".exercise-source");
    var hint = card.querySelector(".exercise-playground-hint");
    if (!source || !hint) return;
    var original = { source: source.innerHTML, body: part(card, ".exercise-body"), end: part(card, ".exercise-end") };
    var originalText = source.querySelector("pre").textContent.replace(/\n$/, "");
    var originalLines = Array.prototype.map.call(source.querySelectorAll(".line"), function (line) { return line.innerHTML; });
    var bar = el("div", "playground-bar"), status = el("p", "playground-status muted");
    status.setAttribute("role", "status");
    var edit = button("playground_edit"), run = button("playground_run"), reset = button("playground_reset"),
      compare = button("playground_compare"), close = button("playground_close");
    run.classList.add("button-primary");
    compare.setAttribute("aria-expanded", "false");
    close.hidden = true;
    bar.append(edit, close, run, reset, compare);
    hint.replaceWith(bar);
    var editor = el("div", "playground-editor"), gutter = el("pre", "playground-gutter"), field = el("div", "playground-field");
    var shade = el("pre", "playground-highlight"), shadeCode = el("code", ""), area = el("textarea", "playground-text");
    var help = el("p", "playground-help muted");
    help.id = "hc-playground-help-" + id;
    help.textContent = t("playground_help");
    gutter.setAttribute("aria-hidden", "true");
    shade.setAttribute("aria-hidden", "true");
    shade.append(shadeCode);
    area.setAttribute("aria-label", t("playground_editor") + " " + id);
    area.setAttribute("aria-describedby", help.id);
    area.spellcheck = false;
    area.wrap = "off";
    area.value = originalText;
    field.append(shade, area);
    editor.append(gutter, field);
    editor.hidden = help.hidden = true;
    source.after(editor, help);
    var errors = el("ol", "playground-errors"), diff = el("div", "playground-diff");
    errors.hidden = diff.hidden = true;
    help.after(errors, diff);
    bar.after(status);
    var lastOutput = null;
    // The highlighted HTML of each line text the server (or the built card) gave, for the lines
    // typed since its last answer; and the whole program with the edit, as Copy all copies it.
    var known = {}, asked = 0, pause = 0, whole = null;
    learn(originalText, originalLines);

    function learn(text, lines) {
      known = {};
      text.split("\n").forEach(function (line, i) { if (lines[i] !== undefined) known[line] = lines[i]; });
    }
    function paint(lines) {
      shadeCode.innerHTML = (lines || area.value.split("\n").map(function (line) {
        return Object.prototype.hasOwnProperty.call(known, line) ? known[line] : escapeHTML(line);
      })).join("\n") + "\n";
      follow();
    }
    function follow() {
      shade.scrollTop = gutter.scrollTop = area.scrollTop;
      shade.scrollLeft = area.scrollLeft;
    }
    function highlightSoon() {
      clearTimeout(pause);
      pause = setTimeout(function () {
        var text = area.value, mine = ++asked;
        ask("/__hypercourse/highlight", { id: id, source: text }).then(function (response) {
          return response.ok ? response.json() : null;
        }).then(function (answer) {
          if (!answer || !answer.lines || mine !== asked) return;
          learn(text, answer.lines);
          whole = { text: text, program: wholeProgram(text, answer.program) };
          if (area.value === text) paint(answer.lines);
        }).catch(function () {});
      }, 80);
    }
    card.playgroundCopy = function () {
      // What Copy all copies while the editor is open: the edit, with the lesson's hidden lines and
      // the download's header put back by the server (asked for now when the text changed since).
      if (editor.hidden) return null;
      if (whole && whole.text === area.value) return Promise.resolve(whole.program);
      var text = area.value;
      return ask("/__hypercourse/highlight", { id: id, source: text }).then(function (response) { return response.json(); })
        .then(function (answer) { return wholeProgram(text, answer.program); });
    };
    // The card's whole program is the download's header comment, then the source as built; the
    // server gives the edit's built source (nil when it cannot be built, as with a marker line).
    var download = card.querySelector("template.exercise-whole-source");
    function wholeProgram(text, program) {
      if (!download || typeof program !== "string") return text;
      var header = download.content.textContent.split("\n").slice(0, Number(download.getAttribute("data-header-lines")) || 0);
      return header.map(function (line) { return line + "\n"; }).join("") + program;
    }

    function numbers(bad) {
      var count = area.value.split("\n").length, lines = [];
      for (var i = 1; i <= count; i++) lines.push(bad && bad[i] ? "<span class=\"is-error\">" + i + "</span>" : String(i));
      gutter.innerHTML = lines.join("\n") + "\n";
    }
    function open() {
      if (!editor.hidden) return;
      editor.hidden = help.hidden = false;
      source.hidden = true;
      edit.hidden = true;
      close.hidden = false;
      numbers();
      paint();
      highlightSoon();
      area.rows = Math.min(30, area.value.split("\n").length + 1);
      area.focus();
    }
    function shut() {
      if (editor.hidden) return;
      editor.hidden = help.hidden = errors.hidden = true;
      source.hidden = false;
      showLesson();
      close.hidden = true;
      edit.hidden = false;
      edit.focus();
      status.textContent = t("playground_closed");
    }
    function showLesson() {
      source.innerHTML = original.source;
      restore(card, ".exercise-body", original.body);
      restore(card, ".exercise-end", original.end);
      card.querySelectorAll(".exercise-body .exercise-steps").forEach(enhanceSteps);
      lastOutput = null;
      if (!diff.hidden) showDiff();
    }
    area.addEventListener("input", function () { numbers(); paint(); highlightSoon(); });
    area.addEventListener("scroll", follow);
    area.addEventListener("keydown", function (e) {
      // Tab indents; Ctrl+Enter runs; Escape closes the editor (and so leaves it from the keyboard).
      if (e.key === "Escape") { e.preventDefault(); shut(); return; }
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run.click(); return; }
      if (e.key !== "Tab" || e.shiftKey || e.altKey || e.ctrlKey || e.metaKey) return;
      e.preventDefault();
      area.setRangeText("    ", area.selectionStart, area.selectionEnd, "end");
      area.dispatchEvent(new Event("input"));
    });
    edit.addEventListener("click", open);
    close.addEventListener("click", shut);
    run.addEventListener("click", function () {
      open();
      run.disabled = true;
      status.textContent = t("playground_running");
      ask("/__hypercourse/run", { id: id, source: area.value + "\n" }).then(function (response) {
        return response.json().then(function (answer) { shown(response.status, answer); });
      }).catch(function () { status.textContent = t("playground_unreachable"); })
        .then(function () { run.disabled = false; });
    });
    function shown(code, answer) {
      errors.hidden = true;
      numbers();
      if (code === 200) {
        var fresh = document.createElement("template");
        fresh.innerHTML = answer.html;
        source.innerHTML = fresh.content.querySelector(".exercise-source").innerHTML;
        swap(card, ".exercise-body", fresh.content);
        swap(card, ".exercise-end", fresh.content);
        var reveal = card.querySelector(".exercise-reveal");
        if (reveal) reveal.open = true;
        card.querySelectorAll(".exercise-body .exercise-steps").forEach(enhanceSteps);
        var samp = card.querySelector(".exercise-body .guest-output samp");
        lastOutput = samp ? samp.textContent : "";
        status.textContent = t("playground_ran") + " " + answer.end;
      } else if (answer.errors) {
        var bad = {};
        errors.innerHTML = "";
        answer.errors.forEach(function (problem) {
          var item = el("li", "");
          item.textContent = (problem.line ? t("playground_line") + " " + problem.line + ": " : problem.place ? problem.place + ": " : "") + problem.message;
          if (problem.line) bad[problem.line] = true;
          errors.appendChild(item);
        });
        errors.hidden = false;
        numbers(bad);
        status.textContent = t("playground_failed") + " " + errors.firstChild.textContent;
      } else {
        status.textContent = code === 429 ? t("playground_busy") : answer.error || String(code);
      }
      if (!diff.hidden) showDiff();
    }
    reset.addEventListener("click", function () {
      area.value = originalText;
      learn(originalText, originalLines);
      whole = null;
      showLesson();
      errors.hidden = true;
      numbers();
      paint(originalLines);
      status.textContent = t("playground_reset_done");
    });
    compare.addEventListener("click", function () {
      diff.hidden = !diff.hidden;
      compare.setAttribute("aria-expanded", diff.hidden ? "false" : "true");
      if (!diff.hidden) showDiff();
    });
    function showDiff() {
      diff.innerHTML = "";
      var recorded = original.body && original.body.querySelector(".guest-output samp");
      var pairs = [["playground_diff_source", originalText, area.value]];
      if (lastOutput !== null) pairs.push(["playground_diff_output", recorded ? recorded.textContent : "", lastOutput]);
      pairs.forEach(function (pair) {
        var title = el("p", "exercise-subtitle"), pre = el("pre", "playground-diff-lines");
        title.textContent = t(pair[0]);
        pre.tabIndex = 0;
        var lines = lineDiff(pair[1].replace(/\n$/, "").split("\n"), pair[2].replace(/\n$/, "").split("\n"));
        if (!lines.some(function (l) { return l[0] !== " "; })) lines = [[" ", t("playground_no_diff")]];
        lines.forEach(function (l) {
          var line = el("span", l[0] === "+" ? "is-added" : l[0] === "-" ? "is-removed" : "");
          line.textContent = l[0] + " " + l[1] + "\n";
          pre.appendChild(line);
        });
        diff.append(title, pre);
      });
    }
  }
  function el(tag, className) { var e = document.createElement(tag); if (className) e.className = className; return e; }
  function button(key) { var b = el("button", "button playground-" + key.split("_")[1]); b.type = "button"; b.textContent = t(key); return b; }
  function part(card, selector) { var found = card.querySelector(selector); return found && found.cloneNode(true); }
  function swap(card, selector, fresh) {
    var old = card.querySelector(selector), next = fresh.querySelector(selector);
    if (old && next) old.replaceWith(document.importNode(next, true));
  }
  function restore(card, selector, saved) {
    var old = card.querySelector(selector);
    if (old && saved) old.replaceWith(saved.cloneNode(true));
  }
  // Lines of `a` and `b` as " ", "-" and "+" rows, from their longest common subsequence.
  function lineDiff(a, b) {
    var n = a.length, m = b.length, table = [], i, j;
    for (i = 0; i <= n; i++) { table.push(new Array(m + 1).fill(0)); }
    for (i = n - 1; i >= 0; i--) for (j = m - 1; j >= 0; j--)
      table[i][j] = a[i] === b[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
    var rows = [];
    for (i = 0, j = 0; i < n || j < m;) {
      if (i < n && j < m && a[i] === b[j]) { rows.push([" ", a[i]]); i++; j++; }
      else if (i < n && (j === m || table[i + 1][j] >= table[i][j + 1])) { rows.push(["-", a[i]]); i++; }
      else { rows.push(["+", b[j]]); j++; }
    }
    return rows;
  }

  // ---- Search ----
  var search = document.querySelector(".search");
  var input = document.getElementById("hc-search-input");
  var panel = document.getElementById("hc-search-panel");
  var list = document.getElementById("hc-search-results");
  var statusEl = document.getElementById("hc-search-status");
  if (!search || !input) return;
  show(search);
  var rootPrefix = body.getAttribute("data-root") || "";
  var loading = false;
  var timer = null;

  // The index and the search script are scripts (not JSON) so they load from file:// too; loaded
  // on first use only, and then each query loads the parts of the index it needs (search.js).
  function loadIndex(then) {
    if (window.HC_SEARCH_INDEX && window.HC_SEARCH) { then(); return; }
    if (!loading) {
      loading = true;
      var left = 2;
      [body.getAttribute("data-search-index"), rootPrefix + "assets/search.js"].forEach(function (src) {
        var script = document.createElement("script");
        script.src = src;
        script.onload = function () { if (--left === 0) run(); };
        document.head.appendChild(script);
      });
    }
    statusEl.textContent = t("search_loading");
  }
  function escapeHTML(s) {
    return s.replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; });
  }
  function highlight(text, terms) {
    var html = escapeHTML(text);
    terms.forEach(function (term) {
      if (!term) return;
      var re = new RegExp("(" + escapeHTML(term).replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + ")", "ig");
      html = html.replace(re, "<mark>$1</mark>");
    });
    return html;
  }
  function snippet(text, folded, terms) {
    var at = -1;
    for (var i = 0; i < terms.length && at < 0; i++) at = folded.indexOf(terms[i]);
    var start = Math.max(0, at - 60);
    var piece = text.slice(start, start + 180);
    return (start > 0 ? "…" : "") + piece + (start + 180 < text.length ? "…" : "");
  }
  var asked = 0;
  function run() {
    var query = input.value.trim();
    if (query.length < 2) {
      list.innerHTML = "";
      statusEl.textContent = query.length ? t("search_hint") : "";
      panel.hidden = !query.length;
      return;
    }
    panel.hidden = false;
    if (!window.HC_SEARCH_INDEX || !window.HC_SEARCH) { loadIndex(run); return; }
    var ask = ++asked;
    window.HC_SEARCH.search(query, rootPrefix, 30, function (found) {
      if (ask !== asked) return;  // a later query has been typed meanwhile
      if (!found) { statusEl.textContent = t("search_unavailable"); return; }
      showResults(found, query);
    });
  }
  function showResults(found, query) {
    var terms = window.HC_SEARCH.tokens(query, true);
    var rawTerms = query.split(/\s+/);
    list.innerHTML = found.docs.map(function (d) {
      var title = d.h ? d.h : d.p;
      var where = d.h ? d.c + " › " + d.p : d.c;
      return '<li><a href="' + escapeHTML(rootPrefix + d.u) + '">' +
        '<span class="result-title">' + highlight(title, rawTerms) + "</span>" +
        '<span class="result-where">' + escapeHTML(where) + "</span>" +
        (d.x ? '<span class="result-snippet">' + highlight(snippet(d.x, window.HC_SEARCH.fold(d.x), terms), rawTerms) + "</span>" : "") +
        "</a></li>";
    }).join("");
    statusEl.textContent = found.total === 0 ? t("search_no_results")
      : found.total === 1 ? t("search_one_result") : found.total + " " + t("search_results");
  }
  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 80); });
  input.addEventListener("focus", function () { if (!window.HC_SEARCH) loadIndex(function () {}); if (input.value.trim()) run(); });
  function links() { return Array.prototype.slice.call(list.querySelectorAll("a")); }
  search.addEventListener("keydown", function (e) {
    var items = links();
    var index = items.indexOf(document.activeElement);
    if (e.key === "ArrowDown" && items.length) { e.preventDefault(); items[Math.min(index + 1, items.length - 1)].focus(); }
    else if (e.key === "ArrowUp" && items.length) { e.preventDefault(); if (index <= 0) input.focus(); else items[index - 1].focus(); }
    else if (e.key === "Enter" && document.activeElement === input && items.length) { e.preventDefault(); items[0].click(); }
    else if (e.key === "Escape") { panel.hidden = true; input.focus(); }
  });
  document.addEventListener("click", function (e) { if (!search.contains(e.target)) panel.hidden = true; });
})();
