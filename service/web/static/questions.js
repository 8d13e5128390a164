/* lbp-kg /questions: run a named query from its form and show the answer as a table of links.
 *
 * The form's own action (/queries/<name>?...) still works without this script; with it, the
 * answer appears under the form and the download links follow what has been typed.
 */
(function () {
  "use strict";

  var LBP = "https://w3id.org/lbp-kg/id/";

  function queryString(form, extra) {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) { params.append(key, String(value).trim()); });
    Object.keys(extra || {}).forEach(function (key) { params.set(key, extra[key]); });
    return params.toString();
  }

  function updateDownloads(form) {
    form.querySelectorAll("a.download").forEach(function (a) {
      // download=1: the answer comes as a file to save (Content-Disposition), not shown in the tab
      a.href = form.getAttribute("action") + "?" + queryString(form, { format: a.getAttribute("data-format"), download: "1" });
    });
  }

  function hrefFor(iri) { return iri.indexOf(LBP) === 0 ? "/id/" + iri.slice(LBP.length) : iri; }

  /* Return the columns to show: a ?xLabel column is folded into ?x's link; parameters are dropped. */
  function shownColumns(vars, parameters) {
    return vars.filter(function (v) {
      if (parameters.indexOf(v) >= 0) return false;
      var m = v.match(/^(.+)Label$/);
      return !(m && vars.indexOf(m[1]) >= 0);
    });
  }

  function heading(name) {
    return name.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
  }

  function cell(row, column) {
    var td = document.createElement("td");
    td.setAttribute("data-label", heading(column));
    var value = row[column];
    if (!value) return td;
    if (value.type === "uri") {
      var a = document.createElement("a");
      a.href = hrefFor(value.value);
      a.textContent = row[column + "Label"] ? row[column + "Label"].value : value.value;
      td.appendChild(a);
    } else {
      td.textContent = value.value;
    }
    return td;
  }

  function render(target, answer, parameters, caption) {
    target.innerHTML = "";
    if (typeof answer.boolean === "boolean") {
      var p = document.createElement("p");
      p.textContent = answer.boolean ? "Yes." : "No.";
      target.appendChild(p);
      return;
    }
    var rows = answer.results.bindings;
    var summary = document.createElement("p");
    summary.className = "result-count";
    summary.textContent = rows.length === 0 ? "No answers." : rows.length + (rows.length === 1 ? " answer." : " answers.");
    target.appendChild(summary);
    if (!rows.length) return;
    var columns = shownColumns(answer.head.vars, parameters);
    var wrapper = document.createElement("div");
    wrapper.className = "table-scroll";
    wrapper.setAttribute("tabindex", "0");
    wrapper.setAttribute("role", "region");
    wrapper.setAttribute("aria-label", "Answer table (scrolls sideways)");
    var table = document.createElement("table");
    table.className = "results";
    var cap = document.createElement("caption");
    cap.textContent = caption;
    table.appendChild(cap);
    var head = table.createTHead().insertRow();
    columns.forEach(function (column) {
      var th = document.createElement("th");
      th.scope = "col";
      th.textContent = heading(column);
      head.appendChild(th);
    });
    var body = table.createTBody();
    rows.forEach(function (row) {
      var tr = body.insertRow();
      columns.forEach(function (column) { tr.appendChild(cell(row, column)); });
    });
    wrapper.appendChild(table);
    target.appendChild(wrapper);
  }

  function showError(target, body, status) {
    target.innerHTML = "";
    var p = document.createElement("p");
    p.className = "error";
    p.setAttribute("role", "alert");
    p.textContent = (body && body.error) || ("The server answered " + status + ".");
    target.appendChild(p);
    var suggestions = (body && (body.suggestions || body.candidates)) || [];
    if (suggestions.length) {
      var ul = document.createElement("ul");
      suggestions.forEach(function (s) {
        var li = document.createElement("li");
        li.textContent = "Did you mean " + s.label + "?";
        ul.appendChild(li);
      });
      target.appendChild(ul);
    }
  }

  function ask(form) {
    var target = document.getElementById(form.getAttribute("data-results"));
    var parameters = Array.prototype.map.call(form.querySelectorAll("input[name]"), function (i) { return i.name; });
    var described = Array.prototype.map.call(form.querySelectorAll("input[name]"), function (i) { return i.value.trim(); });
    target.setAttribute("aria-busy", "true");
    target.textContent = "Asking…";
    fetch(form.action + "?" + queryString(form), { headers: { Accept: "application/sparql-results+json" } })
      .then(function (response) {
        return response.json().catch(function () { return null; }).then(function (body) {
          if (!response.ok || !body) { showError(target, body, response.status); return; }
          var title = form.closest("section").querySelector("h2").textContent;
          render(target, body, parameters, title + ": " + described.join(", "));
        });
      })
      .catch(function (error) { showError(target, { error: "The question could not be sent: " + error.message }); })
      .then(function () { target.removeAttribute("aria-busy"); });
  }

  /* Close the form's suggestion lists, so that none covers the answer or the Ask button. */
  function closeSuggestions(form) {
    form.querySelectorAll("input[data-autocomplete]").forEach(function (input) {
      input.dispatchEvent(new CustomEvent("lbpkg:close-suggestions"));
    });
  }

  document.querySelectorAll("form.question-form").forEach(function (form) {
    updateDownloads(form);
    form.addEventListener("input", function () { updateDownloads(form); });
    form.addEventListener("change", function () { updateDownloads(form); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      closeSuggestions(form);
      ask(form);
    });
  });

  /* /questions?ask=<name>&<param>=<value>#q-<name> (the search page's "ask this question" links):
     fill that question's form from the address and ask it. */
  var wanted = new URLSearchParams(window.location.search);
  var asked = wanted.get("ask");
  var form = asked && document.querySelector("form.question-form[data-query=\"" + CSS.escape(asked) + "\"]");
  if (form) {
    form.querySelectorAll("input[name]").forEach(function (input) {
      if (wanted.has(input.name)) input.value = wanted.get(input.name);
    });
    updateDownloads(form);
    if (form.checkValidity()) ask(form);
    var section = form.closest("section");
    if (section) section.scrollIntoView();
  }
})();
