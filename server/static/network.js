/* The interactive network of /network/ministries and /network/persons (Cytoscape.js, vendored).
 *
 * The page is complete without this script (tables, details of ?focus=, downloads). The script draws the
 * network from the JSON embedded in the page, and on a click on a node or an edge selects it: the details
 * panel is fetched from the server (/network/<kind>/details?focus=…), and the URL, the permalink and the
 * mode links are updated with ?focus=, so every view can be shared.
 */
(function () {
  "use strict";
  var dataEl = document.getElementById("network-data");
  var container = document.getElementById("network-graph");
  if (!dataEl || !container || typeof window.cytoscape !== "function") return;
  var data = JSON.parse(dataEl.textContent);
  var details = document.getElementById("network-details");
  var permalink = document.getElementById("permalink");
  var persons = data.network === "persons";
  var maxWeight = 1;
  data.edges.forEach(function (e) { maxWeight = Math.max(maxWeight, e.weight); });
  var maxForums = 1;
  data.nodes.forEach(function (n) { maxForums = Math.max(maxForums, n.forums.length); });

  var elements = [];
  data.nodes.forEach(function (n) {
    elements.push({
      group: "nodes",
      data: { id: n.id, label: n.label, kind: n.kind, forums: n.forums.length, name: n.names[data.lang] || n.names.de, title: n.title || "" },
    });
  });
  data.edges.forEach(function (e) {
    elements.push({ group: "edges", data: { id: e.id, source: e.source, target: e.target, weight: e.weight } });
  });

  container.classList.add("ready");
  container.setAttribute("role", "img");
  var cy = window.cytoscape({
    container: container,
    elements: elements,
    boxSelectionEnabled: false,
    minZoom: 0.2,
    maxZoom: 4,
    style: [
      { selector: "node", style: {
        "background-color": "#00589c", "label": "data(label)", "color": "#1d1d1f", "font-size": 12,
        "text-valign": "bottom", "text-margin-y": 4, "text-outline-color": "#fff", "text-outline-width": 2,
        "width": "mapData(forums, 1, " + Math.max(2, maxForums) + ", 22, 58)",
        "height": "mapData(forums, 1, " + Math.max(2, maxForums) + ", 22, 58)",
      } },
      { selector: "node[kind = 'person']", style: { "width": 16, "height": 16, "font-size": 11 } },
      { selector: "node[kind = 'forum']", style: {
        "shape": "round-rectangle", "background-color": "#e8833a", "width": 30, "height": 20,
        "text-valign": "center", "text-margin-y": 0, "color": "#fff", "text-outline-width": 0, "font-size": 11,
      } },
      { selector: "edge", style: {
        "curve-style": "bezier", "line-color": "#8a96a3", "opacity": 0.7,
        "width": "mapData(weight, 1, " + Math.max(2, maxWeight) + ", 1.5, 9)",
      } },
      { selector: ".faded", style: { "opacity": 0.12, "text-opacity": 0.25 } },
      { selector: "node.focused", style: { "border-width": 4, "border-color": "#d9480f" } },
      { selector: "edge.focused", style: { "line-color": "#d9480f", "opacity": 1, "label": "data(weight)", "font-size": 11, "text-background-color": "#fff", "text-background-opacity": 1 } },
      { selector: "edge.near", style: { "line-color": "#00589c", "opacity": 0.9 } },
    ],
  });
  // Deterministic: a circle by id first, then a force-directed layout from there (no random start).
  cy.layout({ name: "circle", sort: function (a, b) { return a.id() < b.id() ? -1 : 1; }, animate: false }).run();
  cy.layout({
    name: "cose", randomize: false, animate: false, fit: true, padding: 24,
    nodeRepulsion: function () { return persons ? 60000 : 400000; },
    idealEdgeLength: function (e) { return persons ? 40 : 170 - 25 * e.data("weight"); },
    edgeElasticity: function (e) { return 60 + 40 * e.data("weight"); },
    gravity: persons ? 40 : 20, numIter: 2500,
  }).run();

  function viewUrl(id) {
    var url = new URL(window.location.href);
    if (Object.keys(data.modes).length > 1) url.searchParams.set("mode", data.mode);
    if (id) url.searchParams.set("focus", id); else url.searchParams.delete("focus");
    return url;
  }

  function highlight(id) {
    cy.elements().removeClass("faded focused near");
    document.querySelectorAll("tr.selected").forEach(function (tr) { tr.classList.remove("selected"); });
    if (!id) return;
    var el = cy.getElementById(id);
    if (el.empty()) return;
    var keep = el.isNode() ? el.closedNeighborhood() : el.union(el.connectedNodes());
    cy.elements().not(keep).addClass("faded");
    keep.edges().addClass("near");
    el.addClass("focused");
    var row = document.querySelector(el.isNode() ? 'tr[data-node="' + CSS.escape(id) + '"]' : 'tr[data-edge="' + CSS.escape(id) + '"]');
    if (row) row.classList.add("selected");
  }

  function loadDetails(id) {
    var url = new URL(data.details, window.location.href);
    if (Object.keys(data.modes).length > 1) url.searchParams.set("mode", data.mode);
    if (id) url.searchParams.set("focus", id);
    details.setAttribute("aria-busy", "true");
    return fetch(url.href, { headers: { Accept: "text/html" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) { details.innerHTML = html; })
      .catch(function (err) { details.textContent = String(err); })
      .finally(function () { details.removeAttribute("aria-busy"); });
  }

  function focus(id) {
    if (id && cy.getElementById(id).empty()) id = null;
    highlight(id);
    var url = viewUrl(id);
    window.history.replaceState(null, "", url.href);
    if (permalink) permalink.href = url.pathname + url.search;
    document.querySelectorAll("a.mode-link").forEach(function (a) {
      var u = new URL(a.href);
      if (id) u.searchParams.set("focus", id); else u.searchParams.delete("focus");
      a.href = u.pathname + u.search;
    });
    return loadDetails(id);
  }

  cy.on("tap", "node, edge", function (ev) { focus(ev.target.id()); });
  cy.on("tap", function (ev) { if (ev.target === cy) focus(null); });
  cy.on("mouseover", "node", function (ev) {
    var d = ev.target.data();
    container.title = d.name + (d.title ? ": " + d.title : "");
  });
  cy.on("mouseout", "node", function () { container.title = ""; });

  if (data.focus) {
    highlight(data.focus);  // the details of the initial focus are already in the page
  }
  container.setAttribute("aria-label", data.nodes.length + " nodes, " + data.edges.length + " edges");
  container.dataset.ready = "true";
  window.ruhrkgNetwork = { cy: cy, data: data, focus: focus };
})();
