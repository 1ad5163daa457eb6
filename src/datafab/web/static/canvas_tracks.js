/* The tracks canvas: boxes over the frames of a video. Drag on a frame to start a track (a
   box, a class, an id), drag a track's box to move it or a corner to resize it: each change
   is a keyframe on the frame shown. Between keyframes the box moves linearly, by the rule of
   datafab.quality.geometry.tracks.dense: a keyframe's own box on its frame, linear between
   two keyframes in view, out of view before the first keyframe, after the last and from an
   `outside` keyframe to the next. After its last keyframe a track's box is shown held,
   faint: moving it there adds a keyframe, extending the track. The slider, the arrow keys (Shift: ten frames), and , / .
   scrub the frames; O takes the selected track out of view from the frame shown; Delete
   removes its keyframe on that frame (the track goes with its last keyframe), Shift+Delete
   the whole track. */
(function () {
  "use strict";
  var D = window.DatafabCanvas;
  if (!D) return;
  var Canvas = D.Canvas, round = D.round;

  // the box of a track (keys: [{frame, box|null}] by frame) on frame f, or null
  function boxAt(keys, f) {
    for (var i = 0; i < keys.length; i++) {
      var a = keys[i], b = keys[i + 1];
      if (a.frame === f) return a.box;
      if (!b) return null;
      if (a.frame < f && f < b.frame) {
        if (!a.box || !b.box) return null;
        var t = (f - a.frame) / (b.frame - a.frame);
        return { x: (1 - t) * a.box.x + t * b.box.x, y: (1 - t) * a.box.y + t * b.box.y,
                 w: (1 - t) * a.box.w + t * b.box.w, h: (1 - t) * a.box.h + t * b.box.h };
      }
    }
    return null;
  }

  // what the canvas shows of a track on frame f: its box, or after its last keyframe in view
  // the last box held (faint; moving it there adds a keyframe and so extends the track)
  function shownAt(keys, f) {
    var box = boxAt(keys, f), last = keys[keys.length - 1];
    if (box) return { box: box, held: false };
    if (last && last.box && f > last.frame) return { box: last.box, held: true };
    return null;
  }

  function Tracks(root) { Canvas.call(this, root); }
  Tracks.prototype = Object.create(Canvas.prototype);
  Tracks.prototype.constructor = Tracks;

  Tracks.prototype.init = function (root) {
    var self = this;
    this.frames = JSON.parse(root.dataset.frames || "[]");
    // a video's frames are one URL each, made from a pattern (not listed: it may have 100,000)
    this.framePattern = root.dataset.framePattern || "";
    this.frameCount = +root.dataset.frameCount || this.frames.length || 1;
    this.fps = +root.dataset.fps || 0;
    this.frame = 0;
    this.cache = {};
    this.slider = root.querySelector("input[data-frame-slider]");
    this.shown = root.querySelector("[data-frame-shown]");
    if (this.slider) {
      this.slider.max = String(this.frameCount - 1);
      this.slider.addEventListener("input", function () { self.show(+self.slider.value); });
    }
    this.objects = [];  // tracks: {id, label, keys, source}
    this.propose(JSON.parse(root.dataset.proposed || "[]"));
  };

  // a model's tracks, as proposed (labelled "model" until a person changes one)
  Tracks.prototype.propose = function (proposed) {
    var self = this;
    proposed.forEach(function (t) {
      if (!t || !Array.isArray(t.keyframes) || !t.keyframes.length) return;
      var keys = t.keyframes.map(function (k) {
        return { frame: k.frame, box: k.outside ? null : { x: k.x, y: k.y, w: k.w, h: k.h } };
      }).sort(function (a, b) { return a.frame - b.frame; });
      self.objects.push({ id: String(t.id || self.nextId()), label: t.label, keys: keys, source: "model" });
    });
  };

  Tracks.prototype.frameUrl = function (f) {
    if (this.framePattern) return this.framePattern.replace("{n}", String(f));
    return this.frames[f] || "";
  };

  Tracks.prototype.frameImage = function (f) {
    var self = this;
    var url = this.frameUrl(f);
    if (f === 0 || !url) return f === 0 ? this.image : null;
    if (!this.cache[f]) {
      var img = new Image();
      img.onload = function () { if (self.frame === f) self.draw(); };
      img.src = url;
      this.cache[f] = img;
    }
    return this.cache[f];
  };

  Tracks.prototype.show = function (f) {
    this.frame = Math.min(Math.max(f, 0), this.frameCount - 1);
    if (this.slider) this.slider.value = String(this.frame);
    if (this.drag && this.drag.mode !== "pan") this.drag = null;
    this.draw();
  };

  Tracks.prototype.setKey = function (track, box) {
    var f = this.frame, keys = track.keys, i = 0;
    while (i < keys.length && keys[i].frame < f) i++;
    var key = { frame: f, box: box };
    if (i < keys.length && keys[i].frame === f) keys[i] = key; else keys.splice(i, 0, key);
    delete track.source;
  };

  Tracks.prototype.hit = function (p) {
    var q = this.toImage(p);
    for (var i = this.objects.length - 1; i >= 0; i--) {
      var at = shownAt(this.objects[i].keys, this.frame), o = at && at.box;
      if (!o) continue;
      var pts = this.corners(o);
      for (var c = 0; c < 4; c++) {
        var s = this.toScreen(pts[c][0], pts[c][1]);
        if (Math.abs(s.x - p.x) <= D.HANDLE && Math.abs(s.y - p.y) <= D.HANDLE) return { index: i, corner: c, box: o };
      }
      if (q.x >= o.x && q.x <= o.x + o.w && q.y >= o.y && q.y <= o.y + o.h) return { index: i, corner: -1, box: o };
    }
    return null;
  };

  Tracks.prototype.nextId = function () {
    var top = 0;
    this.objects.forEach(function (t) { top = Math.max(top, parseInt(t.id, 10) || 0); });
    return String(top + 1);
  };

  Tracks.prototype.press = function (p, q) {
    var hit = this.hit(p);
    if (hit) {
      this.selected = hit.index;
      this.drag = { mode: hit.corner < 0 ? "move" : "corner", corner: hit.corner, from: q,
                    start: Object.assign({}, hit.box) };
    } else {
      var box = { x: q.x, y: q.y, w: 0, h: 0 };
      this.objects.push({ id: this.nextId(), label: this.label, keys: [{ frame: this.frame, box: box }] });
      this.selected = this.objects.length - 1;
      this.drag = { mode: "corner", corner: 2, from: q, start: Object.assign({}, box), fresh: true };
    }
    this.draw();
  };

  Tracks.prototype.pull = function (q) {
    var s = this.drag.start, dx = q.x - this.drag.from.x, dy = q.y - this.drag.from.y, o;
    if (this.drag.mode === "move") {
      o = { x: Math.min(Math.max(s.x + dx, 0), this.width - s.w),
            y: Math.min(Math.max(s.y + dy, 0), this.height - s.h), w: s.w, h: s.h };
    } else {
      var c = this.corners(s)[(this.drag.corner + 2) % 4];  // the opposite corner stays
      o = { x: Math.min(c[0], q.x), y: Math.min(c[1], q.y), w: Math.abs(q.x - c[0]), h: Math.abs(q.y - c[1]) };
    }
    this.setKey(this.objects[this.selected], o);
    this.draw();
  };

  Tracks.prototype.release = function () {
    var t = this.objects[this.selected], o = t && boxAt(t.keys, this.frame);
    if (this.drag.fresh && (!o || o.w < 2 || o.h < 2)) {  // a click, not a box
      this.objects.splice(this.selected, 1);
      this.selected = -1;
    }
    this.drag = null;
    this.save();
    this.draw();
  };

  Tracks.prototype.remove = function (whole) {
    var t = this.objects[this.selected];
    if (!t) return;
    var f = this.frame;
    t.keys = t.keys.filter(function (k) { return k.frame !== f; });
    delete t.source;
    if (whole || !t.keys.length) { this.objects.splice(this.selected, 1); this.selected = -1; }
    this.save();
    this.draw();
  };

  Tracks.prototype.key = function (e) {
    var step = e.shiftKey ? 10 : 1;
    if (e.key === "ArrowRight" || e.key === ".") { this.show(this.frame + step); return true; }
    if (e.key === "ArrowLeft" || e.key === ",") { this.show(this.frame - step); return true; }
    if (e.key === "Home") { this.show(0); return true; }
    if (e.key === "End") { this.show(this.frameCount - 1); return true; }
    if ((e.key === "Delete" || e.key === "Backspace")) { this.remove(e.shiftKey); return true; }
    if ((e.key === "o" || e.key === "O") && this.selected >= 0) {
      this.setKey(this.objects[this.selected], null);
      this.save(); this.draw();
      return true;
    }
    return false;
  };

  Tracks.prototype.save = function () {
    var out = this.objects.map(function (t) {
      return { id: t.id, label: t.label, keyframes: t.keys.map(function (k) {
        if (!k.box) return { frame: k.frame, outside: true };
        return { frame: k.frame, x: round(k.box.x), y: round(k.box.y), w: round(k.box.w), h: round(k.box.h) };
      }) };
    });
    if (this.input) this.input.value = JSON.stringify(out);
  };

  Tracks.prototype.draw = function () {
    if (!this.cache) return;
    var live = this.image;
    this.image = this.frameImage(this.frame) || { complete: false };
    var ctx = this.ctx, self = this, k = this.paint(), f = this.frame, shown = [];
    this.image = live;
    ctx.font = (12 / k) + "px sans-serif";
    this.objects.forEach(function (t, i) {
      var at = shownAt(t.keys, f), o = at && at.box;
      if (!o) return;
      var key = t.keys.some(function (x) { return x.frame === f; });
      shown.push({ id: t.id, label: t.label, key: key, held: at.held, model: t.source === "model",
                   x: round(o.x), y: round(o.y), w: round(o.w), h: round(o.h) });
      ctx.strokeStyle = ctx.fillStyle = self.colour(t.label);
      ctx.globalAlpha = at.held ? 0.4 : 1;  // faint: past the track's end
      ctx.setLineDash(key ? [] : [6 / k, 4 / k]);  // dashed: interpolated
      ctx.strokeRect(o.x, o.y, o.w, o.h);
      if (i === self.selected) self.corners(o).forEach(function (p) {
        ctx.fillRect(p[0] - 3 / k, p[1] - 3 / k, 6 / k, 6 / k);
      });
      ctx.fillText(t.label + " #" + t.id + (key ? " \u25c6" : "") + (t.source === "model" ? " \u00b7 model" : ""),
                   o.x + 2 / k, o.y - 3 / k);
      ctx.globalAlpha = 1;
    });
    this.root.dataset.frame = String(f);
    this.root.dataset.shown = JSON.stringify(shown);
    this.root.dataset.objects = String(this.objects.length);
    if (this.shown) {
      this.shown.textContent = "frame " + (f + 1) + " / " + this.frameCount +
        (this.fps ? " \u00b7 " + (f / this.fps).toFixed(2) + " s" : "");
    }
  };

  D.kinds.tracks = Tracks;
  D.setupAll();
})();
