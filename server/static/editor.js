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

  // Accessibility (WCAG 2.1 A/AA, checked with axe-core), configured here rather than by patching the vendored
  // files: name the endpoint field and the query editor's text area, and make the "add tab" button a tab of
  // the tab list it sits in (a tablist may only hold tabs). YASGUI re-renders tabs, so this runs on changes.
  var labels = data.lang === "en"
    ? { endpoint: "SPARQL endpoint", query: "SPARQL query", tabName: "Tab name", pageSize: "Rows per page" }
    : { endpoint: "SPARQL-Endpunkt", query: "SPARQL-Abfrage", tabName: "Name des Tabs", pageSize: "Zeilen je Seite" };
  function accessible() {
    host.querySelectorAll("input.autocomplete:not([aria-label])").forEach(function (el) {
      el.setAttribute("aria-label", labels.endpoint || "SPARQL endpoint");
    });
    host.querySelectorAll(".CodeMirror textarea:not([aria-label])").forEach(function (el) {
      el.setAttribute("aria-label", labels.query || "SPARQL query");
    });
    host.querySelectorAll(".tab input[type=text]:not([aria-label])").forEach(function (el) {
      el.setAttribute("aria-label", labels.tabName || "Tab name");
    });
    host.querySelectorAll("select.tableSizer:not([aria-label])").forEach(function (el) {
      el.setAttribute("aria-label", labels.pageSize || "Rows per page");
    });
    host.querySelectorAll("input[placeholder]:not([aria-label]), select[title]:not([aria-label])").forEach(function (el) {
      if (!el.labels || !el.labels.length) el.setAttribute("aria-label", el.getAttribute("placeholder") || el.title);
    });
    host.querySelectorAll("[role=tablist] button.addTab:not([role])").forEach(function (el) {
      el.setAttribute("role", "tab");
      el.setAttribute("aria-selected", "false");
    });
  }
  accessible();
  var pending = false;
  new MutationObserver(function () {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () { pending = false; accessible(); });
  }).observe(host, { childList: true, subtree: true });

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
