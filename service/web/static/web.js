/* lbp-kg pages: autocomplete for every <input data-autocomplete>, shared by all pages.
 *
 * Follows the WAI-ARIA combobox pattern (list autocomplete): arrows move through the
 * suggestions, Enter picks one, Escape closes the list; the input keeps focus throughout
 * and aria-activedescendant tells screen readers which suggestion is current.
 *   data-autocomplete="navigate"  picking a suggestion opens its entity page
 *   data-autocomplete="fill"      picking a suggestion puts its label in the input
 *   data-types="lbp:Muscle ..."   optional: only suggest terms of these types
 */
(function () {
  "use strict";

  var SEARCH_URL = (document.body.getAttribute("data-search-url") || "/search");
  var DEBOUNCE_MS = 150;
  var MAX_SUGGESTIONS = 10;

  /** Return the hits of a /search JSON answer, whatever its wrapping. */
  function hitsOf(answer) {
    if (Array.isArray(answer)) return answer;
    return answer.results || answer.hits || answer.matches || [];
  }

  /** Return {label, note, href, iri} for one search hit. */
  function describeHit(hit) {
    var iri = hit.iri || hit.id || "";
    var label = hit.label || hit.name || iri;
    var matched = hit.matched || hit.matchedText || hit.synonym || "";
    var note = matched && matched.toLowerCase() !== label.toLowerCase() ? "also called " + matched : "";
    var type = hit.typeLabel || hit.kind || (Array.isArray(hit.types) ? hit.types[0] : hit.type) || "";
    return {
      label: label,
      note: note,
      type: typeof type === "string" ? type.replace(/^.*[\/#:]/, "") : "",
      href: hit.href || hit.url || hit.page || (iri.indexOf("https://w3id.org/lbp-kg/id/") === 0
        ? "/id/" + iri.slice("https://w3id.org/lbp-kg/id/".length) : iri),
      iri: iri
    };
  }

  function fetchSuggestions(text, types, signal) {
    var url = SEARCH_URL + "?q=" + encodeURIComponent(text) + "&limit=" + MAX_SUGGESTIONS;
    if (types) {
      types.split(/\s+/).forEach(function (t) { url += "&type=" + encodeURIComponent(t); });
    }
    return fetch(url, { headers: { Accept: "application/json" }, signal: signal })
      .then(function (response) {
        if (!response.ok) throw new Error("search answered " + response.status);
        return response.json();
      })
      .then(function (answer) { return hitsOf(answer).slice(0, MAX_SUGGESTIONS).map(describeHit); });
  }

  function attach(input) {
    var mode = input.getAttribute("data-autocomplete");
    var list = document.getElementById(input.getAttribute("aria-controls"));
    var status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    input.parentNode.appendChild(status);
    var items = [];
    var active = -1;
    var timer = null;
    var pending = null;

    function close() {
      list.hidden = true;
      list.innerHTML = "";
      items = [];
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      var options = list.querySelectorAll("[role=option]");
      options.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index >= 0 && options[index]) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(index) {
      var item = items[index];
      if (!item) return;
      if (mode === "navigate") {
        window.location.href = item.href;
        return;
      }
      input.value = item.label;
      close();
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function show(found) {
      list.innerHTML = "";
      items = found;
      active = -1;
      found.forEach(function (item, i) {
        var option = document.createElement("li");
        option.id = list.id + "-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.className = "suggestion";
        var main = document.createElement("span");
        main.className = "suggestion-label";
        main.textContent = item.label;
        option.appendChild(main);
        var extra = [item.note, item.type].filter(Boolean).join(" · ");
        if (extra) {
          var small = document.createElement("span");
          small.className = "suggestion-note";
          small.textContent = extra;
          option.appendChild(small);
        }
        // mousedown, not click: the input would lose focus (and close the list) first
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(i);
        });
        list.appendChild(option);
      });
      var open = found.length > 0;
      list.hidden = !open;
      input.setAttribute("aria-expanded", open ? "true" : "false");
      status.textContent = open
        ? found.length + (found.length === 1 ? " suggestion" : " suggestions") + "; use the arrow keys to choose"
        : "no matching terms";
    }

    function update() {
      var text = input.value.trim();
      if (pending) pending.abort();
      if (text.length < 2) { close(); status.textContent = ""; return; }
      pending = new AbortController();
      fetchSuggestions(text, input.getAttribute("data-types"), pending.signal)
        .then(show)
        .catch(function (error) {
          if (error.name !== "AbortError") { close(); status.textContent = "suggestions unavailable"; }
        });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(update, DEBOUNCE_MS);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (list.hidden) { update(); return; }
        highlight(Math.min(active + 1, items.length - 1));
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight(Math.max(active - 1, 0));
      } else if (event.key === "Enter" && !list.hidden && active >= 0) {
        event.preventDefault();
        choose(active);
      } else if (event.key === "Enter") {
        // the form is being sent: no list may open now, over the button or the answer
        cancel();
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
    input.addEventListener("lbpkg:close-suggestions", cancel);

    /* Close the list and drop any suggestions still on their way. */
    function cancel() {
      clearTimeout(timer);
      if (pending) { pending.abort(); pending = null; }
      close();
    }
  }

  document.querySelectorAll("input[data-autocomplete]").forEach(attach);

  /* Shared with the page scripts: where an lbp-kg IRI is shown as a page. */
  window.lbpKg = window.lbpKg || {};
  window.lbpKg.entityHref = function (iri) {
    var base = "https://w3id.org/lbp-kg/id/";
    return iri.indexOf(base) === 0 ? "/id/" + iri.slice(base.length) : iri;
  };
})();
