/* The SPARQL editor of /editor: YASGUI (vendored) on our endpoint, with our prefixes and the saved queries.
 *
 * Without this script the page shows a plain form that GETs /sparql. No third-party requests are made: the
 * class and property autocompleters (which ask lov.linkeddata.es) are off, the prefix autocompleter reads our
 * own prefixes, and the endpoint list offers only our endpoint. Tabs persist in localStorage under a
 * namespaced key (persistenceId "ruhrkg_editor").
 */
(function () {
  "use strict";
  var dataEl = document.getElementById("editor-data");
  var host = document.getElementById("yasgui");
  if (!dataEl || !host || typeof window.Yasgui !== "function") return;
  var data = JSON.parse(dataEl.textContent);
  var Yasgui = window.Yasgui;
  var endpoint = new URL(data.endpoint, window.location.href).href;

  Yasgui.defaults.yasqe.autocompleters = ["prefixes", "variables"];
  var yasgui = new Yasgui(host, {
    requestConfig: {
      endpoint: endpoint,
      method: "POST",
      acceptHeaderSelect: "application/sparql-results+json,*/*;q=0.9",
      acceptHeaderGraph: "text/turtle,*/*;q=0.9",
    },
    endpointCatalogueOptions: {
      getData: function () { return [{ endpoint: endpoint }]; },
      keys: [],
    },
    copyEndpointOnNewTab: false,
    persistenceId: data.persistenceId,
    tabName: data.tabName,
    yasqe: {
      value: data.defaultQuery,
      prefixCcApi: new URL(data.prefixesUrl, window.location.href).href,
      collapsePrefixesOnLoad: true,
      editorHeight: "360px",
    },
    yasr: { prefixes: data.prefixes },
  });

  var plain = document.getElementById("plain-form");
  if (plain) plain.hidden = true;

  var byName = {};
  data.queries.forEach(function (q) { byName[q.name] = q; });
  document.querySelectorAll("a.load-query").forEach(function (a) {
    a.addEventListener("click", function (ev) {
      if (ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.altKey) return;
      var q = byName[a.dataset.name];
      if (!q) return;
      ev.preventDefault();
      yasgui.addTab(true, { name: q.name, yasqe: { value: q.query } }, { avoidDuplicateTabs: true });
      host.scrollIntoView({ block: "start" });
    });
  });
  window.ruhrkgEditor = yasgui;
})();
