/* neaspec-kg graph pages: the side panel, plain-text tooltips, and a "ready" signal.
 *
 * Loaded before pyvis' drawing script, which calls nkInit() right after it has created the network,
 * so our listeners are in place before vis-network's stabilisation can finish.
 * Everything that comes from the data is put into the page with textContent and DOM properties,
 * never as HTML, and only http(s) URLs or paths on this server become links.
 */
(function () {
  "use strict";
  var data = null;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function safeHref(href) {
    if (typeof href !== "string") return null;
    return /^https?:\/\//i.test(href) || /^\/(?!\/)/.test(href) ? href : null;
  }

  function link(text, href) {
    var h = safeHref(href);
    if (!h) return el("span", null, text);
    var a = el("a", null, text);
    a.href = h;
    if (/^https?:/i.test(h)) a.rel = "noopener noreferrer external";
    return a;
  }

  // the words this script writes itself, in the page's language (viz.render puts them in data.ui)
  function ui(key, english) {
    return data && data.ui && typeof data.ui[key] === "string" ? data.ui[key] : english;
  }

  function sources(ids) {
    var span = el("span", "nk-src");
    (ids || []).forEach(function (i, n) {
      var s = data.sources[i];
      if (!s) return;
      if (n) span.appendChild(document.createTextNode("; "));
      var a = link(s.label, s.url || s.href);
      a.title = ui("source", "Source") + ": " + s.label + (s.url ? " (" + s.url + ")" : "");
      span.appendChild(a);
      if (s.url && s.href) {
        span.appendChild(document.createTextNode(" "));
        span.appendChild(link("[record]", s.href));
      }
    });
    return span;
  }

  function facts(panel, list) {
    (list || []).forEach(function (f) {
      if (!f.items || !f.items.length) return;
      panel.appendChild(el("h3", null, f.name));
      var ul = el("ul", "nk-facts");
      f.items.forEach(function (it) {
        var li = el("li");
        li.appendChild(it.href ? link(it.text, it.href) : document.createTextNode(String(it.text)));
        if (it.src && it.src.length) {
          li.appendChild(document.createTextNode(" — "));
          li.appendChild(sources(it.src));
        }
        ul.appendChild(li);
      });
      panel.appendChild(ul);
    });
  }

  function clearPanel() {
    var p = document.getElementById("nk-panel");
    p.textContent = "";
    return p;
  }

  function showNode(id) {
    var n = data && Object.prototype.hasOwnProperty.call(data.nodes, id) ? data.nodes[id] : null;
    if (!n) return false;
    var p = clearPanel();
    p.dataset.node = id;
    p.appendChild(el("h2", null, n.label));
    if (n.name) p.appendChild(el("p", "nk-name", n.name));
    if (n.kind) p.appendChild(el("p", "nk-kind", n.kind));
    if (n.links && n.links.length) {
      var nav = el("p", "nk-links");
      n.links.forEach(function (l, i) {
        if (i) nav.appendChild(document.createTextNode(" · "));
        nav.appendChild(link(l.text, l.href));
      });
      p.appendChild(nav);
    }
    facts(p, n.facts);
    return true;
  }

  function showEdge(id) {
    var e = data && Object.prototype.hasOwnProperty.call(data.edges, id) ? data.edges[id] : null;
    if (!e) return false;
    var p = clearPanel();
    p.dataset.edge = id;
    p.appendChild(el("h2", null, (e.between || []).join(" – ")));
    p.appendChild(el("p", "nk-edge-title", e.title));
    if (e.text) p.appendChild(el("p", "nk-explanation", e.text));
    if (e.src && e.src.length) {
      var s = el("p", "nk-edge-sources", ui("sources", "Sources") + ": ");
      s.appendChild(sources(e.src));
      p.appendChild(s);
    }
    facts(p, e.facts);
    return true;
  }

  /* Readable at the first view. Fitting the whole graph (about 90 nodes) into the canvas draws 14-unit labels at
   * about 5 px, too small to read. So, once the layout is fitted: the leading labels (mechanisms, thematic areas,
   * shared members; then the best-connected nodes, as many as the canvas has room for) are sized to LABEL_PX on
   * screen; the others keep their size, which is under vis-network's drawThreshold (style.py) at this zoom, so
   * they are not drawn until the reader zooms in. A view small enough to read as it is stays as it is. */
  var LABEL_PX = 12, LABEL_LINE_PX = 150;

  function leading(list, budget) {
    var lead = {}, count = 0;
    list.forEach(function (n) {
      var card = data.nodes[n.id];
      if (card && card.lead) { lead[n.id] = true; count++; }
    });
    // then by size (the number of connections), a whole size class at a time, while the budget lasts
    var rest = list.filter(function (n) { return !lead[n.id]; });
    var sizes = rest.map(function (n) { return n.size || 0; }).filter(function (v, i, a) { return a.indexOf(v) === i; })
      .sort(function (a, b) { return b - a; });
    for (var i = 0; i < sizes.length; i++) {
      var same = rest.filter(function (n) { return (n.size || 0) === sizes[i]; });
      if (count + same.length > budget) break;
      same.forEach(function (n) { lead[n.id] = true; });
      count += same.length;
    }
    return lead;
  }

  function readable() {
    var list = nodes.get(), scale = network.getScale();
    if (!list.length || 14 * scale >= LABEL_PX) return;
    var box = document.getElementById("mynetwork").getBoundingClientRect();
    var budget = Math.max(12, Math.round(box.width * box.height / 20000));
    var lead = leading(list, budget);
    var apply = function (s) {
      nodes.update(list.filter(function (n) { return lead[n.id]; }).map(function (n) {
        // a long name wraps onto lines of at most LABEL_LINE_PX rather than run across its neighbours
        return { id: n.id, font: { size: Math.ceil(LABEL_PX / s * 10) / 10 },
                 widthConstraint: { maximum: Math.round(LABEL_LINE_PX / s) } };
      }));
    };
    apply(scale);
    network.fit();  // the larger labels may need a little more room
    if (network.getScale() < scale) apply(network.getScale());
    document.documentElement.dataset.nkLabels = String(Object.keys(lead).length);
    var hint = document.getElementById("nk-zoom-hint");
    if (hint && Object.keys(lead).length < list.length) hint.hidden = false;
  }

  /* The legend filters: a node kind's entry hides or shows its nodes (the SVG download leaves hidden ones out). */
  function filters() {
    Array.prototype.forEach.call(document.querySelectorAll("button.nk-filter[data-nk-kind]"), function (button) {
      button.addEventListener("click", function () {
        var show = button.getAttribute("aria-pressed") === "false";
        button.setAttribute("aria-pressed", show ? "true" : "false");
        nodes.update(Object.keys(data.nodes).filter(function (id) {
          return data.nodes[id].style === button.dataset.nkKind;
        }).map(function (id) { return { id: id, hidden: !show }; }));
      });
    });
  }

  function ready() {
    if (!document.documentElement.dataset.nkReady) document.documentElement.dataset.nkReady = "1";
  }

  window.nkShowNode = showNode;
  window.nkShowEdge = showEdge;

  window.nkInit = function () {
    /* global network, nodes */
    data = JSON.parse(document.getElementById("nk-data").textContent);
    nodes.update(Object.keys(data.nodes).map(function (id) {
      return { id: id, title: String(data.nodes[id].tooltip || data.nodes[id].label) };
    }));
    filters();
    network.on("click", function (params) {
      if (params.nodes.length) showNode(params.nodes[0]);
      else if (params.edges.length) showEdge(params.edges[0]);
    });
    var settled = false;
    network.once("stabilizationIterationsDone", function () {
      settled = true;
      network.setOptions({ physics: false });
      network.fit();
      readable();
    });
    network.on("afterDrawing", function () { if (settled) ready(); });
    if (nodes.length === 0) { settled = true; ready(); }
    if (data.initial) {
      showNode(data.initial);
      network.selectNodes([data.initial]);
    }
  };
})();

/* Downloads: the view as a PNG (the canvas as it is now, on white) or as an SVG drawn from the network's
 * own state (node positions, shapes, colours, sizes, labels; edges with their widths and dashes), a real
 * vector file a report can scale. Button labels, the file name (data-filename), the title and the legend
 * are read from the page, so this script carries no interface text of its own to translate. No inline
 * handlers (the pages' CSP forbids them) and nothing fetched: blobs and a temporary blob: URL only.
 * window.nkDownload exposes the pieces (png(), svg(), filename(), save()) for tests and the console.
 */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var FONT = "system-ui, sans-serif";
  var measurer = null;

  function filename(ext) {
    var box = document.getElementById("nk-downloads");
    var stem = (box && box.dataset.filename) || "neaspec-kg";
    return stem + "." + ext;
  }

  function canvas() {
    return document.querySelector("#mynetwork canvas");
  }

  /* figure-download.js (loaded before this script, inlined before it in a standalone file) holds the one
   * PNG pipeline and save(); without it the downloads say so in data-error instead of failing silently. */
  function figure() {
    if (!window.nkFigure) throw new Error("figure-download.js is not loaded on this page");
    return window.nkFigure;
  }

  /* The canvas as it is drawn now (the reader's zoom and pan), at its size, flattened on white: vis-network
   * paints on a transparent canvas. */
  function png() {
    var src = canvas();
    if (!src) return Promise.reject(new Error("no network canvas on this page"));
    return figure().flatten(src, src.width, src.height);
  }

  function textWidth(text, size) {
    if (!measurer) measurer = document.createElement("canvas").getContext("2d");
    measurer.font = size + "px " + FONT;
    return measurer.measureText(text).width;
  }

  function make(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, String(attrs[k]));
    });
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function num(x) { return Math.round(x * 100) / 100; }

  function points(list) {
    return list.map(function (p) { return num(p[0]) + "," + num(p[1]); }).join(" ");
  }

  /* One element per node, drawn as vis-network draws its shapes (lib/network/shapes.js), so the file looks
   * like the page. */
  function shape(kind, x, y, r, style) {
    var h, s, ir, i, rad, pts = [];
    if (kind === "square") return make("rect", Object.assign({ x: num(x - r), y: num(y - r), width: num(2 * r), height: num(2 * r) }, style));
    if (kind === "triangle" || kind === "triangleDown") {
      var down = kind === "triangleDown";
      r *= 1.15; y += (down ? -0.275 : 0.275) * r; s = 2 * r; ir = (Math.sqrt(3) / 6) * s;
      h = Math.sqrt(s * s - r * r);
      pts = down ? [[x, y + (h - ir)], [x + r, y - ir], [x - r, y - ir]] : [[x, y - (h - ir)], [x + r, y + ir], [x - r, y + ir]];
      return make("polygon", Object.assign({ points: points(pts) }, style));
    }
    if (kind === "diamond") {
      r *= 1.15;
      return make("polygon", Object.assign({ points: points([[x, y - r], [x + r, y], [x, y + r], [x - r, y]]) }, style));
    }
    if (kind === "star") {
      r *= 0.82; y += 0.1 * r;
      for (i = 0; i < 10; i++) {
        rad = i % 2 === 0 ? r * 1.3 : r * 0.5;
        pts.push([x + rad * Math.sin((i * 2 * Math.PI) / 10), y - rad * Math.cos((i * 2 * Math.PI) / 10)]);
      }
      return make("polygon", Object.assign({ points: points(pts) }, style));
    }
    return make("circle", Object.assign({ cx: num(x), cy: num(y), r: num(r) }, style));
  }

  function label(parent, text, x, y, size, colour, anchor) {
    var lines = String(text).split("\n");
    var t = make("text", { x: num(x), y: num(y), "font-size": size, "font-family": FONT, fill: colour || "#343434",
      "text-anchor": anchor || "middle", stroke: "#ffffff", "stroke-width": 3, "stroke-linejoin": "round",
      "paint-order": "stroke" });
    lines.forEach(function (line, i) {
      if (i === 0) t.appendChild(document.createTextNode(line));
      else t.appendChild(make("tspan", { x: num(x), dy: num(size * 1.2) }, line));
    });
    parent.appendChild(t);
    return lines;
  }

  /* The legend as the page shows it: each entry's symbol (or line) in its colour, and its words. */
  function legend() {
    return Array.prototype.map.call(document.querySelectorAll(".nk-legend li"), function (li) {
      var sym = li.querySelector(".nk-sym"), line = li.querySelector(".nk-line");
      var copy = li.cloneNode(true);
      Array.prototype.forEach.call(copy.querySelectorAll(".nk-sym, .nk-line, .nk-count"), function (e) { e.remove(); });
      return {
        symbol: sym ? sym.textContent.trim() : null,
        colour: sym ? getComputedStyle(sym).color : line ? getComputedStyle(line).backgroundColor : "#343434",
        text: copy.textContent.replace(/\s+/g, " ").trim()
      };
    });
  }

  function svg() {
    /* global network */
    var body = network.body, pos = network.getPositions();
    var ids = body.data.nodes.getIds().filter(function (id) { return body.nodes[id] && !body.nodes[id].options.hidden; });
    var box = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
    var nodes = ids.map(function (id) {
      var o = body.nodes[id].options, p = pos[id];
      var size = (o.font && o.font.size) || 14;
      var r = o.size || 25, text = o.label === undefined || o.label === null ? "" : String(o.label);
      var lines = text ? text.split("\n") : [];
      var w = lines.reduce(function (m, l) { return Math.max(m, textWidth(l, size)); }, 0);
      box.x0 = Math.min(box.x0, p.x - r * 1.3, p.x - w / 2); box.x1 = Math.max(box.x1, p.x + r * 1.3, p.x + w / 2);
      box.y0 = Math.min(box.y0, p.y - r * 1.3); box.y1 = Math.max(box.y1, p.y + r * 1.3 + 4 + lines.length * size * 1.2);
      return { id: id, o: o, x: p.x, y: p.y, r: r, text: text, size: size };
    });
    if (!nodes.length) box = { x0: 0, y0: 0, x1: 400, y1: 100 };
    var pad = 20, title = (document.getElementById("nk-title") || {}).textContent || document.title;
    var entries = legend(), lineH = 20;
    var legendW = entries.reduce(function (m, e) { return Math.max(m, 28 + textWidth(e.text, 13)); }, 0);
    var width = Math.ceil(Math.max(box.x1 - box.x0 + 2 * pad, textWidth(title, 18) + 2 * pad, legendW + 2 * pad));
    var top = 44, graphH = box.y1 - box.y0;
    var height = Math.ceil(top + graphH + pad + (entries.length ? entries.length * lineH + pad : 0));
    var dx = pad - box.x0 + (width - 2 * pad - (box.x1 - box.x0)) / 2, dy = top - box.y0;

    var root = make("svg", { width: width, height: height, viewBox: "0 0 " + width + " " + height, version: "1.1" });
    root.appendChild(make("title", null, title.trim()));
    var intro = document.querySelector(".nk-intro");
    if (intro) root.appendChild(make("desc", null, intro.textContent.replace(/\s+/g, " ").trim()));
    root.appendChild(make("rect", { x: 0, y: 0, width: width, height: height, fill: "#ffffff" }));
    label(root, title.trim(), pad, 28, 18, "#1d2733", "start");

    var graph = make("g", { id: "nk-graph", transform: "translate(" + num(dx) + "," + num(dy) + ")" });
    var edges = make("g", { id: "nk-edges", "stroke-linecap": "round" });
    body.data.edges.getIds().forEach(function (id) {
      var e = body.edges[id];
      if (!e || e.options.hidden || !pos[e.fromId] || !pos[e.toId]) return;
      if ((e.from && e.from.options.hidden) || (e.to && e.to.options.hidden)) return;  // a kind the legend hides
      var c = e.options.color || {}, a = pos[e.fromId], b = pos[e.toId];
      var dashes = e.options.dashes === true ? "5 15" : Array.isArray(e.options.dashes) ? e.options.dashes.join(" ") : null;
      edges.appendChild(make("line", { "data-id": id, x1: num(a.x), y1: num(a.y), x2: num(b.x), y2: num(b.y),
        stroke: c.color || "#848484", "stroke-opacity": c.opacity === undefined ? null : c.opacity,
        "stroke-width": e.options.width || 1, "stroke-dasharray": dashes }));
    });
    graph.appendChild(edges);
    var group = make("g", { id: "nk-nodes" });
    nodes.forEach(function (n) {
      var c = n.o.color || {};
      var g = make("g", { "data-id": n.id });
      g.appendChild(shape(n.o.shape, n.x, n.y, n.r, { fill: c.background || "#97c2fc", stroke: c.border || "#2b7ce9",
        "stroke-width": n.o.borderWidth === undefined ? 1 : n.o.borderWidth }));
      if (n.text) label(g, n.text, n.x, n.y + n.r + 3 + n.size * 0.9, n.size, (n.o.font && n.o.font.color) || "#343434");
      group.appendChild(g);
    });
    graph.appendChild(group);
    root.appendChild(graph);

    var keys = make("g", { id: "nk-legend", "font-family": FONT, "font-size": 13 });
    entries.forEach(function (e, i) {
      var y = top + graphH + pad + i * lineH + 14;
      if (e.symbol) keys.appendChild(make("text", { x: pad, y: y, fill: e.colour, "font-size": 16 }, e.symbol));
      else keys.appendChild(make("rect", { x: pad, y: y - 7, width: 18, height: 4, rx: 2, fill: e.colour }));
      keys.appendChild(make("text", { x: pad + 28, y: y, fill: "#1d2733", "class": "nk-legend-text" }, e.text));
    });
    root.appendChild(keys);
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(root) + "\n";
  }

  function save(blob, name) {
    figure().save(blob, name);
  }

  function download(kind) {
    var box = document.getElementById("nk-downloads");
    if (box) delete box.dataset.error;
    var made = kind === "svg"
      ? Promise.resolve(new Blob([svg()], { type: "image/svg+xml" }))
      : png();
    return made.then(function (blob) { save(blob, filename(kind)); return blob; }).catch(function (err) {
      if (box) box.dataset.error = String(err && err.message || err);
      throw err;
    });
  }

  function bind() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-nk-download]"), function (button) {
      button.addEventListener("click", function () {
        download(button.dataset.nkDownload).catch(function () { /* said in data-error; keep the page usable */ });
      });
    });
  }

  window.nkDownload = { png: png, svg: svg, filename: filename, save: save, download: download };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", bind);
  else bind();
})();
