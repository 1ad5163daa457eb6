/* Datafab's workbench: keyboard shortcuts per primitive, the task timer, and page turns that
   show the next (already leased) task at once while the answer is posted. Pages without a
   workbench need nothing from this file; htmx does the rest. No inline script anywhere. */
(function () {
  "use strict";

  var bench = document.getElementById("bench");
  if (!bench) return;
  var stage = document.getElementById("stage");
  var deck = document.getElementById("on-deck");
  var feedback = document.getElementById("feedback");
  var timer = document.getElementById("timer");
  var started = performance.now();
  var pending = false;
  var queued = null;

  function current() { return stage.querySelector("article.task"); }
  function setBusy(busy) { pending = busy; bench.setAttribute("aria-busy", busy ? "true" : "false"); }

  function tick() {
    var s = Math.floor((performance.now() - started) / 1000);
    timer.textContent = Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }
  setInterval(tick, 1000);

  function activate(article, keepTime) {
    if (!keepTime) { started = performance.now(); tick(); }
    if (window.htmx) window.htmx.process(stage);
    if (!article) return;
    setup(article);
    var auto = article.querySelector("[data-autofocus]");
    if (auto) { auto.focus(); return; }
    var spans = article.querySelector("[data-spans]");
    if (spans) { spans.focus(); return; }
    if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
  }

  function firstTask(fragment) {
    return fragment ? fragment.content.querySelector("article.task, .done") : null;
  }

  function send(form) {
    var article = form.closest("article.task");
    var data = new FormData(form);
    if (form.classList.contains("answer")) {
      data.set("seconds_spent", ((performance.now() - started) / 1000).toFixed(1));
    }
    var shownStarted = started;
    var next = deck.querySelector("article.task");
    setBusy(true);
    if (next) { stage.replaceChildren(next); activate(next); }  // the page turns now
    fetch(form.action, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "HX-Request": "true", "X-CSRF-Token": document.body.dataset.csrf }
    }).then(function (response) {
      var redirect = response.headers.get("HX-Redirect");
      if (redirect) { window.location.assign(redirect); return null; }
      return response.text().then(function (html) { return [response.status, html]; });
    }).then(function (reply) {
      if (!reply) return;
      var box = document.createElement("div");
      box.innerHTML = reply[1];
      var fb = box.querySelector("#turn-feedback");
      var cur = firstTask(box.querySelector("#turn-current"));
      var nxt = firstTask(box.querySelector("#turn-next"));
      if (!fb || !cur) { window.location.reload(); return; }
      feedback.replaceChildren.apply(feedback, Array.prototype.slice.call(fb.childNodes));
      if (reply[0] === 422) {  // refused: the same task again, with the message by its field
        if (next) deck.replaceChildren(next);
        stage.replaceChildren(cur);
        started = shownStarted;
        activate(cur, true);
        var bad = cur.querySelector(".field-error");
        if (bad) bad.scrollIntoView({ block: "center" });
      } else {
        var onStage = current();
        if (!onStage || !cur.matches("article.task") || onStage.dataset.lease !== cur.dataset.lease) {
          stage.replaceChildren(cur);
          activate(cur.matches("article.task") ? cur : null);
        }
        deck.replaceChildren.apply(deck, nxt && nxt.matches("article.task") ? [nxt] : []);
      }
    }).catch(function () {
      if (next) deck.replaceChildren(next);
      if (article) { stage.replaceChildren(article); started = shownStarted; activate(article, true); }
      feedback.innerHTML = '<p class="field-error" role="alert">The answer could not be sent. Check your connection and submit again.</p>';
    }).then(function () {
      setBusy(false);
      if (queued && document.body.contains(queued)) { var f = queued; queued = null; send(f); }
      queued = null;
    });
  }

  function requestTurn(form) {
    if (pending) { queued = form; return; }
    send(form);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches && form.matches("form[data-turn]")) {
      event.preventDefault();
      requestTurn(form);
    }
  });

  // --- per primitive ---------------------------------------------------------------------

  function setup(article) {
    var kind = article.dataset.primitive;
    if (article.querySelector("[data-spans]")) setupSpans(article);
    if (kind === "write") setupDiff(article);
    if (article.querySelector("[data-stepper]")) moveStep(article, 0, true);
    if (kind === "rank") showOrder(article, []);
  }

  function check(input) {
    if (!input) return false;
    if (input.type === "checkbox") input.checked = !input.checked; else input.checked = true;
    input.dispatchEvent(new Event("change", { bubbles: true }));
    return true;
  }

  function choose(article, key) {
    return check(article.querySelector('form.answer input[data-key="' + key + '"]'));
  }

  // steps, trajectory, grade: a current step that number keys answer
  function steps(article) { return article.querySelectorAll("[data-stepper] .step"); }

  function moveStep(article, index, absolute) {
    var all = steps(article);
    if (!all.length) return;
    var at = absolute ? index : (parseInt(article.dataset.cur || "0", 10) + index);
    at = Math.max(0, Math.min(all.length - 1, at));
    article.dataset.cur = String(at);
    all.forEach(function (el, i) { el.classList.toggle("current", i === at); });
    all[at].scrollIntoView({ block: "nearest" });
  }

  function answerStep(article, key) {
    var all = steps(article);
    var at = parseInt(article.dataset.cur || "0", 10);
    var input = all[at] && all[at].querySelector('input[data-key="' + key + '"]');
    if (!check(input)) return false;
    if (!(article.dataset.primitive === "steps" && input.value === "-1")) moveStep(article, 1);
    return true;
  }

  // write: the edit against the model's draft, word by word
  var MAX_DIFF_CELLS = 250000;

  function wordDiff(a, b) {
    var n = a.length, m = b.length, i, j;
    if (n * m > MAX_DIFF_CELLS) return null;
    var lcs = [];
    for (i = 0; i <= n; i++) { lcs.push(new Uint16Array(m + 1)); }
    for (i = n - 1; i >= 0; i--) {
      for (j = m - 1; j >= 0; j--) {
        lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    var out = [];
    i = 0; j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[i] === b[j]) { out.push(["same", a[i]]); i++; j++; }
      else if (j < m && (i === n || lcs[i][j + 1] >= lcs[i + 1][j])) { out.push(["ins", b[j]]); j++; }
      else { out.push(["del", a[i]]); i++; }
    }
    return out;
  }

  function setupDiff(article) {
    var box = article.querySelector("[data-diff] .diff-body");
    var draft = article.querySelector(".draft-text");
    var edit = article.querySelector('textarea[name="final"]');
    if (!box || !draft || !edit) return;
    var timer = null;
    function render() {
      var parts = wordDiff(draft.textContent.split(/\s+/).filter(Boolean),
                           edit.value.split(/\s+/).filter(Boolean));
      box.replaceChildren();
      if (parts === null) { box.textContent = "Too long to compare here."; return; }
      var changed = parts.some(function (p) { return p[0] !== "same"; });
      if (!changed) { box.textContent = "No changes yet."; box.classList.add("muted"); return; }
      box.classList.remove("muted");
      parts.forEach(function (p) {
        var el = document.createElement(p[0] === "same" ? "span" : p[0]);
        el.textContent = p[1];
        box.appendChild(el);
        box.appendChild(document.createTextNode(" "));
      });
    }
    edit.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(render, 120);
    });
    render();
  }

  // rank: numbers pressed in order of preference
  function orderOf(article) {
    var raw = article.querySelector('input[name="order"]').value;
    return raw ? raw.split(",").map(Number) : [];
  }

  function showOrder(article, order) {
    article.querySelector('input[name="order"]').value = order.join(",");
    article.querySelector(".rank-shown").textContent = order.length
      ? order.map(function (i) { return "Response " + (i + 1); }).join(" > ") : "none yet";
    article.querySelectorAll(".response[data-index]").forEach(function (el) {
      var pos = order.indexOf(Number(el.dataset.index));
      el.classList.toggle("ranked", pos >= 0);
    });
  }

  function rankPick(article, index) {
    var n = Number(article.querySelector("[data-rank]").dataset.rank);
    var order = orderOf(article);
    if (index < 0 || index >= n || order.indexOf(index) >= 0) return false;
    order.push(index);
    showOrder(article, order);
    return true;
  }

  function rankUndo(article) {
    var order = orderOf(article);
    order.pop();
    showOrder(article, order);
    return true;
  }

  // spans: a word cursor, a selection, labels by number
  function tokens(article) { return Array.prototype.slice.call(article.querySelectorAll(".span-text .tok")); }

  function setupSpans(article) {
    article.spanState = { cursor: 0, anchor: 0, spans: [] };
    paintSpans(article);
    var box = article.querySelector("[data-spans]");
    box.addEventListener("mouseup", function () {
      var sel = window.getSelection();
      if (!sel || sel.isCollapsed) return;
      var toks = tokens(article), hit = [];
      toks.forEach(function (t, i) { if (sel.containsNode(t, true)) hit.push(i); });
      if (!hit.length) return;
      article.spanState.anchor = hit[0];
      article.spanState.cursor = hit[hit.length - 1];
      sel.removeAllRanges();
      paintSpans(article);
    });
  }

  function paintSpans(article) {
    var st = article.spanState, toks = tokens(article);
    var lo = Math.min(st.anchor, st.cursor), hi = Math.max(st.anchor, st.cursor);
    toks.forEach(function (t, i) {
      var s = Number(t.dataset.s), e = Number(t.dataset.e);
      t.classList.toggle("selected", i >= lo && i <= hi);
      var mark = st.spans.find(function (sp) { return s >= sp.start && e <= sp.end; });
      t.className = t.className.replace(/ ?label-\d/g, "");
      if (mark) t.classList.add("label-" + mark.index % 6);
    });
    article.querySelector('input[data-spans-out], input[name="spans"]').value = JSON.stringify(
      st.spans.map(function (sp) { return { start: sp.start, end: sp.end, label: sp.label }; }));
    var list = article.querySelector(".marked");
    list.replaceChildren();
    if (!st.spans.length) {
      var none = document.createElement("li");
      none.className = "muted none";
      none.textContent = "None yet (submit with none if there is nothing to mark).";
      list.appendChild(none);
    }
    st.spans.forEach(function (sp) {
      var li = document.createElement("li");
      li.textContent = sp.label + ": “" + tokensText(article, sp) + "”";
      list.appendChild(li);
    });
  }

  function tokensText(article, sp) {
    return tokens(article).filter(function (t) {
      return Number(t.dataset.s) >= sp.start && Number(t.dataset.e) <= sp.end;
    }).map(function (t) { return t.textContent; }).join(" ");
  }

  function labelSpan(article, labelIndex) {
    var buttons = article.querySelectorAll("[data-span-label]");
    if (labelIndex < 0 || labelIndex >= buttons.length) return false;
    var st = article.spanState, toks = tokens(article);
    if (!toks.length) return false;
    var lo = Math.min(st.anchor, st.cursor), hi = Math.max(st.anchor, st.cursor);
    var span = { start: Number(toks[lo].dataset.s), end: Number(toks[hi].dataset.e),
                 label: buttons[labelIndex].dataset.spanLabel, index: labelIndex };
    var clash = st.spans.some(function (sp) { return span.start < sp.end && sp.start < span.end; });
    if (!clash) st.spans.push(span);
    var next = Math.min(hi + 1, toks.length - 1);
    st.cursor = st.anchor = next;
    paintSpans(article);
    return true;
  }

  function moveCursor(article, delta, extend) {
    var st = article.spanState, n = tokens(article).length;
    st.cursor = Math.max(0, Math.min(n - 1, st.cursor + delta));
    if (!extend) st.anchor = st.cursor;
    paintSpans(article);
    return true;
  }

  document.addEventListener("click", function (event) {
    var article = event.target.closest && event.target.closest("article.task");
    if (!article) return;
    var pick = event.target.closest("[data-rank-pick]");
    if (pick) rankPick(article, Number(pick.dataset.rankPick));
    if (event.target.closest("[data-rank-undo]")) rankUndo(article);
    var label = event.target.closest("[data-span-label]");
    if (label) {
      var all = Array.prototype.slice.call(article.querySelectorAll("[data-span-label]"));
      labelSpan(article, all.indexOf(label));
    }
  });

  // --- the keyboard --------------------------------------------------------------------------

  function toggle(details, focusSelector) {
    if (!details) return;
    details.open = !details.open;
    if (details.open && focusSelector) {
      var el = details.querySelector(focusSelector);
      if (el) el.focus();
    }
  }

  function primitiveKey(article, event) {
    var kind = article.dataset.primitive, key = event.key;
    var digit = /^[0-9]$/.test(key) ? Number(key) : null;
    if (kind === "rank") {
      if (digit !== null) return rankPick(article, digit - 1);
      if (key === "Backspace") return rankUndo(article);
      return false;
    }
    if (kind === "spans" || (kind === "declarative" && article.spanState)) {
      if (key === "ArrowRight") return moveCursor(article, 1, event.shiftKey);
      if (key === "ArrowLeft") return moveCursor(article, -1, event.shiftKey);
      if (digit !== null) return labelSpan(article, digit - 1);
      if (key === "Backspace" || key === "Delete") {
        article.spanState.spans.pop(); paintSpans(article); return true;
      }
      return false;
    }
    if (article.querySelector("[data-stepper]")) {
      if (key === "j" || key === "ArrowDown") { moveStep(article, 1); return true; }
      if (key === "k" || key === "ArrowUp") { moveStep(article, -1); return true; }
      if (digit !== null) return answerStep(article, digit);
      return false;
    }
    if (digit !== null) return choose(article, digit);
    return false;
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target.matches && target.matches(
      "textarea, select, input:not([type=radio]):not([type=checkbox]):not([type=button]):not([type=submit])");
    var article = current();
    if (typing) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        var form = target.closest("form[data-turn]");
        if (form) { event.preventDefault(); requestTurn(form); }
      } else if (event.key === "Escape") {
        target.blur();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "?") { toggle(bench.querySelector("details.shortcuts")); event.preventDefault(); return; }
    if (event.key === "g" || event.key === "G") { toggle(document.getElementById("guidelines")); event.preventDefault(); return; }
    if (!article) return;
    if (event.key === "s" || event.key === "S") {
      toggle(article.querySelector("details.skip"), "select"); event.preventDefault(); return;
    }
    if (event.key === "f" || event.key === "F") {
      toggle(article.querySelector("details.flag"), "select"); event.preventDefault(); return;
    }
    if (event.key === "Enter") {
      if (target.closest && target.closest("button, a, summary")) return;
      event.preventDefault();
      requestTurn(article.querySelector("form.answer"));
      return;
    }
    if (primitiveKey(article, event)) event.preventDefault();
  });

  bench.setAttribute("aria-busy", "false");
  activate(current(), true);
})();
