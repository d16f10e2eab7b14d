/* Download buttons for figures: every <figure class="nk-figure"> holding an <svg> gets "Download SVG" and
 * "Download PNG". Generic on purpose (the map uses it, the timeline can too): nothing here knows what the
 * figure shows. The SVG is serialised as drawn (it is server-rendered and self-contained: no external fonts,
 * images or stylesheets), and the PNG is that SVG drawn onto a canvas at twice its size, so it is made in the
 * browser with nothing fetched from anywhere. Buttons are wired with addEventListener (the site's CSP allows
 * no inline handlers to be relied on). A figure may name its files with data-filename.
 *
 * The PNG pipeline (flatten: any image or canvas onto an opaque white canvas, encoded as a PNG Blob) and save()
 * are the site's one copy: the graph pages (nk-graph.js, loaded after this script) make and save their
 * pictures through window.nkFigure. */
(function () {
  "use strict";

  var SCALE = 2;

  function serialise(svg) {
    var copy = svg.cloneNode(true);
    copy.setAttribute("xmlns", "http://www.w3.org/2000/svg");
    var box = svg.getBoundingClientRect();
    if (!copy.getAttribute("width")) copy.setAttribute("width", String(Math.round(box.width)));
    if (!copy.getAttribute("height")) copy.setAttribute("height", String(Math.round(box.height)));
    var text = new XMLSerializer().serializeToString(copy);
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + text;
  }

  function save(blob, name) {
    var url = URL.createObjectURL(blob);
    var a = document.createElement("a");
    a.href = url;
    a.download = name;
    a.hidden = true;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  }

  function size(svg) {
    var w = parseFloat(svg.getAttribute("width"));
    var h = parseFloat(svg.getAttribute("height"));
    if (!(w > 0 && h > 0)) {
      var box = svg.getBoundingClientRect();
      w = box.width; h = box.height;
    }
    return { w: Math.max(1, Math.round(w)), h: Math.max(1, Math.round(h)) };
  }

  /* ``source`` (an image or a canvas) drawn at width x height on an opaque white canvas, as a PNG Blob (a
   * Promise). White, because a transparent PNG shows as black or a checkerboard in most viewers. */
  function flatten(source, width, height) {
    return new Promise(function (resolve, reject) {
      var canvas = document.createElement("canvas");
      canvas.width = width;
      canvas.height = height;
      var ctx = canvas.getContext("2d");
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
      canvas.toBlob(function (blob) {
        if (blob) resolve(blob); else reject(new Error("the browser could not encode the PNG"));
      }, "image/png");
    });
  }

  /* The figure's PNG as a Blob (a Promise), also used by tests through window.nkFigurePng. */
  function png(svg) {
    return new Promise(function (resolve, reject) {
      var dims = size(svg);
      var url = URL.createObjectURL(new Blob([serialise(svg)], { type: "image/svg+xml;charset=utf-8" }));
      var img = new Image();
      img.onload = function () {
        flatten(img, dims.w * SCALE, dims.h * SCALE).then(resolve, reject)
          .then(function () { URL.revokeObjectURL(url); });
      };
      img.onerror = function () {
        URL.revokeObjectURL(url);
        reject(new Error("the figure could not be drawn as an image"));
      };
      img.src = url;
    });
  }

  function button(label, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.addEventListener("click", onClick);
    return b;
  }

  function setUp(figure, index) {
    var svg = figure.querySelector("svg");
    if (!svg || figure.querySelector(".nk-fig-tools")) return;
    var base = figure.getAttribute("data-filename") || ("figure-" + (index + 1));
    var labels = figure.dataset;
    var bar = document.createElement("div");
    bar.className = "nk-fig-tools";
    bar.appendChild(button(labels.labelSvg || "Download SVG", function () {
      save(new Blob([serialise(svg)], { type: "image/svg+xml;charset=utf-8" }), base + ".svg");
    }));
    bar.appendChild(button(labels.labelPng || "Download PNG", function () {
      png(svg).then(function (blob) { save(blob, base + ".png"); }, function (err) {
        bar.setAttribute("data-error", String(err && err.message || err));
      });
    }));
    figure.insertBefore(bar, figure.firstChild);
  }

  function init() {
    var figures = document.querySelectorAll("figure.nk-figure");
    for (var i = 0; i < figures.length; i++) setUp(figures[i], i);
  }

  window.nkFigurePng = png;
  window.nkFigure = { flatten: flatten, png: png, save: save };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
