/* The keypoints canvas: the project's named points placed on the image. A click places the
   current point (then the next unplaced one becomes current), dragging a point moves it, a
   number key or the point's button makes a point current. V cycles the visibility (visible,
   occluded, absent) of the point last placed or dragged (ringed), Delete makes it absent,
   N / P step through the points. The skeleton's
   pairs are drawn as lines (dashed where a point is occluded). Every point is answered:
   one never placed is absent. A model's proposed points come placed, ringed dashed until a
   person moves them or changes their visibility. */
(function () {
  "use strict";
  var D = window.DatafabCanvas;
  if (!D) return;
  var Canvas = D.Canvas, round = D.round;
  var COLOURS = ["#2563eb", "#db2777", "#059669", "#d97706", "#7c3aed", "#0891b2"];
  var NEXT = { visible: "occluded", occluded: "absent", absent: "visible" };

  function Keypoints(root) { Canvas.call(this, root); }
  Keypoints.prototype = Object.create(Canvas.prototype);
  Keypoints.prototype.constructor = Keypoints;

  Keypoints.prototype.init = function (root) {
    this.names = JSON.parse(root.dataset.keypoints || "[]");
    this.skeleton = JSON.parse(root.dataset.skeleton || "[]");
    this.labels = this.names;  // number keys pick points
    this.points = {};  // name -> {x, y, visibility}; an absent point keeps its last place
    this.current = 0;
    this.touched = null;  // the point last placed or dragged: V and Delete act on it
    this.propose(JSON.parse(root.dataset.proposed || "{}"));
  };

  // a model's points, placed as proposed (source "model" until a person touches them)
  Keypoints.prototype.propose = function (proposed) {
    var self = this;
    this.names.forEach(function (name) {
      var p = proposed[name];
      if (!p || p.visibility === "absent" || typeof p.x !== "number" || typeof p.y !== "number") return;
      self.points[name] = { x: p.x, y: p.y, visibility: p.visibility || "visible", source: "model" };
    });
    var unplaced = this.names.findIndex(function (name) { return !self.points[name]; });
    this.current = Math.max(unplaced, 0);
  };

  Keypoints.prototype.placed = function (name) {
    var p = this.points[name];
    return p && p.visibility !== "absent" ? p : null;
  };

  Keypoints.prototype.hitPoint = function (p) {
    for (var i = this.names.length - 1; i >= 0; i--) {
      var pt = this.placed(this.names[i]);
      if (!pt) continue;
      var s = this.toScreen(pt.x, pt.y);
      if (Math.abs(s.x - p.x) <= D.HANDLE && Math.abs(s.y - p.y) <= D.HANDLE) return i;
    }
    return -1;
  };

  Keypoints.prototype.press = function (p, q) {
    var hit = this.hitPoint(p), fresh = hit < 0;
    if (fresh) {
      var name = this.names[this.current], old = this.points[name];
      var seen = old && old.visibility === "occluded" ? "occluded" : "visible";
      this.points[name] = { x: q.x, y: q.y, visibility: seen };
    } else {
      this.current = hit;
    }
    this.touched = this.names[this.current];
    this.drag = { mode: "point", name: this.touched, fresh: fresh };
    this.save();
    this.draw();
  };

  Keypoints.prototype.pull = function (q) {
    var pt = this.points[this.drag.name];
    pt.x = q.x; pt.y = q.y;
    delete pt.source;
    this.draw();
  };

  Keypoints.prototype.release = function () {
    if (this.drag.fresh) this.step(1, true);
    this.drag = null;
    this.save();
    this.draw();
  };

  // make the next (or previous) point current; unplaced only: the next one not yet placed
  Keypoints.prototype.step = function (by, unplaced) {
    var n = this.names.length;
    for (var i = 1; i <= n; i++) {
      var j = ((this.current + by * i) % n + n) % n;
      if (!unplaced || !this.points[this.names[j]]) { this.current = j; break; }
    }
    this.mark();
  };

  Keypoints.prototype.mark = function () {
    var current = this.names[this.current];
    this.root.dataset.current = current;
    this.root.querySelectorAll("[data-canvas-label]").forEach(function (b) {
      b.setAttribute("aria-pressed", b.dataset.canvasLabel === current ? "true" : "false");
    });
  };

  Keypoints.prototype.pick = function (name) {
    this.current = Math.max(this.names.indexOf(name), 0);
    if (this.placed(name)) this.touched = name;
    this.mark();
    this.draw();
  };

  Keypoints.prototype.visibility = function (to) {
    var pt = this.points[this.touched || this.names[this.current]];
    if (!pt) return;  // a point never placed is absent until clicked
    pt.visibility = to || NEXT[pt.visibility];
    delete pt.source;
    this.save();
    this.draw();
  };

  Keypoints.prototype.remove = function () { this.visibility("absent"); };

  Keypoints.prototype.key = function (e) {
    var key = e.key.toLowerCase();
    if (key === "v") { this.visibility(); return true; }
    if (key === "n") { this.step(1, false); this.draw(); return true; }
    if (key === "p") { this.step(-1, false); this.draw(); return true; }
    return false;
  };

  Keypoints.prototype.save = function () {
    var out = {}, self = this, placed = 0, proposed = 0;
    this.names.forEach(function (name) {
      var pt = self.placed(name);
      if (pt) { placed++; out[name] = { x: round(pt.x), y: round(pt.y), visibility: pt.visibility }; }
      else out[name] = { visibility: "absent" };
      if (pt && pt.source === "model") proposed++;
    });
    if (this.input) this.input.value = JSON.stringify(out);
    this.root.dataset.objects = String(placed);
    this.root.dataset.proposedLeft = String(proposed);
  };

  Keypoints.prototype.draw = function () {
    if (!this.names) return;  // the base constructor draws before init in some paths
    var ctx = this.ctx, self = this, k = this.paint();
    this.skeleton.forEach(function (pair) {
      var a = self.placed(pair[0]), b = self.placed(pair[1]);
      if (!a || !b) return;
      ctx.strokeStyle = "#f9fafb";
      ctx.setLineDash(a.visibility === "occluded" || b.visibility === "occluded" ? [5 / k, 4 / k] : []);
      ctx.beginPath(); ctx.moveTo(a.x, a.y); ctx.lineTo(b.x, b.y); ctx.stroke();
    });
    ctx.setLineDash([]);
    ctx.font = (12 / k) + "px sans-serif";
    this.names.forEach(function (name, i) {
      var pt = self.placed(name), colour = COLOURS[i % COLOURS.length];
      if (!pt) return;
      ctx.beginPath();
      ctx.arc(pt.x, pt.y, 4 / k, 0, 2 * Math.PI);
      ctx.fillStyle = colour; ctx.strokeStyle = colour;
      if (pt.visibility === "occluded") ctx.stroke(); else ctx.fill();
      if (name === self.touched) {
        ctx.beginPath(); ctx.arc(pt.x, pt.y, 8 / k, 0, 2 * Math.PI); ctx.stroke();
      }
      if (pt.source === "model") {  // proposed, not yet checked
        ctx.setLineDash([3 / k, 3 / k]);
        ctx.beginPath(); ctx.arc(pt.x, pt.y, 11 / k, 0, 2 * Math.PI); ctx.stroke();
        ctx.setLineDash([]);
      }
      ctx.fillText(name, pt.x + 6 / k, pt.y - 6 / k);
    });
    this.mark();
  };

  D.kinds.keypoints = Keypoints;
  D.setupAll();
})();
