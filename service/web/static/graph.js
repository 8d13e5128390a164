/* lbp-kg graph picture: draw /graph.json with Cytoscape.js, list the same edges as a table, and
 * highlight an explained path (from /queries/explain, on /graph?from=&to=) or a case's chains (the
 * container's data-highlight, on /cases).
 *
 * Readable at any width: each node is sized to its wrapped label (so the label stays inside its
 * shape), the layers of the layout wrap into rows when they are wider than the frame, and the frame
 * grows to the picture's height, so the whole picture fits at a zoom where labels are at least
 * READABLE_PX on screen. The pattern is drawn first; the anatomy (the muscles the states belong to)
 * is drawn on demand. Edge labels show on hover, on selection and on highlighted edges; the legend
 * says what each line means. Keyboard: Tab to the picture, arrow keys move from term to term in
 * reading order, Enter opens the term's page, + and - zoom, 0 fits.
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
  var anatomyToggle = document.getElementById("graph-anatomy");

  function say(message) { if (statusEl) statusEl.textContent = message; }

  function said() { return statusEl ? statusEl.textContent : ""; }

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
    ["aria-label", "aria-roledescription", "aria-describedby", "tabindex"].forEach(function (name) {
      container.removeAttribute(name);
    });
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
    if (!kinds || !edges) return;
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
    pathItem.appendChild(document.createTextNode(container.getAttribute("data-highlight-caption") || "the explained path"));
    edges.appendChild(pathItem);
  }

  function fillList(data, onPath) {
    var body = document.getElementById("graph-edges");
    if (!body) return;
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
    if (!box) return;
    box.innerHTML = "";
    box.hidden = !node;
    if (!node) return;
    var title = document.createElement("h3");
    title.textContent = node.data("label");
    box.appendChild(title);
    var kind = document.createElement("p");
    kind.textContent = node.data("kindLabel") + "; " + node.connectedEdges().length + " links";
    box.appendChild(kind);
    var links = document.createElement("ul");
    links.className = "selection-links";
    node.connectedEdges().forEach(function (edge) {
      var item = document.createElement("li");
      item.textContent = edge.source().data("label") + " " + edge.data("label") + " " + edge.target().data("label");
      links.appendChild(item);
    });
    if (links.children.length) box.appendChild(links);
    var actions = document.createElement("p");
    actions.className = "selection-actions";
    actions.appendChild(link("Open its page", node.data("href")));
    actions.appendChild(document.createTextNode(" · "));
    var iri = node.data("iri");
    var focusValue = iri.indexOf(LBP) === 0 ? "lbp:" + iri.slice(LBP.length) : iri;
    actions.appendChild(link("Centre the graph here", (container.getAttribute("data-graph-page") || window.location.pathname) +
                             "?focus=" + encodeURIComponent(focusValue)));
    actions.appendChild(document.createTextNode(" · "));
    var close = document.createElement("button");
    close.type = "button";
    close.className = "selection-close";
    close.textContent = "Close";
    close.onclick = function () { select(window.lbpKgGraph, null); container.focus(); };
    actions.appendChild(close);
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
      var samePair = data.edges.filter(function (e) { return e.data.source === source && e.data.target === target; });
      var found = samePair.filter(function (e) { return !step.relation || e.data.relationIri === step.relation; });
      // the picture keeps only the most specific relation of a pair: a step naming its super-property is that edge
      if (!found.length) found = samePair;
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

  /* ---- sizing: every label inside its shape ---------------------------------------------------- */

  var FONT_PX = 13;            // node labels at zoom 1
  var EDGE_FONT_PX = 12;       // edge labels at zoom 1
  var READABLE_PX = 11;        // the least a label may measure on screen at the opening zoom
  var LINE_HEIGHT = 1.25;
  var FONT_FAMILY = "system-ui, sans-serif";
  var TEXT_WIDTH = 136;        // labels wrap at this width (model px)
  var PAD = 5;                 // space between a label and its shape's outline
  // The share of a shape's half-width and half-height that a text box may fill and stay inside the
  // outline, and how far the box is shifted sideways (a share of the half-width). Worked out from
  // the unit polygons Cytoscape draws: a diamond holds a box with x/w + y/h <= 1/2, an ellipse one
  // whose corners satisfy (x/a)^2 + (y/b)^2 <= 1, a hexagon |x| + |y|/2 <= 1 in unit coordinates,
  // a tag's point takes the right quarter, a rhomboid leans by a third.
  var TEXT_AREA = {
    "rectangle": [1, 1, 0], "round-rectangle": [0.94, 0.86, 0], "cut-rectangle": [0.9, 0.8, 0],
    "barrel": [0.86, 0.72, 0], "ellipse": [0.7, 0.7, 0], "diamond": [0.54, 0.44, 0],
    "hexagon": [0.6, 0.7, 0], "octagon": [0.76, 0.6, 0], "tag": [0.74, 0.6, -0.22],
    "round-tag": [0.7, 0.54, -0.2], "rhomboid": [0.46, 0.5, 0]
  };
  var measure = document.createElement("canvas").getContext("2d");

  function textWidth(text) {
    measure.font = "normal normal " + FONT_PX + "px " + FONT_FAMILY;
    return measure.measureText(text).width;
  }

  function wrapLabel(label) {
    var lines = [];
    String(label).split(/\s+/).forEach(function (word) {
      var last = lines.length ? lines[lines.length - 1] : null;
      if (last !== null && textWidth(last + " " + word) <= TEXT_WIDTH) lines[lines.length - 1] = last + " " + word;
      else lines.push(word);
    });
    return lines;
  }

  /* Size each node to its wrapped label and its kind's shape (node.data: text, w, h, shift). */
  function sizeNodes(nodes, legend) {
    var shapes = {};
    legend.kinds.forEach(function (kind) { shapes[kind.kind] = kind.shape; });
    nodes.forEach(function (n) {
      var lines = wrapLabel(n.data.label);
      var area = TEXT_AREA[shapes[n.data.kind] || "ellipse"] || TEXT_AREA.ellipse;
      var textW = Math.max.apply(null, lines.map(textWidth));
      var textH = lines.length * FONT_PX * LINE_HEIGHT;
      n.data.text = lines.join("\n");
      n.data.w = Math.ceil(Math.max(64, (textW + 2 * PAD) / area[0]));
      n.data.h = Math.ceil(Math.max(34, (textH + 2 * PAD) / area[1]));
      n.data.shift = Math.round(area[2] * n.data.w / 2);
    });
  }

  /* ---- drawing ------------------------------------------------------------------------------ */

  function stylesheet(legend) {
    var style = [
      { selector: "node", style: {
          "label": "data(text)", "text-wrap": "wrap", "text-max-width": "1000px",
          "text-valign": "center", "text-halign": "center", "text-margin-x": "data(shift)",
          "font-size": FONT_PX + "px", "line-height": LINE_HEIGHT, "font-family": FONT_FAMILY,
          "width": "data(w)", "height": "data(h)",
          "border-width": 1, "border-color": "#555", "background-color": "#eee", "color": "#111" } },
      { selector: "node[?focus]", style: { "border-width": 4, "border-color": "#000" } },
      { selector: "node:selected", style: { "border-width": 4, "border-color": "#000", "overlay-opacity": 0 } },
      { selector: "edge", style: {
          "width": 2, "curve-style": "bezier", "target-arrow-shape": "triangle",
          "line-color": "#aaa", "target-arrow-color": "#aaa", "arrow-scale": 1.1 } },
      { selector: "edge.labelled", style: {
          "label": "data(label)", "font-size": EDGE_FONT_PX + "px", "font-family": FONT_FAMILY, "color": "#111",
          "text-rotation": "none", "text-background-color": "#fff", "text-background-opacity": 0.95,
          "text-background-padding": "2px", "text-border-width": 1, "text-border-color": "#999",
          "text-border-opacity": 1, "z-index": 20 } },
      { selector: ".faded", style: { "opacity": 0.25 } },
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
      "width": 6, "line-color": "#111", "target-arrow-color": "#111", "line-style": "solid", "z-index": 10 } });
    return style;
  }

  /* ---- layout: fit the frame's width at a readable zoom --------------------------------------- */

  var MARGIN = 12;      // screen px between the picture and the frame
  var ROW_GAP = 18;     // between the rows of a wrapped layer
  var LAYER_GAP = 44;   // between layers
  var NODE_GAP = 16;    // between neighbours in a row
  var MAX_ZOOM_OPENING = 1.3;

  function runLayout(cy) {
    if (window.cytoscapeDagre && !cytoscape.__lbpDagre) {
      cytoscape.use(window.cytoscapeDagre);
      cytoscape.__lbpDagre = true;
    }
    // top to bottom: causes above effects
    var options = cytoscape.__lbpDagre
      ? { name: "dagre", rankDir: "TB", nodeSep: NODE_GAP, rankSep: LAYER_GAP, edgeSep: 8, animate: false }
      : { name: "breadthfirst", directed: true, spacingFactor: 0.9, animate: false };
    cy.layout(options).run();
  }

  /* Lay each layer (the nodes the layout put on one row) out again in rows no wider than
   * maxWidth, keeping the layout's left-to-right order: a layer too wide for the frame becomes
   * two or three rows instead of a picture too small to read. */
  function wrapLayers(cy, maxWidth) {
    var layers = {};
    cy.nodes().forEach(function (n) {
      var key = Math.round(n.position("y"));
      (layers[key] = layers[key] || []).push(n);
    });
    var positions = {};
    var y = 0;
    Object.keys(layers).map(Number).sort(function (a, b) { return a - b; }).forEach(function (key) {
      var rows = [[]];
      var width = 0;
      layers[key].sort(function (a, b) { return a.position("x") - b.position("x"); }).forEach(function (n) {
        var w = n.data("w");
        if (rows[rows.length - 1].length && width + NODE_GAP + w > maxWidth) { rows.push([]); width = 0; }
        width += (rows[rows.length - 1].length ? NODE_GAP : 0) + w;
        rows[rows.length - 1].push(n);
      });
      rows.forEach(function (row) {
        var rowWidth = row.reduce(function (sum, n) { return sum + n.data("w"); }, 0) + NODE_GAP * (row.length - 1);
        var rowHeight = Math.max.apply(null, row.map(function (n) { return n.data("h"); }));
        var x = -rowWidth / 2;
        row.forEach(function (n) {
          positions[n.id()] = { x: x + n.data("w") / 2, y: y + rowHeight / 2 };
          x += n.data("w") + NODE_GAP;
        });
        y += rowHeight + ROW_GAP;
      });
      y += LAYER_GAP - ROW_GAP;
    });
    cy.nodes().positions(function (n) { return positions[n.id()]; });
  }

  /* The zoom at which labels are READABLE_PX, with a little room for rounding. */
  function leastZoom() { return (READABLE_PX + 0.5) / FONT_PX; }

  /* Lay the picture out for the frame's width, make the frame as tall as the picture and show it
   * all, centred. */
  function arrange(cy) {
    var width = container.clientWidth;
    runLayout(cy);
    if (cy.nodes().boundingBox().w * leastZoom() > width - 2 * MARGIN) {
      wrapLayers(cy, (width - 2 * MARGIN) / leastZoom());
    }
    fitFrame(cy);
  }

  function fitFrame(cy) {
    var width = container.clientWidth;
    var box = cy.elements().boundingBox();
    var zoom = Math.min(MAX_ZOOM_OPENING, (width - 2 * MARGIN) / Math.max(box.w, 1));
    var height = Math.max(160, Math.ceil(box.h * zoom + 2 * MARGIN));
    container.style.height = height + "px";
    cy.resize();
    cy.viewport({ zoom: zoom, pan: { x: (width - box.w * zoom) / 2 - box.x1 * zoom,
                                     y: (height - box.h * zoom) / 2 - box.y1 * zoom } });
  }

  /* ---- interaction: hover, selection and the keyboard ----------------------------------------- */

  function readingOrder(cy) {
    return cy.nodes().sort(function (a, b) {
      return (a.position("y") - b.position("y")) || (a.position("x") - b.position("x"));
    });
  }

  function select(cy, node) {
    cy.nodes(":selected").unselect();
    cy.edges(".selected-link").removeClass("selected-link labelled");
    cy.edges(".on-path").addClass("labelled");
    if (node) {
      node.select();
      node.connectedEdges().addClass("selected-link labelled");
      var view = cy.extent(), box = node.boundingBox();
      if (box.x1 < view.x1 || box.x2 > view.x2 || box.y1 < view.y1 || box.y2 > view.y2) cy.center(node);
    }
    showSelection(node);
  }

  function zoomBy(cy, factor) {
    cy.zoom({ level: cy.zoom() * factor, renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 } });
  }

  function interact(cy) {
    cy.on("tap", "node", function (event) { select(cy, event.target); });
    cy.on("tap", function (event) { if (event.target === cy) select(cy, null); });
    cy.on("dbltap", "node", function (event) { window.location.href = event.target.data("href"); });
    cy.on("mouseover", "node", function (event) { event.target.connectedEdges().addClass("labelled"); });
    cy.on("mouseout", "node", function (event) {
      event.target.connectedEdges().not(".selected-link, .on-path").removeClass("labelled");
    });
    cy.on("mouseover", "edge", function (event) { event.target.addClass("labelled"); });
    cy.on("mouseout", "edge", function (event) {
      if (!event.target.is(".selected-link, .on-path")) event.target.removeClass("labelled");
    });
  }

  var keyHandler = null;

  function keyboard(cy) {
    if (keyHandler) container.removeEventListener("keydown", keyHandler);
    keyHandler = function (event) {
      var order = readingOrder(cy);
      var current = cy.nodes(":selected").first();
      var index = current.length ? order.indexOf(current) : -1;
      var next = null;
      switch (event.key) {
        case "ArrowRight": case "ArrowDown": next = order[Math.min(order.length - 1, index + 1)]; break;
        case "ArrowLeft": case "ArrowUp": next = order[Math.max(0, index - 1)]; break;
        case "Home": next = order[0]; break;
        case "End": next = order[order.length - 1]; break;
        case "Enter": if (current.length) window.location.href = current.data("href"); return;
        case "Escape": select(cy, null); event.preventDefault(); return;
        case "+": case "=": zoomBy(cy, 1.25); event.preventDefault(); return;
        case "-": zoomBy(cy, 0.8); event.preventDefault(); return;
        case "0": fitFrame(cy); event.preventDefault(); return;
        default: return;
      }
      event.preventDefault();
      if (next) select(cy, next);
    };
    container.addEventListener("keydown", keyHandler);
  }

  function controls(cy) {
    var zoomIn = document.getElementById("graph-zoom-in");
    var zoomOut = document.getElementById("graph-zoom-out");
    var fit = document.getElementById("graph-fit");
    if (zoomIn) zoomIn.onclick = function () { zoomBy(cy, 1.25); };
    if (zoomOut) zoomOut.onclick = function () { zoomBy(cy, 0.8); };
    if (fit) fit.onclick = function () { fitFrame(cy); };
  }

  function touchScreen() { return Boolean(window.matchMedia && window.matchMedia("(pointer: coarse)").matches); }

  function draw(data, highlighted) {
    if (window.lbpKgGraph) window.lbpKgGraph.destroy();
    sizeNodes(data.nodes, data.legend);
    var cy = cytoscape({
      container: container,
      elements: { nodes: data.nodes, edges: data.edges },
      style: stylesheet(data.legend),
      layout: { name: "preset" },
      minZoom: 0.2,
      maxZoom: 3,
      boxSelectionEnabled: false,
      autoungrabify: true,
      // On a touch screen the whole picture already fits, readable: a swipe over it should scroll
      // the page, not pan the picture (the zoom buttons remain).
      userPanningEnabled: !touchScreen(),
      userZoomingEnabled: !touchScreen()
    });
    if (highlighted) {
      cy.elements().addClass("faded");
      cy.edges().forEach(function (e) {
        if (highlighted.edges[e.id()]) e.removeClass("faded").addClass("on-path labelled");
      });
      cy.nodes().forEach(function (n) {
        if (highlighted.nodes[n.id()]) n.removeClass("faded").addClass("on-path");
      });
    }
    arrange(cy);
    interact(cy);
    keyboard(cy);
    controls(cy);
    window.lbpKgGraph = cy;
    container.setAttribute("data-ready", "true");
    return cy;
  }

  /* ---- what is drawn: the pattern first, the anatomy on demand ---------------------------------- */

  // the kinds that are anatomy rather than the pattern: drawn on the whole pattern only when asked
  var ANATOMY_KINDS = { muscle: true, group: true, anatomy: true, action: true };

  function showsAnatomy(data) { return Boolean(data.focus) || !anatomyToggle || anatomyToggle.checked; }

  /* The part of the data drawn now: without the anatomy unless it is asked for (or a term is in focus). */
  function visiblePart(data, keep) {
    if (showsAnatomy(data)) return data;
    var hidden = {};
    data.nodes.forEach(function (n) {
      if (ANATOMY_KINDS[n.data.kind] && !(keep && keep[n.data.id])) hidden[n.data.id] = true;
    });
    var edges = data.edges.filter(function (e) { return !hidden[e.data.source] && !hidden[e.data.target]; });
    var kinds = {}, relations = {};
    var nodes = data.nodes.filter(function (n) { return !hidden[n.data.id]; });
    nodes.forEach(function (n) { kinds[n.data.kind] = true; });
    edges.forEach(function (e) { relations[e.data.relation] = true; });
    return {
      focus: data.focus, title: data.title, nodes: nodes, edges: edges, hidden: Object.keys(hidden).length,
      legend: { kinds: data.legend.kinds.filter(function (k) { return kinds[k.kind]; }),
                relations: data.legend.relations.filter(function (r) { return relations[r.relation]; }) }
    };
  }

  /* A case's chains, from the container's data-highlight: [[subject, relation, object], ...] as CURIEs. */
  function highlightSteps() {
    var raw = container.getAttribute("data-highlight");
    if (!raw) return null;
    var expand = function (curie) { return curie && curie.indexOf("lbp:") === 0 ? LBP + curie.slice(4) : curie; };
    var steps = JSON.parse(raw).map(function (t) { return { source: expand(t[0]), relation: expand(t[1]), target: expand(t[2]) }; });
    return steps.length ? { steps: steps, labels: {} } : null;
  }

  /* ---- main ----------------------------------------------------------------------------------- */

  var libraryLoaded = typeof window.cytoscape === "function";
  if (!libraryLoaded) libraryMissingNotice();

  var url = container.getAttribute("data-graph-url") + (focus ? "?focus=" + encodeURIComponent(focus) : "");
  var explaining = !focus && pathFrom && pathTo;
  var explainUrl = container.getAttribute("data-explain-url") + "?from=" + encodeURIComponent(pathFrom) +
                   "&to=" + encodeURIComponent(pathTo);

  function copy(data) { return JSON.parse(JSON.stringify(data)); }

  /* Draw (or draw again) what the page asks for: the visible part, its path or chains in bold. */
  function render(data, path, quiet) {
    var keep = {};
    (path ? path.steps : []).forEach(function (step) { keep[localName(step.source)] = keep[localName(step.target)] = true; });
    var view = visiblePart(copy(data), keep);
    var highlighted = path ? addPath(view, path) : null;
    fillLegend(view.legend);
    fillList(view, highlighted ? highlighted.edges : {});
    var legendPath = document.querySelector(".legend-path");
    if (legendPath) legendPath.hidden = !path;
    if (!quiet) {
      var bold = path ? Object.keys(highlighted.edges).length : 0;
      say(view.nodes.length + " terms and " + view.edges.length + " links" +
          (path ? "; " + bold + " links " + (container.getAttribute("data-highlight-caption") ? "of " + container.getAttribute("data-highlight-caption") : "of the path") + " are drawn in bold" : "") +
          (view.hidden ? "; " + view.hidden + " muscles and structures are hidden (tick \u201cshow the anatomy\u201d to draw them)" : "") + ".");
    }
    if (libraryLoaded) draw(view, highlighted);
    return view;
  }

  getJson(url).then(function (data) {
    var title = document.getElementById("graph-title");
    if (data.title && title) title.textContent = data.title;
    if (!explaining) return { data: data, path: highlightSteps() };
    return getJson(explainUrl).then(function (answer) {
      var path = pathSteps(answer);
      if (!path.steps.length) {
        say("No causal path leads from \u201c" + pathFrom + "\u201d to \u201c" + pathTo + "\u201d; showing the whole pattern.");
        return { data: data, path: null, quiet: true };
      }
      if (title) title.textContent = "From " + pathFrom + " to " + pathTo;
      return { data: data, path: path };
    }, function (error) {
      say("The path could not be explained (" + error.message.replace(/\.+$/, "") + "); showing the whole pattern.");
      return { data: data, path: null, quiet: true };
    });
  }).then(function (page) {
    var view = render(page.data, page.path, page.quiet);
    // the step-by-step list, with each step's sources, is written by the server (_path_steps.html)
    var redraw = function () { render(page.data, page.path, page.quiet); };
    if (anatomyToggle) anatomyToggle.addEventListener("change", redraw);
    // a case page offers each driver's chains: drawing them replaces the highlight
    document.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest("[data-graph-highlight]");
      if (!button) return;
      container.setAttribute("data-highlight", button.getAttribute("data-graph-highlight"));
      container.setAttribute("data-highlight-caption", button.getAttribute("data-graph-caption") || "the chains");
      page.path = highlightSteps();
      redraw();
      container.scrollIntoView({ block: "start" });
    });
    var width = container.clientWidth;
    window.addEventListener("resize", function () {
      if (!window.lbpKgGraph || Math.abs(container.clientWidth - width) < 8) return;
      width = container.clientWidth;
      arrange(window.lbpKgGraph);
    });
  }).catch(function (error) {
    say("The graph could not be loaded: " + error.message);
  });
})();
