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
  window.lbpKgEditor = yasgui;
})();
