"""JSON-LD for offline readers (issue 15): the JSON-LD 1.1 profiles, the context Link header, and
rdflib, pyld and jsonld.js reading an entity's answer with no network, as docs/json-ld.md shows.

Every reading is compared with the entity's Turtle answer: the same triples (isomorphic, since the
claims' axioms are blank nodes). The Python readers run inside ``network_forbidden()``, which
refuses any connection or URL request in this thread, so a reader that tried to fetch the context
fails here; the first rdflib test shows that it does try, when not given the bundled copy.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from pyld import jsonld
from rdflib import Graph
from rdflib.compare import isomorphic

from service.engine.network_lock import network_forbidden
from service.kg.jsonld import COMPACTED, CONTEXT_IRI, EXPANDED, FLATTENED
from service.paths import CONTEXT_FILE, PROJECT_ROOT

# rdflib 7.6's own JSON-LD parser builds a ConjunctiveGraph internally, which rdflib itself deprecates
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

ENTITY = "/id/gluteus-medius-inhibition"  # has claims, so blank-node axioms too
LD = "application/ld+json"
CONTEXT_REL = 'rel="http://www.w3.org/ns/json-ld#context"'
BUNDLED_CONTEXT = json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))
NODE_READER = Path(__file__).parent / "js" / "jsonld-offline.mjs"


def _accept(*profiles: str, media_type: str = LD) -> dict:
    return {"Accept": f'{media_type};profile="{" ".join(profiles)}"'}


@pytest.fixture(scope="module")
def turtle(app) -> Graph:
    response = app.test_client().get(ENTITY, headers={"Accept": "text/turtle"})
    return Graph().parse(data=response.get_data(as_text=True), format="turtle")


def _from_nquads(text: str) -> Graph:
    return Graph().parse(data=text, format="nt")


def offline_loader(url: str, options=None) -> dict:
    """pyld's document loader as docs/json-ld.md writes it: the bundled context, nothing else."""
    if url == CONTEXT_IRI:
        return {"contextUrl": None, "documentUrl": url, "document": BUNDLED_CONTEXT}
    raise jsonld.JsonLdError(f"refused to fetch {url}", "jsonld.LoadDocumentError", code="loading document failed")


# --- the profiles --------------------------------------------------------------------------------

def test_the_default_is_compacted_with_the_context_by_iri_and_no_profile_named(client):
    response = client.get(ENTITY, headers={"Accept": LD})
    assert response.headers["Content-Type"] == LD
    assert response.get_json()["@context"] == CONTEXT_IRI
    assert CONTEXT_REL not in response.headers["Link"]  # a reader of application/ld+json must ignore it


def test_asking_for_compacted_names_the_profile_and_gives_the_default_document(client):
    default = client.get(ENTITY, headers={"Accept": LD})
    compacted = client.get(ENTITY, headers=_accept(COMPACTED))
    assert compacted.headers["Content-Type"] == f'{LD}; profile="{COMPACTED}"'
    assert compacted.data == default.data
    assert compacted.headers["ETag"] != default.headers["ETag"]  # a cache must not serve one for the other


def test_the_expanded_profile_needs_no_context_and_holds_the_same_triples(client, turtle):
    response = client.get(ENTITY, headers=_accept(EXPANDED))
    assert response.headers["Content-Type"] == f'{LD}; profile="{EXPANDED}"'
    document = response.get_json()
    assert isinstance(document, list) and "@context" not in response.get_data(as_text=True)
    with network_forbidden():
        graph = Graph().parse(data=response.get_data(as_text=True), format="json-ld")
    assert isomorphic(graph, turtle)


def test_the_flattened_profile_puts_every_node_at_the_top(client, turtle):
    response = client.get(ENTITY, headers=_accept(FLATTENED))
    assert response.headers["Content-Type"] == f'{LD}; profile="{FLATTENED}"'
    nodes = response.get_json()
    assert isinstance(nodes, list)
    for node in nodes:  # flattened: a value that is a node is only a reference
        for values in node.values():
            for value in values if isinstance(values, list) else []:
                assert not isinstance(value, dict) or set(value) <= {"@id"} or "@value" in value, node
    with network_forbidden():
        assert isomorphic(Graph().parse(data=response.get_data(as_text=True), format="json-ld"), turtle)


def test_flattened_and_compacted_together_name_the_context_by_iri(client, turtle):
    response = client.get(ENTITY, headers=_accept(FLATTENED, COMPACTED))
    assert response.headers["Content-Type"] == f'{LD}; profile="{FLATTENED} {COMPACTED}"'
    document = response.get_json()
    assert document["@context"] == CONTEXT_IRI and isinstance(document["@graph"], list)
    with network_forbidden():
        quads = jsonld.to_rdf(document, {"documentLoader": offline_loader, "format": "application/n-quads"})
    assert isomorphic(_from_nquads(quads), turtle)


def test_an_unknown_profile_gets_the_compacted_document_naming_no_profile(client):
    response = client.get(ENTITY, headers=_accept("https://example.org/some-profile"))
    assert response.status_code == 200 and response.headers["Content-Type"] == LD


def test_a_profile_does_not_outweigh_the_q_values(client):
    response = client.get(ENTITY, headers={"Accept": f'{LD};profile="{EXPANDED}";q=0.5, text/turtle'})
    assert response.mimetype == "text/turtle"
    preferred = client.get(ENTITY, headers={"Accept": f'{LD};profile="{EXPANDED}", text/turtle;q=0.5'})
    assert preferred.headers["Content-Type"] == f'{LD}; profile="{EXPANDED}"'


# --- application/json with the context in a Link header (JSON-LD 1.1, section 6.1) --------------

def test_application_json_links_its_context_once_and_leaves_it_out_of_the_body(client):
    response = client.get(ENTITY, headers={"Accept": "application/json"})
    assert response.mimetype == "application/json"
    links = [link for link in response.headers["Link"].split(", ") if CONTEXT_REL in link]
    assert links == [f'<{CONTEXT_IRI}>; {CONTEXT_REL}; type="{LD}"']  # more than one is an error for readers
    assert "@context" not in response.get_json()


def test_rdflib_reads_the_json_answer_with_the_linked_context_given_locally(client, turtle):
    response = client.get(ENTITY, headers={"Accept": "application/json"})
    with network_forbidden():
        graph = Graph().parse(data=response.get_data(as_text=True), format="json-ld",
                              context=BUNDLED_CONTEXT["@context"])
    assert isomorphic(graph, turtle)


# --- the readers of docs/json-ld.md, offline ------------------------------------------------------

@pytest.fixture(scope="module")
def compacted_answer(app) -> str:
    return app.test_client().get(ENTITY, headers={"Accept": LD}).get_data(as_text=True)


def test_rdflib_alone_would_fetch_the_context_so_offline_it_must_be_given_the_copy(compacted_answer, turtle):
    with network_forbidden(), pytest.raises(PermissionError, match="network access refused"):
        Graph().parse(data=compacted_answer, format="json-ld")  # tries https://w3id.org/...: refused
    document = json.loads(compacted_answer)
    document["@context"] = BUNDLED_CONTEXT["@context"]  # the recipe of docs/json-ld.md
    with network_forbidden():
        graph = Graph().parse(data=json.dumps(document), format="json-ld")
    assert isomorphic(graph, turtle)


def test_pyld_reads_the_answer_with_a_loader_that_refuses_the_network(compacted_answer, turtle):
    with network_forbidden():
        quads = jsonld.to_rdf(json.loads(compacted_answer),
                              {"documentLoader": offline_loader, "format": "application/n-quads"})
        expanded = jsonld.expand(json.loads(compacted_answer), {"documentLoader": offline_loader})
    assert isomorphic(_from_nquads(quads), turtle)
    assert expanded and all("@id" in node for node in expanded)


def test_the_offline_loader_refuses_any_other_document(compacted_answer):
    document = json.loads(compacted_answer)
    document["@context"] = "https://example.org/elsewhere.jsonld"
    with network_forbidden(), pytest.raises(jsonld.JsonLdError):
        jsonld.expand(document, {"documentLoader": offline_loader})


def test_jsonld_js_reads_the_answer_with_a_loader_that_refuses_the_network(compacted_answer, turtle, tmp_path):
    node = shutil.which("node")
    if node is None or not (PROJECT_ROOT / "node_modules" / "jsonld").is_dir():
        pytest.skip("needs node and jsonld.js (npm ci installs package.json's devDependencies)")
    answer = tmp_path / "answer.jsonld"
    answer.write_text(compacted_answer, encoding="utf-8")
    result = subprocess.run([node, NODE_READER, answer, CONTEXT_FILE], capture_output=True, text=True,
                            timeout=120, cwd=PROJECT_ROOT)
    assert result.returncode == 0, result.stderr
    assert isomorphic(_from_nquads(result.stdout), turtle)
    elsewhere = tmp_path / "elsewhere.jsonld"
    elsewhere.write_text(json.dumps({**json.loads(compacted_answer), "@context": "https://example.org/x.jsonld"}))
    refused = subprocess.run([node, NODE_READER, elsewhere, CONTEXT_FILE], capture_output=True, text=True,
                             timeout=120, cwd=PROJECT_ROOT)
    assert refused.returncode != 0 and "refused to fetch https://example.org/x.jsonld" in refused.stderr


@pytest.mark.slow
def test_the_whole_ontology_answers_the_profiles_too(client):
    turtle = Graph().parse(data=client.get("/ontology", headers={"Accept": "text/turtle"}).get_data(as_text=True),
                           format="turtle")
    response = client.get("/ontology", headers=_accept(EXPANDED))
    assert response.headers["Content-Type"] == f'{LD}; profile="{EXPANDED}"'
    assert isinstance(response.get_json(), list)
    with network_forbidden():
        expanded = Graph().parse(data=response.get_data(as_text=True), format="json-ld")
    assert isomorphic(expanded, turtle)
    flattened = client.get("/ontology", headers=_accept(FLATTENED, COMPACTED))
    assert flattened.get_json()["@context"] == CONTEXT_IRI
    assert flattened.headers["ETag"] != response.headers["ETag"]
