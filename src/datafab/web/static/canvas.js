/* Datafab's drawing canvas for perception work (boxes, polygons; keypoints and tracks extend it): draw, move and resize with
   the mouse, number keys pick the class, Delete removes the selected object, + / - / 0 zoom,
   drag with the middle button (or Space held) to pan. A model's proposals come drawn dashed,
   to be corrected. The answer lives in the form's hidden input as JSON, in image pixels. */
(function () {
  "use strict";

  var COLOURS = ["#2563eb", "#db2777", "#059669", "#d97706", "#7c3aed", "#0891b2"];
  var HANDLE = 7;  // screen pixels around a corner that grab it

  function round(v) { return Math.round(v * 10) / 10; }

  function Canvas(root) {
    var self = this;
    this.root = root;
    this.kind = root.dataset.canvas;
    this.canvas = root.querySelector("canvas");
    this.ctx = this.canvas.getContext("2d");
    this.input = root.closest("form").querySelector('input[name="' + this.kind + '"]');
    this.labels = JSON.parse(root.dataset.labels || "[]");
    this.label = this.labels[0];
    this.width = +root.dataset.width || 0;
    this.height = +root.dataset.height || 0;
    this.zoom = 1; this.panX = 0; this.panY = 0;
    this.objects = [];
    this.selected = -1;
    this.drag = null;
    this.draft = null;  // a polygon being drawn
    var proposals = JSON.parse(root.dataset.proposals || "[]");
    proposals.forEach(function (o) { self.objects.push(Object.assign({ source: "model" }, o)); });
    if (this.init) this.init(root);  // keypoints and tracks keep state of their own
    this.image = new Image();
    this.image.onload = function () {
      self.width = self.width || self.image.naturalWidth;
      self.height = self.height || self.image.naturalHeight;
      self.fit();
    };
    this.image.onerror = function () { self.fit(); };
    if (root.dataset.src) this.image.src = root.dataset.src; else this.fit();
    this.canvas.addEventListener("mousedown", function (e) { self.down(e); });
    window.addEventListener("mousemove", function (e) { self.move(e); });
    window.addEventListener("mouseup", function (e) { self.up(e); });
    this.canvas.addEventListener("wheel", function (e) {
      e.preventDefault();
      self.zoomAt(e.deltaY < 0 ? 1.25 : 0.8, self.local(e));
    }, { passive: false });
    root.querySelectorAll("[data-canvas-label]").forEach(function (b) {
      b.addEventListener("click", function () { self.pick(b.dataset.canvasLabel); });
    });
    this.save();
  }

  Canvas.prototype.fit = function () {
    var w = this.width || 640, h = this.height || 480;
    var room = Math.max(200, this.root.clientWidth);
    this.scale = Math.min(room / w, 4);
    this.canvas.width = Math.round(w * this.scale);
    this.canvas.height = Math.round(h * this.scale);
    this.root.dataset.scale = String(this.scale);
    this.draw();
  };

  // screen point (in canvas pixels) <-> image pixels
  Canvas.prototype.local = function (e) {
    var r = this.canvas.getBoundingClientRect();
    return { x: (e.clientX - r.left) * this.canvas.width / r.width,
             y: (e.clientY - r.top) * this.canvas.height / r.height };
  };
  Canvas.prototype.toImage = function (p) {
    var k = this.scale * this.zoom;
    return { x: Math.min(Math.max((p.x - this.panX) / k, 0), this.width),
             y: Math.min(Math.max((p.y - this.panY) / k, 0), this.height) };
  };
  Canvas.prototype.toScreen = function (x, y) {
    var k = this.scale * this.zoom;
    return { x: x * k + this.panX, y: y * k + this.panY };
  };

  Canvas.prototype.zoomAt = function (factor, p) {
    var zoom = Math.min(Math.max(this.zoom * factor, 1), 16);
    factor = zoom / this.zoom;
    this.panX = p.x - (p.x - this.panX) * factor;
    this.panY = p.y - (p.y - this.panY) * factor;
    this.zoom = zoom;
    if (zoom === 1) { this.panX = 0; this.panY = 0; }
    this.draw();
  };

  Canvas.prototype.corners = function (o) {
    return [[o.x, o.y], [o.x + o.w, o.y], [o.x + o.w, o.y + o.h], [o.x, o.y + o.h]];
  };

  // what is under a screen point: {index, corner} (corner -1: the body)
  Canvas.prototype.hit = function (p) {
    var q = this.toImage(p);
    for (var i = this.objects.length - 1; i >= 0; i--) {
      var o = this.objects[i];
      var pts = this.kind === "boxes" ? this.corners(o) : o.points;
      for (var c = 0; c < pts.length; c++) {
        var s = this.toScreen(pts[c][0], pts[c][1]);
        if (Math.abs(s.x - p.x) <= HANDLE && Math.abs(s.y - p.y) <= HANDLE) return { index: i, corner: c };
      }
      if (this.kind === "boxes" ? (q.x >= o.x && q.x <= o.x + o.w && q.y >= o.y && q.y <= o.y + o.h)
                                : inside(o.points, q)) return { index: i, corner: -1 };
    }
    return null;
  };

  function inside(points, q) {
    var hit = false;
    for (var i = 0, j = points.length - 1; i < points.length; j = i++) {
      var a = points[i], b = points[j];
      if ((a[1] > q.y) !== (b[1] > q.y) && q.x < (b[0] - a[0]) * (q.y - a[1]) / (b[1] - a[1]) + a[0]) hit = !hit;
    }
    return hit;
  }

  Canvas.prototype.down = function (e) {
    var p = this.local(e);
    this.canvas.focus();
    if (e.button === 1 || this.spaceHeld) {
      this.drag = { mode: "pan", from: p, panX: this.panX, panY: this.panY };
      e.preventDefault();
      return;
    }
    if (e.button !== 0) return;
    e.preventDefault();
    this.press(p, this.toImage(p));
  };

  Canvas.prototype.press = function (p, q) {
    if (this.kind === "polygons" && this.draft) { this.addPoint(q, p); return; }
    var hit = this.hit(p);
    if (hit) {
      this.selected = hit.index;
      var o = this.objects[hit.index];
      this.drag = { mode: hit.corner < 0 ? "move" : "corner", corner: hit.corner, from: q,
                    start: JSON.parse(JSON.stringify(o)) };
    } else if (this.kind === "boxes") {
      this.objects.push({ label: this.label, x: q.x, y: q.y, w: 0, h: 0, source: "person" });
      this.selected = this.objects.length - 1;
      this.drag = { mode: "corner", corner: 2, from: q, start: { x: q.x, y: q.y, w: 0, h: 0 }, fresh: true };
    } else {
      this.draft = { label: this.label, points: [[q.x, q.y]], source: "person" };
      this.selected = -1;
    }
    this.draw();
  };

  Canvas.prototype.addPoint = function (q, p) {
    var first = this.toScreen(this.draft.points[0][0], this.draft.points[0][1]);
    if (this.draft.points.length >= 3 && Math.abs(first.x - p.x) <= HANDLE && Math.abs(first.y - p.y) <= HANDLE) {
      this.objects.push(this.draft);
      this.selected = this.objects.length - 1;
      this.draft = null;
      this.save();
    } else {
      this.draft.points.push([q.x, q.y]);
    }
    this.draw();
  };

  Canvas.prototype.move = function (e) {
    if (!this.drag) return;
    var p = this.local(e);
    if (this.drag.mode === "pan") {
      this.panX = this.drag.panX + p.x - this.drag.from.x;
      this.panY = this.drag.panY + p.y - this.drag.from.y;
      this.draw();
      return;
    }
    this.pull(this.toImage(p));
  };

  Canvas.prototype.pull = function (q) {
    var s = this.drag.start, o = this.objects[this.selected];
    var dx = q.x - this.drag.from.x, dy = q.y - this.drag.from.y;
    if (this.drag.mode === "move") {
      if (this.kind === "boxes") {
        o.x = Math.min(Math.max(s.x + dx, 0), this.width - s.w);
        o.y = Math.min(Math.max(s.y + dy, 0), this.height - s.h);
      } else {
        o.points = s.points.map(function (pt) { return [pt[0] + dx, pt[1] + dy]; });
      }
    } else if (this.kind === "boxes") {
      var c = this.corners(s)[(this.drag.corner + 2) % 4];  // the opposite corner stays
      o.x = Math.min(c[0], q.x); o.y = Math.min(c[1], q.y);
      o.w = Math.abs(q.x - c[0]); o.h = Math.abs(q.y - c[1]);
    } else {
      o.points[this.drag.corner] = [q.x, q.y];
    }
    if (o.source === "model") o.source = "model-edited";
    this.draw();
  };

  Canvas.prototype.up = function () {
    if (!this.drag) return;
    if (this.drag.mode === "pan") { this.drag = null; return; }
    this.release();
  };

  Canvas.prototype.release = function () {
    var o = this.objects[this.selected];
    if (this.drag.fresh && o && (o.w < 2 || o.h < 2)) {  // a click, not a box
      this.objects.splice(this.selected, 1);
      this.selected = -1;
    }
    this.drag = null;
    this.save();
    this.draw();
  };

  Canvas.prototype.pick = function (label) {
    this.label = label;
    if (this.selected >= 0) this.objects[this.selected].label = label;
    this.root.querySelectorAll("[data-canvas-label]").forEach(function (b) {
      b.setAttribute("aria-pressed", b.dataset.canvasLabel === label ? "true" : "false");
    });
    this.save();
    this.draw();
  };

  Canvas.prototype.remove = function () {
    if (this.draft) { this.draft.points.pop(); if (!this.draft.points.length) this.draft = null; }
    else if (this.selected >= 0) { this.objects.splice(this.selected, 1); this.selected = -1; }
    this.save();
    this.draw();
  };

  Canvas.prototype.save = function () {
    var kind = this.kind;
    var out = this.objects.map(function (o) {
      if (kind === "boxes") return { label: o.label, x: round(o.x), y: round(o.y), w: round(o.w), h: round(o.h) };
      return { label: o.label, points: o.points.map(function (p) { return [round(p[0]), round(p[1])]; }) };
    });
    if (this.input) this.input.value = JSON.stringify(out);
    var origin = this.root.closest("form").querySelector('input[name="origins"]');
    if (origin) origin.value = JSON.stringify(this.objects.map(function (o) { return o.source || "person"; }));
  };

  Canvas.prototype.colour = function (label) {
    return COLOURS[Math.max(this.labels.indexOf(label), 0) % COLOURS.length];
  };

  // the image under the current zoom and pan; returns the scale from image to screen pixels
  Canvas.prototype.paint = function () {
    var ctx = this.ctx, k = this.scale * this.zoom;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#f3f4f6";
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.setTransform(k, 0, 0, k, this.panX, this.panY);
    if (this.image.complete && this.image.naturalWidth) ctx.drawImage(this.image, 0, 0, this.width, this.height);
    ctx.lineWidth = 2 / k;
    ctx.setLineDash([]);
    return k;
  };

  Canvas.prototype.draw = function () {
    var ctx = this.ctx, self = this, k = this.paint();
    this.objects.forEach(function (o, i) {
      ctx.strokeStyle = self.colour(o.label);
      ctx.setLineDash(o.source === "model" ? [6 / k, 4 / k] : []);
      ctx.beginPath();
      if (self.kind === "boxes") ctx.rect(o.x, o.y, o.w, o.h);
      else { o.points.forEach(function (p, j) { if (j) ctx.lineTo(p[0], p[1]); else ctx.moveTo(p[0], p[1]); }); ctx.closePath(); }
      ctx.stroke();
      if (i === self.selected) {
        ctx.fillStyle = ctx.strokeStyle;
        (self.kind === "boxes" ? self.corners(o) : o.points).forEach(function (p) {
          ctx.fillRect(p[0] - 3 / k, p[1] - 3 / k, 6 / k, 6 / k);
        });
      }
      ctx.font = (12 / k) + "px sans-serif";
      ctx.fillStyle = self.colour(o.label);
      var at = self.kind === "boxes" ? [o.x, o.y] : o.points[0];
      ctx.fillText(o.label, at[0] + 2 / k, at[1] - 3 / k);
    });
    if (this.draft) {
      ctx.setLineDash([]);
      ctx.strokeStyle = this.colour(this.draft.label);
      ctx.beginPath();
      this.draft.points.forEach(function (p, j) { if (j) ctx.lineTo(p[0], p[1]); else ctx.moveTo(p[0], p[1]); });
      ctx.stroke();
    }
    this.root.dataset.objects = String(this.objects.length);
  };

  function canvasOf(target) {
    var article = document.querySelector("#stage article.task");
    var root = article && article.querySelector("[data-canvas]");
    return root && root.datafabCanvas;
  }

  document.addEventListener("keydown", function (e) {
    var c = canvasOf(e.target);
    if (!c || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target.matches && e.target.matches("textarea, select, input")) return;
    if (e.key === " ") { c.spaceHeld = true; e.preventDefault(); return; }
    if (c.key && c.key(e)) { e.preventDefault(); return; }
    var n = parseInt(e.key, 10);
    if (n >= 1 && n <= c.labels.length && n <= 9) { c.pick(c.labels[n - 1]); e.preventDefault(); return; }
    var mid = { x: c.canvas.width / 2, y: c.canvas.height / 2 };
    if (e.key === "+" || e.key === "=") { c.zoomAt(1.25, mid); e.preventDefault(); }
    else if (e.key === "-") { c.zoomAt(0.8, mid); e.preventDefault(); }
    else if (e.key === "0") { c.zoom = 1; c.panX = 0; c.panY = 0; c.draw(); e.preventDefault(); }
    else if (e.key === "Delete" || e.key === "Backspace") { c.remove(); e.preventDefault(); }
    else if (e.key === "Escape") { c.draft = null; c.selected = -1; c.draw(); }
  });
  document.addEventListener("keyup", function (e) {
    var c = canvasOf(e.target);
    if (c && e.key === " ") c.spaceHeld = false;
  });

  // canvases of other kinds (keypoints, tracks) register here from their own scripts, which
  // then call setupAll: a canvas of a kind not registered yet waits for its script
  var kinds = { boxes: Canvas, polygons: Canvas };

  function setupAll() {
    document.querySelectorAll("#stage [data-canvas]").forEach(function (root) {
      var Kind = kinds[root.dataset.canvas];
      if (Kind && !root.datafabCanvas) root.datafabCanvas = new Kind(root);
    });
  }
  window.DatafabCanvas = { Canvas: Canvas, kinds: kinds, HANDLE: HANDLE, round: round,
                           setupAll: setupAll };
  var stage = document.getElementById("stage");
  if (!stage) return;
  new MutationObserver(setupAll).observe(stage, { childList: true, subtree: true });
  setupAll();
})();
