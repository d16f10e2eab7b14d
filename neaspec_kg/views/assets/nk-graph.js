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

  function sources(ids) {
    var span = el("span", "nk-src");
    (ids || []).forEach(function (i, n) {
      var s = data.sources[i];
      if (!s) return;
      if (n) span.appendChild(document.createTextNode("; "));
      var a = link(s.label, s.url || s.href);
      a.title = "Source: " + s.label + (s.url ? " (" + s.url + ")" : "");
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
      var s = el("p", "nk-edge-sources", "Sources: ");
      s.appendChild(sources(e.src));
      p.appendChild(s);
    }
    facts(p, e.facts);
    return true;
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
    network.on("click", function (params) {
      if (params.nodes.length) showNode(params.nodes[0]);
      else if (params.edges.length) showEdge(params.edges[0]);
    });
    var settled = false;
    network.once("stabilizationIterationsDone", function () {
      settled = true;
      network.setOptions({ physics: false });
      network.fit();
    });
    network.on("afterDrawing", function () { if (settled) ready(); });
    if (nodes.length === 0) { settled = true; ready(); }
    if (data.initial) {
      showNode(data.initial);
      network.selectNodes([data.initial]);
    }
  };
})();
