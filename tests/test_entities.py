"""Entity IRIs dereference at /id/<name>: HTML for people, RDF for programs, with every claim's source."""
from __future__ import annotations

import json
import re

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from service.kg.jsonld import CONTEXT_IRI
from service.kg.rdf_files import parse_rdf_bytes

LBP = "https://w3id.org/lbp-kg/id/"
OBO = "http://purl.obolibrary.org/obo/"
DEFINITION = URIRef(OBO + "IAO_0000115")
LAU = LBP + "source-lau-low-back-pain-glutes"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
RDF_TYPES = ("text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml")

#: rdflib 7.6's JSON-LD parser warns about its own use of ConjunctiveGraph
jsonld_parser_warning = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")


def html_of(client, name: str) -> str:
    response = client.get(f"/id/{name}", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def graph_of(client, name: str, media_type: str):
    response = client.get(f"/id/{name}", headers={"Accept": media_type})
    assert response.status_code == 200
    assert response.mimetype == media_type
    return parse_rdf_bytes(response.data, media_type)


def section(html: str, heading_id: str) -> str:
    """Return the HTML of the <section> labelled by the heading with this id."""
    match = re.search(rf'<section aria-labelledby="{heading_id}">(.*?)</section>', html, re.S)
    assert match, f"no section {heading_id}"
    return match.group(1)


# --- HTML -------------------------------------------------------------------------------


def test_gluteus_medius_page_shows_its_label_definition_and_synonyms(client, kb):
    html = html_of(client, "gluteus-medius")
    definition = str(kb.graph.value(URIRef(LBP + "gluteus-medius"), DEFINITION))
    assert '<h1 id="entity-label">gluteus medius</h1>' in html
    assert definition.replace("'", "&#39;") in html
    assert "glute med" in section(html, "synonyms-heading")


def test_gluteus_medius_page_links_its_insertion_on_the_greater_trochanter(client):
    relations = section(html_of(client, "gluteus-medius"), "outgoing-heading")
    insertion = re.search(r'title="has muscle insertion \(RO:0002373\)">Insertion</a></dt>\s*<dd>(.*?)</dd>',
                          relations, re.S)
    assert insertion, "the page heads the has-muscle-insertion relation in plain words"
    assert '<a href="/id/greater-trochanter"' in insertion.group(1)
    assert ">greater trochanter</a>" in insertion.group(1)
    assert "inserts on" in insertion.group(1)


def test_gluteus_medius_page_links_its_uberon_and_fma_matches(client):
    matches = section(html_of(client, "gluteus-medius"), "matches-heading")
    assert f'href="{OBO}UBERON_0001371">UBERON:0001371</a>' in matches
    assert f'href="{OBO}FMA_22315">FMA:22315</a>' in matches


def test_gluteus_medius_page_names_the_source_of_the_clinical_claim_about_it(client):
    incoming = section(html_of(client, "gluteus-medius"), "incoming-heading")
    target = incoming.split('href="/id/lower-crossed-syndrome-gluteus-medius-target"', 1)[1]
    assert 'Source: <a href="/id/source-lau-low-back-pain-glutes"' in target
    assert "What treatment involves" in target


def test_a_causal_link_shows_its_axiom_source_section_and_evidence_note(client, kb):
    html = html_of(client, "gluteus-medius-inhibition")
    incoming = section(html, "incoming-heading")
    inhibits = re.search(r'>Inhibited by</a></dt>\s*<dd>(.*?)</dd>', incoming, re.S).group(1)
    axiom = next(a for a in kb.graph.subjects(OWL.annotatedTarget, URIRef(LBP + "gluteus-medius-inhibition"))
                 if (a, OWL.annotatedProperty, URIRef(LBP + "inhibits")) in kb.graph)
    note = str(kb.graph.value(axiom, URIRef(LBP + "evidenceNote")))
    assert '<a href="/id/anterior-pelvic-tilt"' in inhibits
    assert 'Source: <a href="/id/source-lau-low-back-pain-glutes"' in inhibits
    assert "<q>Lower crossed syndrome: where the pattern begins</q>" in inhibits
    assert note in inhibits


def test_incoming_relations_have_their_own_section_with_the_relation_label(client):
    html = html_of(client, "greater-trochanter")
    incoming = section(html, "incoming-heading")
    assert ">Muscles inserting here</a></dt>" in incoming
    assert '<a href="/id/gluteus-medius"' in incoming
    assert "inserts on" not in section(html, "outgoing-heading")


def test_a_source_page_lists_the_claims_that_cite_it(client):
    cited = section(html_of(client, "source-lau-low-back-pain-glutes"), "cited-heading")
    assert ('<a href="/id/anterior-pelvic-tilt">Anterior pelvic tilt</a> inhibits '
            '<a href="/id/gluteus-medius-inhibition">gluteus medius</a>.') in cited


def test_a_property_page_says_what_an_anonymous_domain_is(client):
    relations = section(html_of(client, "forCondition"), "outgoing-heading")
    assert "treatment target or prognosis" in relations


def test_pages_are_accessible_and_load_nothing_from_elsewhere(client):
    html = html_of(client, "gluteus-medius")
    assert '<html lang="en">' in html
    assert html.count("<h1") == 1
    assert '<nav class="site-nav" aria-label="Main">' in html
    assert '<main id="content"' in html and "<footer" in html
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="(https?:)?//', html)
    assert '<a href="' in html and not re.search(r"<a\s(?![^>]*href)[^>]*>", html)


def test_the_footer_shows_the_ontology_version_and_licence(client, kb):
    html = html_of(client, "gluteus-medius")
    assert f"version {kb.ontology_version}" in html
    assert 'rel="license">CC BY 4.0</a>' in html


def test_every_lbp_term_on_a_page_links_to_its_id_page(client):
    html = html_of(client, "lower-crossed-syndrome")
    for iri in re.findall(r'href="(https://w3id\.org/lbp-kg/id/[^"]+)"', html):
        pytest.fail(f"{iri} is linked by its IRI, not by its /id page")


# --- RDF --------------------------------------------------------------------------------


@jsonld_parser_warning
@pytest.mark.parametrize("media_type", RDF_TYPES[1:])
def test_every_rdf_format_holds_the_same_triples_as_turtle(client, media_type):
    turtle = graph_of(client, "gluteus-medius-inhibition", "text/turtle")
    other = graph_of(client, "gluteus-medius-inhibition", media_type)
    assert len(turtle) > 20
    assert other.isomorphic(turtle)


def test_the_description_holds_outgoing_and_incoming_triples_and_linked_labels(client):
    graph = graph_of(client, "gluteus-medius", "text/turtle")
    muscle = URIRef(LBP + "gluteus-medius")
    trochanter = URIRef(LBP + "greater-trochanter")
    assert (muscle, URIRef(OBO + "RO_0002373"), trochanter) in graph
    assert (URIRef(LBP + "gluteus-medius-inhibition"), URIRef(LBP + "stateOf"), muscle) in graph
    assert (trochanter, RDFS.label, Literal("greater trochanter", lang="en")) in graph
    assert (URIRef(OBO + "RO_0002373"), RDFS.label, Literal("has muscle insertion", lang="en")) in graph
    unlabelled = {str(term) for triple in graph for term in triple
                  if isinstance(term, URIRef) and str(term).startswith(LBP)
                  and (term, RDFS.label, None) not in graph}
    assert unlabelled == set()


def test_the_description_carries_the_axioms_annotating_its_edges(client):
    graph = graph_of(client, "gluteus-medius-inhibition", "text/turtle")
    axioms = [a for a in graph.subjects(RDF.type, OWL.Axiom)
              if (a, OWL.annotatedSource, URIRef(LBP + "anterior-pelvic-tilt")) in graph]
    assert len(axioms) == 1
    assert (axioms[0], URIRef("http://purl.org/dc/terms/source"), URIRef(LAU)) in graph
    assert (axioms[0], URIRef(LBP + "sourceSection"), None) in graph


@jsonld_parser_warning
def test_json_ld_is_compacted_with_the_context_entity_first_with_provenance(client):
    response = client.get("/id/gluteus-medius-inhibition", headers={"Accept": "application/ld+json"})
    document = json.loads(response.data)
    assert document["@context"] == CONTEXT_IRI
    entity = document["@graph"][0]
    assert entity["id"] == "lbp:gluteus-medius-inhibition"
    assert entity["label"] == "gluteus medius inhibition"
    assert entity["stateOf"] == "lbp:gluteus-medius"
    assert "InhibitedState" in entity["type"]
    claims = [node for node in document["@graph"] if node.get("type") == "Axiom"]
    assert {"annotatedSource", "annotatedProperty", "annotatedTarget", "source", "sourceSection"} <= set(claims[0])
    assert all(node["id"].startswith("_:") for node in claims)


def test_json_ld_is_served_with_open_cors(client):
    response = client.get("/id/gluteus-medius?format=jsonld")
    assert response.headers["Access-Control-Allow-Origin"] == "*"


# --- negotiation and errors ---------------------------------------------------------------


def test_a_browser_gets_html_and_a_client_without_preference_gets_turtle(client):
    assert client.get("/id/psoas-major", headers={"Accept": BROWSER_ACCEPT}).mimetype == "text/html"
    assert client.get("/id/psoas-major", headers={"Accept": "*/*"}).mimetype == "text/turtle"
    assert client.get("/id/psoas-major").mimetype == "text/turtle"


def test_format_parameter_overrides_accept_for_links(client):
    response = client.get("/id/psoas-major?format=nt", headers={"Accept": BROWSER_ACCEPT})
    assert response.mimetype == "application/n-triples"
    assert "Accept" in response.headers["Vary"]


def test_answers_name_their_alternates_and_revalidate_by_etag(client):
    response = client.get("/id/psoas-major", headers={"Accept": "text/turtle"})
    assert '</id/psoas-major?format=jsonld>; rel="alternate"; type="application/ld+json"' in response.headers["Link"]
    again = client.get("/id/psoas-major", headers={"Accept": "text/turtle", "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_an_unacceptable_media_type_is_406_json_listing_what_is_available(client):
    response = client.get("/id/gluteus-medius", headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "text/html" in response.json["available"]
    assert client.get("/id/gluteus-medius?format=pdf").status_code == 406


def test_an_unknown_name_is_404_json_with_suggestions_from_search(client):
    response = client.get("/id/gluteus-medis")
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert "https://w3id.org/lbp-kg/id/gluteus-medis" in response.json["error"]
    assert LBP + "gluteus-medius" in [hit["id"] for hit in response.json["suggestions"]]


def test_a_name_that_cannot_be_an_iri_is_404_not_an_error(client):
    response = client.get("/id/not%20a%3Cname%3E")
    assert response.status_code == 404
    assert "suggestions" in response.json


def test_a_term_only_mentioned_never_described_is_404(client):
    assert client.get("/id/RO_0002373").status_code == 404


# --- the whole ontology -----------------------------------------------------------------


@jsonld_parser_warning
@pytest.mark.parametrize("media_type", RDF_TYPES)
def test_the_ontology_in_each_format_parses_back_to_the_same_number_of_triples(client, kb, media_type):
    response = client.get("/ontology", headers={"Accept": media_type})
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert response.headers["X-LBP-Ontology-Version"] == kb.ontology_version
    assert len(parse_rdf_bytes(response.data, media_type)) == len(kb.graph)


def test_the_ontology_is_turtle_by_default(client):
    assert client.get("/ontology").mimetype == "text/turtle"
    assert client.get("/ontology", headers={"Accept": "text/html"}).status_code == 406


def test_the_ontology_json_ld_states_its_version_in_its_first_node(client, kb):
    document = json.loads(client.get("/ontology?format=jsonld").data)
    assert document["@context"] == CONTEXT_IRI
    assert document["@graph"][0]["id"] == "https://w3id.org/lbp-kg/ontology"
    assert document["@graph"][0]["versionInfo"] == kb.ontology_version


def test_the_ontology_is_serialised_once_per_graph_version_and_format(kb, client):
    client.get("/ontology?format=nt")
    assert kb.ontology_bytes("application/n-triples") is kb.ontology_bytes("application/n-triples")


# --- plain words -------------------------------------------------------------------------

JARGON = ("named individual", "exact synonym", "editorial note", "has segmental innervation",
          "reference files", "Read each entry as")


def visible_text(html: str) -> str:
    """The words a reader sees: tags and their attributes removed."""
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize("name", ["gluteus-medius", "lower-crossed-syndrome", "anterior-pelvic-tilt",
                                  "trigger-point", "source-lau-low-back-pain-glutes", "gluteus-medius-motor-point"])
def test_pages_speak_plain_words_not_the_vocabulary_s(client, name):
    text = visible_text(html_of(client, name))
    for jargon in JARGON:
        assert jargon not in text, f"{jargon!r} on /id/{name}"


def test_curators_notes_are_folded_away_and_worded_for_readers(client, kb):
    html = html_of(client, "lower-crossed-syndrome")
    notes = re.search(r'<details class="curators-notes">(.*?)</details>', html, re.S)
    assert notes, "the curators' notes are not in a <details>"
    note = str(kb.graph.value(URIRef(LBP + "lower-crossed-syndrome"), URIRef("http://www.w3.org/2004/02/skos/core#editorialNote")))
    assert "reference files" in note  # the ontology's wording, for curators ...
    assert "references the curators used" in notes.group(1)  # ... and the reader's


def test_nerve_roots_and_mappings_are_headed_in_plain_words(client):
    html = html_of(client, "gluteus-medius")
    assert ">Nerve roots</a></dt>" in section(html, "outgoing-heading")
    assert "The same as" in section(html, "matches-heading")
    assert "Foundational Model of Anatomy" in section(html, "matches-heading")


def test_a_claim_shows_its_source_by_title_author_and_year(client, kb):
    dcterms = "http://purl.org/dc/terms/"
    html = html_of(client, "anterior-pelvic-tilt")
    for source in (LAU, LBP + "source-laird-2014-lordosis-review"):
        title = str(kb.graph.value(URIRef(source), URIRef(dcterms + "title")))
        creator = str(kb.graph.value(URIRef(source), URIRef(dcterms + "creator")))
        shown = f'<a href="/id/{source[len(LBP):]}"><cite>{title}</cite></a>, {creator}'
        assert shown in html, shown
    issued = str(kb.graph.value(URIRef(LBP + "source-laird-2014-lordosis-review"), URIRef(dcterms + "issued")))
    doi = str(kb.graph.value(URIRef(LBP + "source-laird-2014-lordosis-review"), URIRef(dcterms + "identifier")))
    assert f", {issued[:4]} (<a class=\"external\" href=\"{doi}\">" in html


def test_a_muscle_s_motor_point_target_cites_its_source_by_title(client, kb):
    html = html_of(client, "gluteus-medius")
    points = section(html, "motor-points-heading")
    title = str(kb.graph.value(URIRef(LAU), URIRef("http://purl.org/dc/terms/title")))
    assert f"<cite>{title}</cite>" in points
