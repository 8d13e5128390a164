"""The web pages: home, /graph and /graph.json, /questions, /assets and the SPARQL editor page."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from markupsafe import escape
from rdflib import RDF, Graph, Namespace, URIRef

from service.web.views import pages
from service.kg.catalog import Catalog
from service.web.graph_view import LBP

PATTERN_STEPS = {
    ("prolonged-sitting", "causes", "psoas-tightness"),
    ("psoas-tightness", "causes", "anterior-pelvic-tilt"),
    ("anterior-pelvic-tilt", "inhibits", "gluteus-medius-inhibition"),
    ("gluteus-medius-inhibition", "overloads", "quadratus-lumborum-overload"),
    ("quadratus-lumborum-overload", "isDirectSourceOf", "low-back-pain"),
}
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")


def test_the_app_factory_serves_the_web_pages(app):
    assert "web" in app.blueprints, "create_app must call service.web.views.pages.init_app(app)"


@pytest.fixture()
def web_client(client):
    return client


@pytest.fixture(scope="module")
def catalogue():
    return list(Catalog.load())


class _Elements(HTMLParser):
    """Collect every start tag with its attributes, to ask a page what it contains."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {name: value or "" for name, value in attrs}))


def elements(html: str, tag: str, **attrs) -> list[dict]:
    """Return the attributes of each ``tag`` element whose attributes include ``attrs``."""
    parser = _Elements()
    parser.feed(html)
    return [a for t, a in parser.tags if t == tag and all(a.get(k.replace("_", "-")) == v for k, v in attrs.items())]


def page(client, url: str) -> str:
    response = client.get(url, headers={"Accept": "text/html"})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


# --- home -------------------------------------------------------------------------------------

def test_home_has_a_labelled_search_box_that_autocompletes_from_search(web_client):
    html = page(web_client, "/")
    [box] = elements(html, "input", role="combobox", id="home-search")
    assert box["data-autocomplete"] == "navigate"
    assert elements(html, "label", **{"for": "home-search"}), "the search box has no label"
    assert elements(html, "ul", id=box["aria-controls"], role="listbox")
    assert elements(html, "form", role="search", action="/search")
    assert elements(html, "script", src="/static/web.js")


def test_home_links_the_entry_points(web_client):
    links = {a["href"] for a in elements(page(web_client, "/"), "a")}
    assert {"/id/lower-crossed-syndrome", "/graph", "/questions", "/sparql"} <= links
    assert "/graph?from=prolonged+sitting&to=low+back+pain" in links


def test_home_lists_the_muscles_a_to_z_by_letter(web_client):
    html = page(web_client, "/")
    links = [a["href"] for a in elements(html, "a") if a["href"].startswith("/id/")]
    for muscle in ("gluteus-medius", "quadratus-lumborum", "psoas-major", "hamstrings"):
        assert f"/id/{muscle}" in links
    assert elements(html, "dt", id="muscles-G")
    labels = re.findall(r'<li><a href="/id/[^"]+">([^<]+)</a>', html)
    assert labels == sorted(labels, key=str.lower), "the index is not alphabetical"


def test_home_offers_every_catalogue_question(web_client, catalogue):
    links = {a["href"] for a in elements(page(web_client, "/"), "a")}
    for query in catalogue:
        assert f"/questions#q-{query.name}" in links


# --- /graph.json --------------------------------------------------------------------------------

def steps_of(data) -> set[tuple[str, str, str]]:
    return {(e["data"]["source"], e["data"]["relation"], e["data"]["target"]) for e in data["edges"]}


def test_graph_json_draws_the_lower_crossed_syndrome_chain(web_client):
    data = web_client.get("/graph.json").get_json()
    assert data["focus"] is None
    assert PATTERN_STEPS <= steps_of(data)
    ids = {n["data"]["id"] for n in data["nodes"]}
    # each state is tied to the muscle it is a state of, so the muscles are on the picture
    assert {"gluteus-medius", "quadratus-lumborum", "psoas-major"} <= ids
    assert ("gluteus-medius-inhibition", "stateOf", "gluteus-medius") in steps_of(data)
    assert any(relation == "indicates" for _, relation, _ in steps_of(data))


def test_graph_json_colours_nodes_by_kind_with_a_legend_for_every_kind_and_relation(web_client):
    data = web_client.get("/graph.json").get_json()
    kinds = {n["data"]["id"]: n["data"]["kind"] for n in data["nodes"]}
    assert kinds["prolonged-sitting"] == "factor"
    assert kinds["anterior-pelvic-tilt"] == "posture"
    assert kinds["psoas-tightness"] == "tight"
    assert kinds["gluteus-medius-inhibition"] == "inhibited"
    assert kinds["quadratus-lumborum-overload"] == "overloaded"
    assert kinds["gluteus-medius"] == "muscle"
    assert kinds["low-back-pain"] == "symptom"
    legend_kinds = {k["kind"] for k in data["legend"]["kinds"]}
    assert set(kinds.values()) == legend_kinds
    assert all(re.fullmatch(r"#[0-9A-F]{6}", k["colour"]) for k in data["legend"]["kinds"])
    assert {e["data"]["relation"] for e in data["edges"]} == {r["relation"] for r in data["legend"]["relations"]}


def test_graph_json_edges_join_drawn_nodes_and_nodes_link_to_their_pages(web_client):
    data = web_client.get("/graph.json").get_json()
    ids = {n["data"]["id"] for n in data["nodes"]}
    for edge in data["edges"]:
        assert edge["data"]["source"] in ids and edge["data"]["target"] in ids
    for node in data["nodes"]:
        assert node["data"]["href"] == f"/id/{node['data']['id']}"
        assert node["data"]["iri"] == LBP + node["data"]["id"]
        assert node["data"]["label"]


def test_graph_json_draws_each_linked_pair_once(web_client):
    pairs = [(s, t) for s, _, t in steps_of(web_client.get("/graph.json").get_json())]
    assert len(pairs) == len(set(pairs)), "a pair is drawn with a relation and its super-property"


def test_graph_json_focus_shows_a_muscles_neighbourhood_and_its_states_links(web_client):
    data = web_client.get("/graph.json?focus=gluteus medius").get_json()
    assert data["focus"]["id"] == "gluteus-medius"
    assert data["title"] == "Around gluteus medius"
    [focus] = [n for n in data["nodes"] if n["data"]["focus"]]
    assert focus["data"]["id"] == "gluteus-medius"
    steps = steps_of(data)
    assert ("gluteus-medius", "memberOf", "gluteals") in steps
    assert ("gluteus-medius-inhibition", "stateOf", "gluteus-medius") in steps
    # reached through the muscle's own state: what its inhibition overloads
    assert ("gluteus-medius-inhibition", "overloads", "quadratus-lumborum-overload") in steps


@pytest.mark.parametrize("focus", ["lbp:gluteus-medius", LBP + "gluteus-medius", "GLUTEUS MEDIUS"])
def test_graph_json_focus_accepts_a_curie_an_iri_or_any_case(web_client, focus):
    assert web_client.get("/graph.json", query_string={"focus": focus}).get_json()["focus"]["id"] == "gluteus-medius"


def test_graph_json_unknown_focus_is_a_404_naming_the_text_with_suggestions(web_client):
    response = web_client.get("/graph.json?focus=gluteus medus")
    assert response.status_code == 404
    body = response.get_json()
    assert "gluteus medus" in body["error"]
    assert "gluteus medius" in [s["label"] for s in body["suggestions"]]


# --- /graph ---------------------------------------------------------------------------------------

def test_graph_page_loads_cytoscape_from_this_server(web_client):
    html = page(web_client, "/graph")
    sources = [s["src"] for s in elements(html, "script") if s.get("src")]
    assert "/assets/cytoscape.min.js" in sources and "/assets/cytoscape-dagre.min.js" in sources
    assert all(src.startswith("/") for src in sources), f"a script comes from elsewhere: {sources}"
    [canvas] = elements(html, "div", id="graph")
    assert canvas["data-graph-url"] == "/graph.json"
    assert canvas["data-explain-url"] == "/queries/explain"
    # a keyboard-operable picture: focusable, named, and told how its keys work
    assert canvas["role"] == "application" and canvas["aria-label"] and canvas["tabindex"] == "0"
    assert elements(html, "p", id=canvas["aria-describedby"])


def test_graph_page_passes_the_path_to_explain_to_its_script(web_client):
    html = page(web_client, "/graph?from=prolonged sitting&to=low back pain")
    [canvas] = elements(html, "div", id="graph")
    assert (canvas["data-from"], canvas["data-to"]) == ("prolonged sitting", "low back pain")


def test_graph_page_titles_a_focus_by_its_label(web_client):
    html = page(web_client, "/graph?focus=lbp:quadratus-lumborum")
    assert re.search(r'<h1 id="graph-title">Around quadratus lumborum</h1>', html)


def test_graph_page_says_what_to_run_when_the_libraries_are_not_installed(app, web_client, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config["LBP_KG_EXTRA"], "node_modules_dir", str(tmp_path))
    html = page(web_client, "/graph")
    assert "npm ci" in html
    assert 'role="alert"' in html
    assert not [s for s in elements(html, "script") if s.get("src", "").startswith("/assets/")]


# --- /assets --------------------------------------------------------------------------------------

def test_assets_serves_the_whitelisted_libraries_from_node_modules(web_client):
    with web_client.get("/assets/cytoscape.min.js") as response:
        assert response.status_code == 200
        assert response.mimetype in ("text/javascript", "application/javascript")
        assert (pages.DEFAULT_NODE_MODULES / "cytoscape/dist/cytoscape.min.js").read_bytes() == response.data
    with web_client.get("/assets/yasgui.min.css") as response:
        assert response.mimetype == "text/css"


@pytest.mark.parametrize("name", ["cytoscape/package.json", "../package.json", "..%2Fpackage.json", "jquery.js"])
def test_assets_refuses_anything_not_whitelisted(web_client, name):
    response = web_client.get(f"/assets/{name}")
    assert response.status_code == 404
    assert "available" in response.get_json()["error"]


def test_assets_missing_from_node_modules_is_a_404_saying_what_to_run(app, web_client, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config["LBP_KG_EXTRA"], "node_modules_dir", str(tmp_path))
    response = web_client.get("/assets/cytoscape.min.js")
    assert response.status_code == 404
    assert "npm ci" in response.get_json()["error"]


# --- /questions -----------------------------------------------------------------------------------

def test_questions_page_has_a_labelled_form_for_every_named_query(web_client, catalogue):
    html = page(web_client, "/questions")
    for query in catalogue:
        [form] = elements(html, "form", data_query=query.name)
        assert form["action"] == f"/queries/{query.name}"
        for param in query.parameters:
            input_id = f"q-{query.name}-{param.name}"
            [box] = elements(html, "input", id=input_id, name=param.name)
            assert box["data-autocomplete"] == "fill" and box["role"] == "combobox"
            assert elements(html, "label", **{"for": input_id})


def test_questions_page_offers_csv_and_json_downloads_and_the_sparql(web_client, catalogue):
    html = page(web_client, "/questions")
    hrefs = {a["href"] for a in elements(html, "a")}
    for query in catalogue:
        # download=1: sent as a file to save (service/web/answer_headers.py)
        assert f"/queries/{query.name}?format=csv&download=1" in hrefs
        assert f"/queries/{query.name}?format=json&download=1" in hrefs
    assert html.count("<summary>Show the SPARQL</summary>") == len(catalogue)
    for query in catalogue:
        assert str(escape(query.text)) in html


def test_questions_page_restricts_autocomplete_to_the_parameter_types(web_client):
    html = page(web_client, "/questions")
    [box] = elements(html, "input", id="q-compensators-muscle")
    assert box["data-types"] == "lbp:Muscle lbp:MuscleGroup"
    assert box["placeholder"] == "e.g. gluteus medius"


# --- the SPARQL editor ----------------------------------------------------------------------------

def editor_examples(html: str) -> list[dict]:
    match = re.search(r'<script type="application/json" id="sparql-examples">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def test_sparql_editor_page_loads_yasgui_from_this_server_with_the_catalogue_as_examples(app, catalogue):
    with app.test_request_context("/sparql", headers={"Accept": "text/html"}):
        html = pages.render_sparql_editor()
    assert elements(html, "script", src="/assets/yasgui.min.js")
    assert elements(html, "link", href="/assets/yasgui.min.css")
    [host] = elements(html, "div", id="yasgui")
    assert host["data-endpoint"] == "/sparql"
    # the lessons of queries/examples/ first, then every catalogue question
    names = [e["name"] for e in editor_examples(html)]
    assert names[-len(catalogue):] == [q.title for q in catalogue]
    assert names[:-len(catalogue)] == [q.title for q in Catalog.load(pages.EXAMPLES_DIR)]


def test_sparql_editor_examples_bind_their_parameters_and_run(app):
    with app.test_request_context("/sparql"):
        html = pages.render_sparql_editor()
    [example] = [e for e in editor_examples(html) if e["name"] == Catalog.load().get("compensators").title]
    assert f"VALUES (?muscle) {{ (<{LBP}gluteus-medius>) }}" in example["query"]
    rows = app.extensions["lbp_kg"].store.query(example["query"])
    assert "quadratus lumborum" in {row["compensatorLabel"].value for row in rows}


def test_sparql_editor_says_what_to_run_when_yasgui_is_not_installed(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config["LBP_KG_EXTRA"], "node_modules_dir", str(tmp_path))
    with app.test_request_context("/sparql"):
        html = pages.render_sparql_editor()
    assert "npm ci" in html and 'role="alert"' in html
    assert not elements(html, "script", src="/assets/yasgui.min.js")
    assert "Muscles that compensate for an inhibited muscle" in html, "the examples stay readable as text"


def test_a_browser_opening_sparql_gets_the_editor(web_client):
    html = page(web_client, "/sparql")
    assert elements(html, "div", id="yasgui")


def test_sparql_without_a_query_still_describes_the_service_to_rdf_clients(web_client):
    response = web_client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert response.mimetype == "text/turtle"
    description = Graph().parse(data=response.get_data(as_text=True), format="turtle")
    service = URIRef("http://localhost/sparql")
    assert (service, RDF.type, SD.Service) in description
    assert (service, SD.endpoint, service) in description


# --- entity pages ---------------------------------------------------------------------------------

def test_entity_page_links_to_its_graph_and_lists_its_motor_points(web_client):
    html = page(web_client, "/id/gluteus-medius")
    assert elements(html, "a", href="/graph?focus=lbp:gluteus-medius")
    assert elements(html, "a", href="/id/gluteus-medius-motor-point")
    assert "priority 1" in html


def test_entity_page_without_motor_points_shows_no_motor_point_section(web_client):
    html = page(web_client, "/id/low-back-pain")
    assert 'id="motor-points-heading"' not in html
    assert elements(html, "a", href="/graph?focus=lbp:low-back-pain")
