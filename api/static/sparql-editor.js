/*
 * The SPARQL editor page of neaspec-kg (GET /sparql from a browser).
 *
 * Everything the page needs comes from this server: YASGUI is vendored under /static/vendor/yasgui and the
 * example queries are embedded in the page (script#nk-sparql-config, JSON). The settings below keep it so:
 * YASQE's "class" and "property" autocompleters call the LOV web API, so only the local ones stay on; the
 * endpoint is ours and the endpoint catalogue (dbpedia, wikidata by default) is empty; nothing is kept in
 * localStorage, so a stale tab from an earlier visit cannot point the editor elsewhere.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("nk-sparql-config").textContent);
  var examples = config.examples || [];
  var byName = {};
  examples.forEach(function (example) { byName[example.name] = example; });

  // Must be set on the defaults before the editor is created: a per-instance list is merged index-wise
  // into the default list and would keep the LOV-backed completers.
  Yasgui.Yasqe.defaults.autocompleters = ["prefixes", "variables"];

  var first = examples.length ? examples[0] : null;
  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: config.endpoint, method: "POST" },
    endpointCatalogueOptions: { getData: function () { return []; } },
    copyEndpointOnNewTab: true,
    persistenceId: null,
    tabName: "Query",
    yasqe: { value: first ? first.query : "SELECT * WHERE { ?s ?p ?o } LIMIT 10\n" },
  });
  if (first && yasgui.getTab()) {
    yasgui.getTab().setName(first.title);
  }

  function load(name) {
    var example = byName[name];
    var tab = yasgui.getTab();
    if (!example || !tab) {
      return;
    }
    tab.setEndpoint(config.endpoint);
    tab.setQuery(example.query);
    tab.setName(example.title);
    document.querySelectorAll(".nk-example").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.dataset.example === name));
    });
  }

  document.querySelectorAll(".nk-example").forEach(function (button) {
    button.setAttribute("aria-pressed", String(first !== null && button.dataset.example === first.name));
    button.addEventListener("click", function () { load(button.dataset.example); });
  });

  // for tests and for the curious: the editor instance
  window.neaspecYasgui = yasgui;
})();
