/* lbp-kg /graph: draw /graph.json with Cytoscape.js, list the same edges as a table, and
 * highlight an explained path (from /queries/explain) when the page has ?from=&to=.
 *
 * The list and legend are filled even when Cytoscape is missing, so the content is never lost;
 * the drawn graph is exposed as window.lbpKgGraph for tests and curious users.
 */
(function () {
  "use strict";

  var LBP = "https://w3id.org/lbp-kg/id/";
  var container = document.getElementById("graph");
  if (!container) return;
  var statusEl = document.getElementById("graph-status");
  var focus = container.getAttribute("data-focus");
  var pathFrom = container.getAttribute("data-from");
  var pathTo = container.getAttribute("data-to");

  function say(message) { statusEl.textContent = message; }

  function localName(iri) { return iri.indexOf(LBP) === 0 ? iri.slice(LBP.length) : iri; }

  function link(text, href) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }

  function getJson(url) {
    return fetch(url, { headers: { Accept: "application/json, application/sparql-results+json" } })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (!response.ok) throw new Error(body.error || ("the server answered " + response.status));
          return body;
        });
      });
  }

  function libraryMissingNotice() {
    var command = container.getAttribute("data-install-command") || "npm ci";
    container.classList.add("graph-canvas-empty");
    container.setAttribute("role", "note");
    container.removeAttribute("aria-label");
    container.innerHTML = "";
    var p = document.createElement("p");
    p.appendChild(document.createTextNode("The graph library did not load, so the picture cannot be drawn. In the project folder, run "));
    var code = document.createElement("code");
    code.textContent = command;
    p.appendChild(code);
    p.appendChild(document.createTextNode(" and reload. The links are listed below."));
    container.appendChild(p);
  }

  /* ---- legend and list ------------------------------------------------------------------ */

  function fillLegend(legend) {
    var kinds = document.getElementById("graph-legend");
    var edges = document.getElementById("graph-legend-edges");
    kinds.innerHTML = "";
    edges.innerHTML = "";
    legend.kinds.forEach(function (kind) {
      var item = document.createElement("li");
      var swatch = document.createElement("span");
      swatch.className = "swatch swatch-" + kind.shape;
      swatch.style.backgroundColor = kind.colour;
      swatch.setAttribute("aria-hidden", "true");
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(kind.label));
      kinds.appendChild(item);
    });
    legend.relations.forEach(function (relation) {
      var item = document.createElement("li");
      var line = document.createElement("span");
      line.className = "edge-swatch edge-" + relation.line + (relation.relation === "inhibits" ? " edge-tee" : "");
      line.style.borderTopColor = relation.colour;
      line.style.color = relation.colour;
      line.setAttribute("aria-hidden", "true");
      item.appendChild(line);
      item.appendChild(document.createTextNode(relation.label));
      edges.appendChild(item);
    });
    var pathItem = document.createElement("li");
    pathItem.className = "legend-path";
    pathItem.hidden = true;
    var pathLine = document.createElement("span");
    pathLine.className = "edge-swatch edge-path";
    pathLine.setAttribute("aria-hidden", "true");
    pathItem.appendChild(pathLine);
    pathItem.appendChild(document.createTextNode("the explained path"));
    edges.appendChild(pathItem);
  }

  function fillList(data, onPath) {
    var body = document.getElementById("graph-edges");
    var nodes = {};
    data.nodes.forEach(function (n) { nodes[n.data.id] = n.data; });
    body.innerHTML = "";
    data.edges.forEach(function (e) {
      var row = document.createElement("tr");
      if (onPath[e.data.id]) row.className = "on-path";
      [nodes[e.data.source], null, nodes[e.data.target]].forEach(function (node, i) {
        var cell = document.createElement("td");
        cell.setAttribute("data-label", ["From", "Relation", "To"][i]);
        if (node) {
          cell.appendChild(link(node.label, node.href));
          var kind = document.createElement("span");
          kind.className = "kind-note";
          kind.textContent = " (" + node.kindLabel + ")";
          cell.appendChild(kind);
        } else {
          cell.textContent = e.data.label;
          if (onPath[e.data.id]) {
            var mark = document.createElement("strong");
            mark.textContent = " · on the path";
            cell.appendChild(mark);
          }
        }
        row.appendChild(cell);
      });
      body.appendChild(row);
    });
  }

  function showSelection(node) {
    var box = document.getElementById("graph-selection");
    box.innerHTML = "";
    box.hidden = !node;
    if (!node) return;
    var title = document.createElement("h3");
    title.textContent = node.data("label");
    box.appendChild(title);
    var kind = document.createElement("p");
    kind.textContent = node.data("kindLabel") + "; " + node.connectedEdges().length + " links";
    box.appendChild(kind);
    var actions = document.createElement("p");
    actions.className = "selection-actions";
    actions.appendChild(link("Open its page", node.data("href")));
    actions.appendChild(document.createTextNode(" · "));
    var iri = node.data("iri");
    var focusValue = iri.indexOf(LBP) === 0 ? "lbp:" + iri.slice(LBP.length) : iri;
    actions.appendChild(link("Centre the graph here", window.location.pathname + "?focus=" + encodeURIComponent(focusValue)));
    box.appendChild(actions);
  }

  /* ---- the explained path ----------------------------------------------------------------- */

  function term(binding) { return binding && binding.type === "uri" ? binding.value : null; }

  /* Return the path as {steps: [{source, relation, target}], labels} from a SPARQL JSON answer.
   * Rows either name each hop (subject/relation/object, in path order), or list the chain's
   * nodes in order (one node per row); both are accepted. */
  function pathSteps(answer) {
    var rows = (answer.results && answer.results.bindings) || [];
    var steps = [];
    var labels = {};
    var seen = {};
    // explain.rq names each hop subject/relation/object (its from/to columns are the ends)
    var stepKeys = [["subject", "relation", "object"], ["source", "relation", "target"]];
    rows.forEach(function (row) {
      Object.keys(row).forEach(function (key) {
        var m = key.match(/^(.*)Label$/);
        if (m && row[m[1]] && row[m[1]].type === "uri") labels[row[m[1]].value] = row[key].value;
      });
      for (var i = 0; i < stepKeys.length; i++) {
        var k = stepKeys[i];
        if (term(row[k[0]]) && term(row[k[2]])) {
          var step = { source: row[k[0]].value, relation: term(row[k[1]]), target: row[k[2]].value };
          var key = step.source + " " + step.relation + " " + step.target;
          // one row per hop and source: draw and list each hop once
          if (!seen[key]) { seen[key] = true; steps.push(step); }
          return;
        }
      }
    });
    if (!steps.length) {
      var chain = [];
      rows.forEach(function (row) {
        var node = term(row.node) || term(row.step) || term(row.term) || term(row.entity);
        if (node && chain[chain.length - 1] !== node) chain.push(node);
      });
      for (var j = 1; j < chain.length; j++) steps.push({ source: chain[j - 1], relation: null, target: chain[j] });
    }
    return { steps: steps, labels: labels };
  }

  function addPath(data, path) {
    var nodes = {};
    data.nodes.forEach(function (n) { nodes[n.data.id] = n; });
    var onPath = {};
    var pathNodes = {};
    path.steps.forEach(function (step, i) {
      [step.source, step.target].forEach(function (iri) {
        var id = localName(iri);
        pathNodes[id] = true;
        if (!nodes[id]) {
          nodes[id] = { data: { id: id, iri: iri, label: path.labels[iri] || id, kind: "other", kindLabel: "other",
                                href: iri.indexOf(LBP) === 0 ? "/id/" + id : iri } };
          data.nodes.push(nodes[id]);
        }
      });
      var source = localName(step.source), target = localName(step.target);
      var found = data.edges.filter(function (e) {
        return e.data.source === source && e.data.target === target &&
          (!step.relation || e.data.relationIri === step.relation);
      });
      if (!found.length) {
        var relationName = step.relation ? localName(step.relation) : "leads to";
        found = [{ data: { id: "path" + i, source: source, target: target, relation: relationName,
                           relationIri: step.relation || "", label: path.labels[step.relation] || relationName,
                           style: "other" } }];
        data.edges.push(found[0]);
      }
      found.forEach(function (e) { onPath[e.data.id] = true; });
    });
    return { edges: onPath, nodes: pathNodes };
  }

  /* ---- drawing ------------------------------------------------------------------------------ */

  function stylesheet(legend) {
    var style = [
      { selector: "node", style: {
          "label": "data(label)", "text-wrap": "wrap", "text-max-width": "112px",
          "text-valign": "center", "text-halign": "center", "font-size": "12px",
          "font-family": "system-ui, sans-serif", "width": "124px", "height": "48px",
          "border-width": 1, "border-color": "#555", "background-color": "#eee", "color": "#111" } },
      { selector: "node[?focus]", style: { "border-width": 4, "border-color": "#000" } },
      { selector: "node:selected", style: { "border-width": 4, "border-color": "#000", "overlay-opacity": 0 } },
      { selector: "edge", style: {
          "width": 2, "curve-style": "bezier", "target-arrow-shape": "triangle",
          "line-color": "#aaa", "target-arrow-color": "#aaa", "arrow-scale": 1.1,
          "label": "data(label)", "font-size": "9px", "color": "#333",
          "text-rotation": "autorotate", "text-background-color": "#fff",
          "text-background-opacity": 0.85, "text-background-padding": "1px" } },
      { selector: ".faded", style: { "opacity": 0.22 } },
      { selector: "node.on-path", style: { "border-width": 4, "border-color": "#000" } }
    ];
    legend.kinds.forEach(function (kind) {
      style.push({ selector: 'node[kind = "' + kind.kind + '"]', style: {
        "background-color": kind.colour, "shape": kind.shape, "color": kind.textColour } });
    });
    legend.relations.forEach(function (relation) {
      var s = { "line-color": relation.colour, "target-arrow-color": relation.colour, "line-style": relation.line };
      if (relation.relation === "inhibits") s["target-arrow-shape"] = "tee";
      style.push({ selector: 'edge[relation = "' + relation.relation + '"]', style: s });
    });
    // the path style must win over each relation's colour, so it comes last
    style.push({ selector: "edge.on-path", style: {
      "width": 6, "line-color": "#111", "target-arrow-color": "#111", "line-style": "solid",
      "font-weight": "bold", "z-index": 10 } });
    return style;
  }

  /* On a small screen the whole pattern fits only at an unreadable size: start zoomed in on
   * where the story begins (the path, or the terms nothing leads to) and let the reader pan. */
  function readableZoom(cy, highlighted) {
    var READABLE = 0.55;
    if (cy.zoom() >= READABLE) return;
    if (highlighted) {
      cy.fit(cy.elements(".on-path"), 12);
      if (cy.zoom() >= READABLE) {
        say(statusEl.textContent + " Showing the path: drag or pinch to see the rest.");
        return;
      }
    }
    var start = highlighted ? cy.elements(".on-path").roots() : cy.nodes("[?focus]");
    if (!start.length) start = cy.nodes('[kind = "factor"]');
    if (!start.length) start = cy.nodes().roots();
    var node = start.length ? start.first() : cy.nodes().first();
    var zoom = READABLE + 0.15;
    // the layout runs top to bottom, so put the start near the top and let the story run down
    cy.zoom(zoom);
    cy.pan({ x: cy.width() / 2 - node.position("x") * zoom,
             y: (highlighted ? 48 : cy.height() / 3) - node.position("y") * zoom });
    say(statusEl.textContent + " Zoomed in to be readable: drag or pinch to see the rest.");
  }

  function draw(data, highlighted) {
    if (window.cytoscapeDagre && !cytoscape.__lbpDagre) {
      cytoscape.use(window.cytoscapeDagre);
      cytoscape.__lbpDagre = true;
    }
    // top to bottom: causes above effects, which also suits both wide and tall screens
    var layout = cytoscape.__lbpDagre
      ? { name: "dagre", rankDir: "TB", nodeSep: 16, rankSep: 48, edgeSep: 8, padding: 12 }
      : { name: "breadthfirst", directed: true, padding: 16 };
    var cy = cytoscape({
      container: container,
      elements: { nodes: data.nodes, edges: data.edges },
      style: stylesheet(data.legend),
      layout: layout,
      minZoom: 0.15,
      maxZoom: 3
    });
    if (highlighted) {
      cy.elements().addClass("faded");
      cy.edges().forEach(function (e) {
        if (highlighted.edges[e.id()]) e.removeClass("faded").addClass("on-path");
      });
      cy.nodes().forEach(function (n) {
        if (highlighted.nodes[n.id()]) n.removeClass("faded").addClass("on-path");
      });
    }
    cy.ready(function () { readableZoom(cy, highlighted); });
    cy.on("tap", "node", function (event) { showSelection(event.target); });
    cy.on("tap", function (event) { if (event.target === cy) showSelection(null); });
    cy.on("dbltap", "node", function (event) { window.location.href = event.target.data("href"); });
    window.lbpKgGraph = cy;
    container.setAttribute("data-ready", "true");
    return cy;
  }

  /* ---- main ----------------------------------------------------------------------------------- */

  var libraryLoaded = typeof window.cytoscape === "function";
  if (!libraryLoaded) libraryMissingNotice();

  var url = container.getAttribute("data-graph-url") + (focus ? "?focus=" + encodeURIComponent(focus) : "");
  var explaining = !focus && pathFrom && pathTo;
  var explainUrl = container.getAttribute("data-explain-url") + "?from=" + encodeURIComponent(pathFrom) +
                   "&to=" + encodeURIComponent(pathTo);

  getJson(url).then(function (data) {
    if (data.title) document.getElementById("graph-title").textContent = data.title;
    if (!explaining) return { data: data, highlighted: null, path: null };
    return getJson(explainUrl).then(function (answer) {
      var path = pathSteps(answer);
      if (!path.steps.length) {
        say("No causal path leads from \u201c" + pathFrom + "\u201d to \u201c" + pathTo + "\u201d; showing the whole pattern.");
        return { data: data, highlighted: null, path: null, quiet: true };
      }
      document.getElementById("graph-title").textContent = "From " + pathFrom + " to " + pathTo;
      return { data: data, highlighted: addPath(data, path), path: path };
    }, function (error) {
      say("The path could not be explained (" + error.message.replace(/\.+$/, "") + "); showing the whole pattern.");
      return { data: data, highlighted: null, path: null, quiet: true };
    });
  }).then(function (view) {
    fillLegend(view.data.legend);
    fillList(view.data, view.highlighted ? view.highlighted.edges : {});
    // the step-by-step list, with each step's sources, is written by the server (_path_steps.html)
    if (view.path) document.querySelector(".legend-path").hidden = false;
    if (!view.quiet) {
      say(view.data.nodes.length + " terms and " + view.data.edges.length + " links" +
          (view.path ? "; the path's " + view.path.steps.length + " links are drawn in bold" : "") + ".");
    }
    if (libraryLoaded) draw(view.data, view.highlighted);
  }).catch(function (error) {
    say("The graph could not be loaded: " + error.message);
  });
})();
