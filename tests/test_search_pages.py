"""Search that lands, errors as pages, downloads as files, the site icon and the SPARQL editor's
lessons (Flask test client).

A browser prefers text/html; programs send */* or ask for JSON. Each answer here is checked both
ways: the browser gets a page (or is sent to one), the program gets exactly the JSON it got before.
"""
from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from rdflib import URIRef

from service.kg import ask
from service.kg.catalog import Catalog
from service.kg.describe import DEFINITION
from service.web import answer_headers

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
PSOAS_MINOR_EXTENSION = Path(__file__).parent / "data" / "extensions" / "psoas-minor.ttl"
#: the keys of a /search hit, the public JSON contract
HIT_KEYS = ["id", "label", "type", "matched", "curie", "typeLabel", "match"]


class _Links(HTMLParser):
    """Collect each link's href and text, and the elements with a class."""

    def __init__(self):
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.classes: dict[str, list[str]] = {}
        self._open: list[list] = []
        self._texts: list[tuple[str, list[str]]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a":
            self._open.append([attributes.get("href", ""), []])
        for name in (attributes.get("class") or "").split():
            self._texts.append((name, []))

    def handle_endtag(self, tag):
        if tag == "a" and self._open:
            href, text = self._open.pop()
            self.links.append((href, "".join(text).strip()))
        if tag in ("p", "span", "li", "h1", "h2") and self._texts:
            name, text = self._texts.pop()
            self.classes.setdefault(name, []).append(" ".join("".join(text).split()))

    def handle_data(self, data):
        for _, text in self._open:
            text.append(data)
        for _, text in self._texts:
            text.append(data)


def parse(response) -> _Links:
    parser = _Links()
    parser.feed(response.get_data(as_text=True))
    return parser


def browse(client, url: str, status: int = 200):
    response = client.get(url, headers=BROWSER)
    assert response.status_code == status, response.get_data(as_text=True)[:400]
    return response


@pytest.fixture(scope="module")
def catalogue():
    return list(Catalog.load())


# --- /search: JSON for programs, exactly as before ----------------------------------------------

@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "application/json, text/html;q=0.9"])
def test_programs_get_the_search_hits_as_json_in_the_same_shape(client, accept):
    response = client.get("/search?q=glute%20med", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200 and response.mimetype == "application/json"
    hits = response.get_json()
    assert list(hits[0]) == HIT_KEYS
    assert hits[0]["id"] == "https://w3id.org/lbp-kg/id/gluteus-medius" and hits[0]["match"] == "exact synonym"
    assert "Accept" in response.headers["Vary"]


def test_a_question_is_still_an_empty_list_of_hits_for_programs(client):
    assert client.get("/search?q=which muscles compensate when gluteus medius is inhibited").get_json() == []


# --- /search for a browser: land on the page ------------------------------------------------------

@pytest.mark.parametrize("typed, page", [
    ("glute med", "/id/gluteus-medius"),  # an exact synonym
    ("GLUTE MED", "/id/gluteus-medius"),
    ("gluteus medius", "/id/gluteus-medius"),  # the label
    ("  Gluteus   Medius ", "/id/gluteus-medius"),
    ("psoas", "/id/psoas-major"),  # the exact synonym of psoas major alone
    ("lbp:gluteus-medius", "/id/gluteus-medius"),  # a CURIE
    ("low back pain", "/id/low-back-pain"),
])
def test_a_browser_searching_for_one_term_by_its_name_lands_on_its_page(client, typed, page):
    response = client.get("/search", query_string={"q": typed}, headers=BROWSER)
    assert response.status_code == 303
    assert response.headers["Location"] == page


def test_a_type_filter_that_the_named_term_does_not_fit_shows_results_instead(client):
    response = client.get("/search", query_string={"q": "glute med", "type": "lbp:Nerve"}, headers=BROWSER)
    assert response.status_code == 200 and response.mimetype == "text/html"


def test_a_browser_searching_a_partial_name_gets_a_page_of_results(client, kb):
    response = browse(client, "/search?q=sitting")
    assert response.mimetype == "text/html" and "Accept" in response.headers["Vary"]
    page = parse(response)
    hits = client.get("/search?q=sitting").get_json()
    shown = [(href, text) for href, text in page.links if href.startswith("/id/")]
    # every JSON hit is on the page, in the same order, linked to its page
    assert [text for _, text in shown] == [hit["label"] for hit in hits]
    assert ("/id/prolonged-sitting", "prolonged sitting") in shown
    # a kind in plain words on each, never a CURIE
    assert "contributing factor" in page.classes["tag"] and not any(":" in kind for kind in page.classes["tag"])
    # a one-line definition: the first sentence of the term's own
    definition = str(kb.graph.value(URIRef("https://w3id.org/lbp-kg/id/prolonged-sitting"), DEFINITION))
    assert definition.split(". ")[0].rstrip(".") + "." in page.classes["search-hit-definition"]


def test_a_search_that_finds_nothing_says_so_and_offers_the_way_on(client):
    response = browse(client, "/search?q=xylophone")
    assert "No matching terms" in response.get_data(as_text=True)
    page = parse(response)
    assert any(href == "/questions" for href, _ in page.links)
    assert not [href for href, _ in page.links if href.startswith("/id/")]


# --- typed questions -------------------------------------------------------------------------------

def _question_links(page: _Links) -> list[tuple[str, dict]]:
    found = []
    for href, _ in page.links:
        parts = urlsplit(href)
        if parts.path == "/questions" and parts.query:
            found.append((parts.fragment, {k: v[0] for k, v in parse_qs(parts.query).items()}))
    return found


def test_a_typed_question_is_offered_as_its_catalogue_question_ready_to_ask(client):
    page = parse(browse(client, "/search?q=which muscles compensate when gluteus medius is inhibited"))
    [first, *_] = _question_links(page)
    assert first == ("q-compensators", {"ask": "compensators", "muscle": "gluteus medius"})


def test_a_question_naming_two_terms_fills_both_in_the_order_typed(client):
    page = parse(browse(client, "/search?q=how does prolonged sitting lead to low back pain"))
    [first, *_] = _question_links(page)
    assert first == ("q-explain", {"ask": "explain", "from": "prolonged sitting", "to": "low back pain"})


@pytest.mark.parametrize("typed, expected, arguments", [
    ("what nerve supplies the psoas", "innervation", {"muscle": "psoas major"}),
    ("where does the psoas attach", "attachments", {"muscle": "psoas major"}),
    ("what causes low back pain", "causes", {"condition": "low back pain"}),
    ("what inhibits gluteus maximus?", "inhibitors", {"muscle": "gluteus maximus"}),
    ("which muscles are supplied from L5", "muscles-by-spinal-level", {"level": "L5 spinal nerve level"}),
])
def test_typed_questions_find_the_catalogue_question_that_answers_them(kb, catalogue, typed, expected, arguments):
    [best, *_] = ask.suggest_questions(typed, catalogue, kb.labels)
    assert best.query.name == expected and best.complete
    assert {name: entity.label for name, entity in best.arguments.items()} == arguments


def test_a_question_without_its_term_is_offered_as_a_blank_form(client, kb, catalogue):
    offered = ask.suggest_questions("which muscles does a nerve supply", catalogue, kb.labels)
    blank = [s for s in offered if s.query.name == "muscles-by-nerve"]
    assert blank and not blank[0].complete and blank[0].arguments == {}
    page = parse(browse(client, "/search?q=which muscles does a nerve supply"))
    assert ("/questions#q-muscles-by-nerve" in [href for href, _ in page.links])


@pytest.mark.parametrize("typed", ["glute med", "xylophone", "the of and"])
def test_names_and_unrelated_words_suggest_no_question(kb, catalogue, typed):
    assert ask.suggest_questions(typed, catalogue, kb.labels) == []


def test_a_name_shared_by_no_term_or_several_is_not_exactly_named(kb):
    assert ask.exactly_named("gluteus", kb.labels) is None  # a prefix of several
    assert ask.exactly_named("xylophone", kb.labels) is None
    assert ask.exactly_named("Glute Med", kb.labels).label == "gluteus medius"


def test_the_questions_page_reads_the_question_to_ask_from_its_address(client):
    """static/questions.js fills the form named by ?ask= and asks it (tests/browser run it)."""
    with client.get("/static/questions.js") as response:
        script = response.get_data(as_text=True)
    assert 'wanted.get("ask")' in script
    assert browse(client, "/questions?ask=compensators&muscle=gluteus+medius").mimetype == "text/html"


# --- errors as pages for browsers, JSON for programs --------------------------------------------------

@pytest.fixture()
def psoas_minor_client(make_app, tmp_path):
    extensions = tmp_path / "extensions"
    extensions.mkdir()
    shutil.copy(PSOAS_MINOR_EXTENSION, extensions)
    # the example passes the gate (tests/test_gate.py); these tests are about pages, so it is served unjudged
    return make_app(extensions_dir=str(extensions), gate_extensions_at_load=False).test_client()


def test_a_mistyped_entity_page_is_a_404_page_offering_the_suggestions(psoas_minor_client):
    client = psoas_minor_client
    response = browse(client, "/id/psoas-minr", status=404)
    assert response.mimetype == "text/html"
    page = parse(response)
    suggestions = client.get("/id/psoas-minr").get_json()["suggestions"]
    offered = [(href, text) for href, text in page.links if href.startswith("/id/")]
    assert offered == [("/id/" + s["id"].rsplit("/", 1)[1], s["label"]) for s in suggestions]
    assert ("/id/psoas-minor", "psoas minor") in offered


def test_programs_still_get_the_404_as_json(client):
    for accept in (None, "*/*", "text/turtle", "application/ld+json"):
        response = client.get("/id/psoas-minr", headers={"Accept": accept} if accept else {})
        assert response.status_code == 404 and response.mimetype == "application/json"
        assert set(response.get_json()) == {"error", "suggestions"}


def test_a_named_query_with_a_mistyped_value_is_a_404_page_with_suggestions(client):
    response = browse(client, "/queries/compensators?muscle=gluteus%20medus", status=404)
    assert ("/id/gluteus-medius", "gluteus medius") in parse(response).links
    assert client.get("/queries/compensators?muscle=gluteus%20medus").mimetype == "application/json"


def test_an_unknown_address_is_a_404_page_with_a_search_box_for_what_it_seems_to_name(client):
    response = browse(client, "/no/such/gluteus-medus", status=404)
    html = response.get_data(as_text=True)
    assert response.mimetype == "text/html" and 'action="/search"' in html
    assert 'value="gluteus medus"' in html
    assert client.get("/no/such/gluteus-medus").get_json()["status"] == 404


def test_a_bad_request_is_a_400_page_for_browsers_and_json_for_programs(client):
    response = browse(client, "/search?q=", status=400)
    assert response.mimetype == "text/html"
    assert "Give the text to search for in q" in response.get_data(as_text=True)
    assert client.get("/search?q=").get_json() == {"error": "give the text to search for in q, e.g. /search?q=gluteus"}


def test_an_error_page_that_cannot_be_drawn_falls_back_to_the_json_error(client, monkeypatch):
    from service.web import errors

    def broken(*args, **kwargs):
        raise RuntimeError("a template that cannot be drawn")

    monkeypatch.setattr(errors, "render_template", broken)
    response = client.get("/id/psoas-minr", headers=BROWSER)
    assert response.status_code == 404 and response.mimetype == "application/json"
    assert "suggestions" in response.get_json()


def test_other_errors_stay_json_even_for_browsers(client):
    # a 406 lists what can be served: a program's concern, and a page could not show it anyway
    response = client.get("/ontology", headers={"Accept": "text/html"})
    assert response.status_code == 406 and response.mimetype == "application/json"


# --- downloads -------------------------------------------------------------------------------------

def test_the_ontology_download_link_sends_a_file_to_save(client):
    page = browse(client, "/").get_data(as_text=True)
    assert 'href="/ontology?format=ttl&amp;download=1"' in page
    saved = client.get("/ontology?format=ttl&download=1")
    shown = client.get("/ontology?format=ttl")
    assert saved.status_code == shown.status_code == 200
    assert saved.headers["Content-Disposition"] == "attachment; filename=lbp-kg-0.2.0.ttl"
    assert "Content-Disposition" not in shown.headers
    assert saved.data == shown.data and saved.mimetype == shown.mimetype == "text/turtle"
    rdf = client.get("/ontology?format=rdf&download=1")
    assert rdf.headers["Content-Disposition"] == "attachment; filename=lbp-kg-0.2.0.owl"


def test_negotiation_is_unchanged_by_the_download_flag(client):
    by_accept = client.get("/ontology?download=1", headers={"Accept": "application/n-triples"})
    assert by_accept.mimetype == "application/n-triples"
    assert by_accept.headers["Content-Disposition"] == "attachment; filename=lbp-kg-0.2.0.nt"
    assert client.get("/ontology?download=1", headers={"Accept": "text/html"}).status_code == 406


@pytest.mark.parametrize("url, filename", [
    ("/queries/compensators?muscle=gluteus%20medius&format=csv&download=1", "compensators.csv"),
    ("/queries/compensators?muscle=gluteus%20medius&format=json&download=1", "compensators.json"),
    ("/id/gluteus-medius?format=ttl&download=1", "gluteus-medius.ttl"),
    ("/id/gluteus-medius?format=jsonld&download", "gluteus-medius.jsonld"),
])
def test_answers_asked_for_as_downloads_name_their_file(client, url, filename):
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f"attachment; filename={filename}"


@pytest.mark.parametrize("value", ["0", "false", "no"])
def test_download_can_be_turned_off(client, value):
    assert "Content-Disposition" not in client.get(f"/ontology?format=ttl&download={value}").headers


def test_errors_and_pages_are_never_sent_as_downloads(client):
    assert "Content-Disposition" not in client.get("/id/psoas-minr?download=1").headers
    assert "Content-Disposition" not in client.get("/id/gluteus-medius?download=1", headers=BROWSER).headers


@pytest.mark.parametrize("path, media_type, version, name", [
    ("/ontology/0.2.0/lbp-kg.owl", "application/rdf+xml", "0.2.0", "lbp-kg-0.2.0.owl"),
    ("/ontology/0.2.0/lbp-kg-base.owl", "application/rdf+xml", "0.2.0", "lbp-kg-base-0.2.0.owl"),
    ("/ontology/0.2.0", "text/obo", "0.2.0", "lbp-kg-0.2.0.obo"),
    ("/ontology", "text/turtle", None, "lbp-kg-unversioned.ttl"),
    ("/sparql", "text/csv", "0.2.0", "sparql-answer.csv"),
    ("/id/odd name", "text/turtle", None, "odd-name.ttl"),
])
def test_download_file_names(path, media_type, version, name):
    assert answer_headers.file_name(path, media_type, version) == name


def test_the_questions_download_links_ask_for_files(client):
    html = browse(client, "/questions").get_data(as_text=True)
    assert 'href="/queries/compensators?format=csv&amp;download=1"' in html


# --- the site icon ----------------------------------------------------------------------------------

def test_the_site_icon_is_served_and_named_by_every_page(client):
    with client.get("/favicon.ico") as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
        assert ET.fromstring(icon.data).tag == "{http://www.w3.org/2000/svg}svg"
    for page in ("/", "/questions", "/search?q=sitting", "/id/gluteus-medius"):
        html = browse(client, page).get_data(as_text=True)
        assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    with client.get("/static/favicon.svg") as linked:
        assert linked.data == icon.data


# --- the SPARQL editor's examples, for someone learning SPARQL ----------------------------------------

#: words about how engines evaluate queries, which have no place in a lesson
ENGINE_TALK = ("oxigraph", "rdflib", "virtuoso", "planner", "plans joins", "plans the joins", "engine", "subquery")


def _editor_examples(app) -> list[dict]:
    from service.web.views import pages

    with app.test_request_context("/sparql", headers=BROWSER):
        html = pages.render_sparql_editor()
    match = re.search(r'<script type="application/json" id="sparql-examples">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def test_the_editor_opens_with_the_lessons_and_each_returns_rows(app):
    from service.web.views import pages

    lessons = list(Catalog.load(pages.EXAMPLES_DIR))
    examples = _editor_examples(app)
    assert [e["name"] for e in examples[:len(lessons)]] == [lesson.title for lesson in lessons]
    store = app.extensions["lbp_kg"].store
    for example in examples[:len(lessons)]:
        # as /sparql runs them: over every graph, the inferred facts included
        assert list(store.query(example["query"], default_graph_uris=())), example["name"]


def test_no_example_talks_about_how_an_engine_evaluates_it(app):
    for example in _editor_examples(app):
        comments = " ".join(line for line in example["query"].casefold().splitlines() if line.lstrip().startswith("#"))
        assert not [word for word in ENGINE_TALK if word in comments], example["name"]


def test_every_few_lines_of_a_lesson_say_in_a_comment_what_they_ask(app):
    from service.web.views import pages

    for lesson in Catalog.load(pages.EXAMPLES_DIR):
        uncommented = 0
        for line in lesson.text.splitlines():
            code = line.strip()
            if code.startswith("#"):
                uncommented = 0
            elif code and code not in ("{", "}") and not code.startswith("PREFIX"):
                uncommented += 1
                assert uncommented <= 3, f"{lesson.name}: {code!r} follows three lines with no comment"
