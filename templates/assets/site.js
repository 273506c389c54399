// Hypercourse: small progressive enhancements. Every page is complete without this file.
(function () {
  "use strict";
  var body = document.body;
  var root = document.documentElement;
  var strings = {};
  try { strings = JSON.parse(document.getElementById("hc-ui-strings").textContent); } catch (e) {}
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
      navigator.clipboard.writeText(text()).then(function () {
        button.textContent = t("copied");
        button.classList.add("is-done");
        setTimeout(function () { button.textContent = t(label); button.classList.remove("is-done"); }, 1600);
      });
    });
    return button;
  }
  document.querySelectorAll(".code-block").forEach(function (block) {
    var pre = block.querySelector("pre");
    if (!pre || !navigator.clipboard) return;
    var card = block.classList.contains("exercise-source") ? block.parentNode : null;
    var head = card && card.querySelector(".exercise-head");
    var whole = card && card.querySelector("template.exercise-whole-source");
    if (head && whole) {
      var label = whole.getAttribute("data-hidden-lines") !== "0" ? "copy_all" : "copy";
      head.appendChild(copyButton(label, function () { return whole.content.textContent; }, true));
    } else {
      var button = copyButton("copy", function () { return pre.innerText.replace(/\n$/, ""); }, false);
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
  document.querySelectorAll(".exercise-steps").forEach(function (details) {
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
  });

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

  // The index is a script (not JSON) so it loads from file:// too; fetched on first use only.
  function loadIndex(then) {
    if (window.HC_SEARCH_INDEX) { then(); return; }
    if (!loading) {
      loading = true;
      var script = document.createElement("script");
      script.src = body.getAttribute("data-search-index");
      script.onload = function () { prepare(); run(); };
      document.head.appendChild(script);
    }
    statusEl.textContent = t("search_loading");
  }
  function fold(s) { return s.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, ""); }
  function prepare() {
    window.HC_SEARCH_INDEX.docs.forEach(function (d) { d.fp = fold(d.p); d.fh = fold(d.h); d.fx = fold(d.x); });
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
  function run() {
    var query = fold(input.value.trim());
    if (query.length < 2) {
      list.innerHTML = "";
      statusEl.textContent = query.length ? t("search_hint") : "";
      panel.hidden = !query.length;
      return;
    }
    panel.hidden = false;
    if (!window.HC_SEARCH_INDEX) { loadIndex(run); return; }
    var terms = query.split(/\s+/).filter(Boolean);
    var results = [];
    window.HC_SEARCH_INDEX.docs.forEach(function (d) {
      var score = 0;
      for (var i = 0; i < terms.length; i++) {
        var term = terms[i], s = 0;
        if (d.fp.indexOf(term) >= 0) s += 10;
        if (d.fh.indexOf(term) >= 0) s += 6;
        var n = 0, from = 0, at;
        while (n < 5 && (at = d.fx.indexOf(term, from)) >= 0) { n++; from = at + term.length; }
        s += n;
        if (s === 0) return;  // every term must match somewhere
        score += s;
      }
      results.push({ d: d, score: score });
    });
    results.sort(function (a, b) { return b.score - a.score; });
    var shown = results.slice(0, 30);
    var rawTerms = input.value.trim().split(/\s+/);
    list.innerHTML = shown.map(function (r) {
      var d = r.d;
      var title = d.h ? d.h : d.p;
      var where = d.h ? d.c + " › " + d.p : d.c;
      return '<li><a href="' + escapeHTML(rootPrefix + d.u) + '">' +
        '<span class="result-title">' + highlight(title, rawTerms) + "</span>" +
        '<span class="result-where">' + escapeHTML(where) + "</span>" +
        (d.x ? '<span class="result-snippet">' + highlight(snippet(d.x, d.fx, terms), rawTerms) + "</span>" : "") +
        "</a></li>";
    }).join("");
    statusEl.textContent = results.length === 0 ? t("search_no_results")
      : results.length === 1 ? t("search_one_result") : results.length + " " + t("search_results");
  }
  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 80); });
  input.addEventListener("focus", function () { if (!window.HC_SEARCH_INDEX) loadIndex(function () {}); if (input.value.trim()) run(); });
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
