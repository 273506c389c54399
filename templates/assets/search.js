// Hypercourse search: loaded with the index on first use. The index is split (Sources/Site/
// SearchIndex.swift): search-index.js lists the word shards by prefix; a query loads the shards
// its words start with, then the doc blocks of the results it shows. Every file is a script that
// registers itself, so search works from file:// as well.
(function () {
  "use strict";
  var CJK = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u{20000}-\u{323af}]/u;
  var WORD = /[\p{L}\p{M}\p{N}]+/gu;
  var shards = {}, blocks = {}, pending = {};
  // A shard is "word postings word postings ...", each word without the shard's prefix.
  window.HC_SEARCH_SHARD = function (i, text) {
    var prefix = window.HC_SEARCH_INDEX.shards[i][0], parts = text.split(" "), words = {};
    for (var j = 0; j + 1 < parts.length; j += 2) words[prefix + parts[j]] = parts[j + 1];
    shards[i] = words;
  };
  window.HC_SEARCH_DOCS = function (i, block) { blocks[i] = block; };

  // Text folded as the index folds it: lowercase, decomposed, accents removed.
  function fold(s) { return s.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, ""); }

  // The twin of SearchTokenizer.swift: words of letters, marks and digits, and runs of Han and
  // kana as overlapping pairs plus their last character (left out of a query: its pairs hold it).
  function tokens(text, query) {
    var out = [];
    (fold(text).match(WORD) || []).forEach(function (word) {
      var plain = "", run = [];
      function flushRun() {
        if (run.length === 1) out.push(run[0]);
        for (var i = 0; i + 1 < run.length; i++) out.push(run[i] + run[i + 1]);
        if (run.length > 1 && !query) out.push(run[run.length - 1]);
        run = [];
      }
      Array.from(word).forEach(function (ch) {
        if (CJK.test(ch)) { if (plain) { out.push(plain); plain = ""; } run.push(ch); }
        else { flushRun(); plain += ch; }
      });
      if (plain) out.push(plain);
      flushRun();
    });
    return out;
  }

  function load(url, then) {
    if (pending[url]) { pending[url].push(then); return; }
    pending[url] = [then];
    var script = document.createElement("script");
    script.src = url;
    script.onload = script.onerror = function (e) {
      var waiting = pending[url];
      pending[url] = e.type === "error" ? null : [];
      if (e.type !== "error") pending[url].loaded = true;
      waiting.forEach(function (f) { f(e.type !== "error"); });
    };
    document.head.appendChild(script);
  }
  // Loads every url (once), then calls then(ok).
  function loadAll(urls, then) {
    var left = urls.length, ok = true;
    if (!left) { then(true); return; }
    urls.forEach(function (url) {
      if (pending[url] && pending[url].loaded) { if (--left === 0) then(ok); return; }
      load(url, function (loaded) { ok = ok && loaded; if (--left === 0) then(ok); });
    });
  }

  // A word's postings: [doc, code] pairs (SearchIndex.swift, Postings).
  var digit = {};
  "0123456789abcdefghijklmnopqrstuv".split("").forEach(function (c, i) { digit[c] = i + 32; });
  "wxyzABCDEFGHIJKLMNOPQRSTUVWXYZ$_".split("").forEach(function (c, i) { digit[c] = i; });
  function postings(text, visit) {
    var value = 0, doc = -1;
    for (var i = 0; i < text.length; i++) {
      var d = digit[text[i]];
      if (d < 32) { value = value * 32 + d; continue; }
      value = value * 32 + d - 32;
      doc += 1 + Math.floor(value / 24);
      visit(doc, value % 24);
      value = 0;
    }
  }

  function shardsFor(index, term) {
    var found = [];
    index.shards.forEach(function (shard, i) {
      var prefix = shard[0], exact = shard[1] === 1;
      if (prefix.indexOf(term) === 0 || (!exact && term.indexOf(prefix) === 0)) found.push(i);
    });
    return found;
  }

  // Per doc, for one query word: its score, as the words it begins score together.
  function termScores(index, term, shardIDs) {
    var hits = {};
    shardIDs.forEach(function (i) {
      var words = shards[i];
      for (var word in words) {
        if (word.indexOf(term) !== 0) continue;
        postings(words[word], function (doc, code) {
          var hit = hits[doc] || (hits[doc] = { count: 0, title: false, heading: false });
          hit.count += code % 6;
          hit.title = hit.title || code % 12 >= 6;
          hit.heading = hit.heading || code >= 12;
        });
      }
    });
    var scores = {};
    for (var doc in hits) {
      var h = hits[doc];
      scores[doc] = (h.title ? 10 : 0) + (h.heading ? 6 : 0) + Math.min(h.count, index.maxCount);
    }
    return scores;
  }

  // Ranks the docs that match every word: by score, ties in course order.
  function rank(index, terms, byTerm) {
    var scores = byTerm[0], results = [];
    Object.keys(scores).forEach(function (doc) {
      var total = 0;
      for (var t = 0; t < terms.length; t++) {
        var s = byTerm[t][doc];
        if (!s) return;
        total += s;
      }
      results.push({ doc: +doc, score: total });
    });
    results.sort(function (a, b) { return b.score - a.score || a.doc - b.doc; });
    return results;
  }

  // Runs `query` and calls done({total, docs: [{p, c, h, u, x}]}) with the first `limit` results,
  // or done(null) when part of the index could not be loaded.
  function search(query, root, limit, done) {
    var index = window.HC_SEARCH_INDEX, terms = tokens(query, true);
    if (!terms.length) { done({ total: 0, docs: [] }); return; }
    var perTerm = terms.map(function (term) { return shardsFor(index, term); });
    var urls = [];
    perTerm.forEach(function (ids) { ids.forEach(function (i) { urls.push(root + "search/t" + i + ".js"); }); });
    loadAll(urls, function (ok) {
      if (!ok) { done(null); return; }
      var byTerm = terms.map(function (term, t) { return termScores(index, term, perTerm[t]); });
      var results = rank(index, terms, byTerm), shown = results.slice(0, limit);
      var blockURLs = [];
      shown.forEach(function (r) {
        var url = root + "search/d" + Math.floor(r.doc / index.docBlock) + ".js";
        if (blockURLs.indexOf(url) < 0) blockURLs.push(url);
      });
      loadAll(blockURLs, function (ok) {
        if (!ok) { done(null); return; }
        done({ total: results.length, docs: shown.map(function (r) { return describe(index, r.doc); }) });
      });
    });
  }

  function describe(index, doc) {
    var block = blocks[Math.floor(doc / index.docBlock)], row = block.docs[doc % index.docBlock], page = block.pages[row[0]];
    return { p: page[0], c: index.chapters[page[1]], h: row[1], u: page[2] + (row[2] ? "#" + row[2] : ""), x: row[3] };
  }

  window.HC_SEARCH = { fold: fold, tokens: tokens, search: search };
})();
