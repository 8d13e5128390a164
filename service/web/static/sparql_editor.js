/* lbp-kg /sparql in a browser: YASGUI on this service's endpoint, one tab per catalogue query. */
(function () {
  "use strict";

  var host = document.getElementById("yasgui");
  if (!host) return;
  var statusEl = document.getElementById("editor-status");
  var examples = JSON.parse(document.getElementById("sparql-examples").textContent || "[]");

  if (typeof window.Yasgui !== "function") {
    var command = host.getAttribute("data-install-command") || "npm ci";
    statusEl.textContent = "The editor library did not load. In the project folder, run " + command +
      " and reload; the example queries are listed below as text.";
    return;
  }

  // Only offline completers: the class and property completers ask a public vocabulary service.
  Yasgui.Yasqe.defaults.autocompleters = ["prefixes", "variables"];

  var endpoint = new URL(host.getAttribute("data-endpoint"), window.location.href).href;
  var yasgui = new Yasgui(host, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    // a fresh page shows the current catalogue, not the tabs of an earlier visit
    persistenceId: null,
    populateFromUrl: false,
    autofocus: false,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    yasqe: { resizeable: true, editorHeight: "320px" }
  });

  // A tab's editor exists only once the tab is shown, so the other tabs get their query as config.
  var first = yasgui.getTab();
  examples.forEach(function (example, i) {
    if (i === 0 && first) {
      first.setName(example.name);
      first.setQuery(example.query);
      return;
    }
    yasgui.addTab(false, { name: example.name, yasqe: { value: example.query },
                           requestConfig: { endpoint: endpoint, method: "POST" } });
  });
  if (first) yasgui.selectTabId(first.getId());

  yasgui.on("queryResponse", function (instance, tab) {
    statusEl.textContent = "Query answered in tab \u201c" + tab.getName() + "\u201d.";
  });

  /* YASGUI's markup, mended for screen readers and keyboards (axe-core finds these on the page,
   * tests/browser/test_accessibility.py): a tab may only name the panel it controls when that
   * panel is on the page (YASGUI draws only the open tab's); the tab list may hold only tabs, so
   * the add-tab button goes after it; the editor's text box and the endpoint box get names; the
   * editor's scrolling area can be reached by keyboard. YASGUI redraws as tabs change, so this
   * runs again after every change to its elements. */
  function setAttribute(element, name, value) {
    if (value === null) { if (element.hasAttribute(name)) element.removeAttribute(name); }
    else if (element.getAttribute(name) !== value) element.setAttribute(name, value);
  }

  function mend() {
    host.querySelectorAll("[role=tab]").forEach(function (tab) {
      var panel = tab.getAttribute("data-controls") || tab.getAttribute("aria-controls");
      if (!panel) return;
      setAttribute(tab, "data-controls", panel);
      setAttribute(tab, "aria-controls", document.getElementById(panel) ? panel : null);
    });
    host.querySelectorAll("[role=tablist]").forEach(function (list) {
      Array.prototype.slice.call(list.children).forEach(function (child) {
        if (child.querySelector("button.addTab")) list.parentNode.insertBefore(child, list.nextSibling);
      });
    });
    host.querySelectorAll(".CodeMirror textarea").forEach(function (box) { setAttribute(box, "aria-label", "SPARQL query"); });
    host.querySelectorAll("input.autocomplete").forEach(function (box) { setAttribute(box, "aria-label", "SPARQL endpoint address"); });
    host.querySelectorAll(".tab input[type=text]").forEach(function (box) { setAttribute(box, "aria-label", "Tab name"); });
    host.querySelectorAll(".CodeMirror-scroll").forEach(function (area) {
      setAttribute(area, "tabindex", "0");
      setAttribute(area, "aria-label", "SPARQL query (scroll)");
    });
  }
  mend();
  new MutationObserver(mend).observe(host, { childList: true, subtree: true });
  window.lbpKgEditor = yasgui;
})();
