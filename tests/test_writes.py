"""Curated writes: off by default, token and reason required, gated, logged, and served after the write."""
from __future__ import annotations

import json
import logging
import shutil
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from rdflib import Graph, Literal, Namespace, URIRef

from service import create_app
from service.curation.change_log import ChangeLog
from tests.conftest import stop_query_workers

#: the module's writable service gates its extension at load, and writes are gated (seconds)
pytestmark = pytest.mark.slow

EXTENSIONS = Path(__file__).parent / "data" / "extensions"
EXAMPLE = EXTENSIONS / "psoas-minor.ttl"
BROKEN = EXTENSIONS / "broken"
EXAMPLE_GRAPH = "https://w3id.org/lbp-kg/ontology/extensions/psoas-minor"
TOKEN = "test-token-3f9a"
LBP = Namespace("https://w3id.org/lbp-kg/id/")
OBO = Namespace("http://purl.obolibrary.org/obo/")
needs_java = pytest.mark.skipif(shutil.which("java") is None, reason="the gate's HermiT needs a Java runtime")


def insert_data(path: Path, drop_header: bool = False) -> str:
    """Return an INSERT DATA update holding the triples of an RDF file (as N-Triples)."""
    graph = Graph().parse(path)
    if drop_header:
        for header in list(graph.subjects(predicate=URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                                          object=URIRef("http://www.w3.org/2002/07/owl#Ontology"))):
            graph.remove((header, None, None))
    return "INSERT DATA {\n" + graph.serialize(format="nt") + "}"


def write_headers(reason: str | None = "testing the write API", token: str | None = TOKEN) -> dict:
    headers = {"Content-Type": "application/sparql-update"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if reason is not None:
        headers["X-Change-Reason"] = reason
    return headers


def post_update(client, update: str, graph: str = EXAMPLE_GRAPH, **headers):
    return client.post(f"/update?graph={quote(graph, safe='')}", data=update.encode("utf-8"),
                       headers=write_headers(**headers))


def make_app(root: Path, **settings):
    app = create_app({"extensions_dir": str(root / "extensions"), "cache_dir": str(root / "cache"),
                      "writes_enabled": True, "write_tokens": {TOKEN: "tester"}, "query_timeout": 5.0, **settings})
    app.config["TESTING"] = True
    return app


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("writes")
    (root / "extensions").mkdir()
    return root


@pytest.fixture(scope="module")
def writable(root):
    """An app with writes on, over an empty extensions directory of its own."""
    app = make_app(root)
    yield app
    stop_query_workers(app)


@pytest.fixture(scope="module")
def other_worker(root, writable):
    """A second app on the same directory, standing in for another gunicorn worker."""
    app = make_app(root)
    yield app
    stop_query_workers(app)


ONTOLOGY_FORMATS = ("ttl", "jsonld", "nt", "rdf")


@pytest.fixture(scope="module")
def ontology_served_before_the_write(writable, other_worker):
    """/ontology in every format, asked of both workers before the write (so each has it cached)."""
    for app in (writable, other_worker):
        for fmt in ONTOLOGY_FORMATS:
            assert b"psoas-minor" not in app.test_client().get(f"/ontology?format={fmt}").data


@pytest.fixture(scope="module")
def accepted(writable, other_worker, ontology_served_before_the_write):
    """The worked example inserted with one SPARQL Update (the gate runs once for the module)."""
    response = post_update(writable.test_client(), insert_data(EXAMPLE), reason="add psoas minor")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_writes_are_off_by_default_and_the_answer_says_how_to_turn_them_on(client):
    for response in (client.post("/update", data="INSERT DATA {}", headers=write_headers()),
                     client.put(f"/graph-store?graph={EXAMPLE_GRAPH}", data="", headers=write_headers()),
                     client.get(f"/graph-store?graph={EXAMPLE_GRAPH}")):
        assert response.status_code == 403
        assert "LBP_KG_WRITES_ENABLED=true" in response.get_json()["error"]


def test_writes_on_without_any_token_refuse_to_start(tmp_path):
    with pytest.raises(ValueError, match="write_tokens is empty"):
        create_app({"extensions_dir": str(tmp_path), "cache_dir": str(tmp_path / "cache"), "writes_enabled": True})


def test_a_missing_or_wrong_token_is_401_with_a_bearer_challenge(writable):
    client = writable.test_client()
    missing = post_update(client, "INSERT DATA {}", token=None)
    wrong = post_update(client, "INSERT DATA {}", token="not-the-token")
    assert missing.status_code == wrong.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert 'error="invalid_token"' in wrong.headers["WWW-Authenticate"]


def test_a_write_without_a_reason_is_400(writable):
    response = post_update(writable.test_client(), "INSERT DATA {}", reason=None)
    assert response.status_code == 400
    assert "X-Change-Reason" in response.get_json()["error"]


@needs_java
def test_an_accepted_insert_is_served_by_the_named_queries(writable, accepted):
    response = writable.test_client().get("/queries/attachments?muscle=psoas%20minor")
    assert response.status_code == 200
    sites = {row["site"]["value"] for row in response.get_json()["results"]["bindings"]}
    assert str(LBP["pubic-attachment-of-psoas-minor"]) in sites


@needs_java
def test_an_accepted_insert_is_in_the_turtle_file_on_disk(root, accepted):
    assert accepted["file"] == "psoas-minor.ttl" and accepted["created"] and accepted["added"] == 57
    on_disk = Graph().parse(root / "extensions" / "psoas-minor.ttl")
    assert (LBP["psoas-minor"], OBO["RO_0002373"], LBP["pubic-attachment-of-psoas-minor"]) in on_disk
    assert len(on_disk) == 57


@needs_java
def test_an_accepted_insert_is_in_the_change_log_with_who_when_what_why(root, accepted):
    [entry] = [e for e in ChangeLog(root / "changes.jsonl").read() if e["id"] == accepted["change"]]
    assert entry["who"] == "tester"
    assert entry["why"] == "add psoas minor"
    assert entry["when"].endswith("+00:00")
    assert entry["what"]["graph"] == EXAMPLE_GRAPH
    assert (entry["what"]["added"], entry["what"]["removed"]) == (57, 0)
    assert "lbp:psoas-minor" in entry["what"]["addedTerms"]
    assert entry["what"]["update"].startswith("INSERT DATA")


@needs_java
def test_another_worker_on_the_same_directory_serves_the_write_soon_after(other_worker, accepted):
    client = other_worker.test_client()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        files = {m["file"] for m in client.get("/health").get_json()["modules"]}
        if "psoas-minor.ttl" in files:
            break
        time.sleep(0.2)
    assert "psoas-minor.ttl" in files
    assert client.get("/queries/attachments?muscle=psoas%20minor").status_code == 200


@needs_java
def test_after_a_write_the_ontology_download_has_the_new_term_in_every_format_and_worker(
        writable, other_worker, accepted):
    for fmt in ONTOLOGY_FORMATS:
        assert b"psoas-minor" in writable.test_client().get(f"/ontology?format={fmt}").data, fmt
    client = other_worker.test_client()
    deadline = time.monotonic() + 20
    while b"psoas-minor" not in client.get("/ontology?format=ttl").data and time.monotonic() < deadline:
        time.sleep(0.2)
    for fmt in ONTOLOGY_FORMATS:
        response = client.get(f"/ontology?format={fmt}")
        assert b"psoas-minor" in response.data, fmt
        assert "psoas-minor" in response.headers["X-LBP-Modules"]


def _state(root: Path, client) -> tuple:
    return ((root / "extensions" / "psoas-minor.ttl").read_bytes(),
            client.get("/health").get_json()["graphVersion"],
            (root / "changes.jsonl").read_bytes())


@needs_java
def test_the_gate_rejects_a_muscle_without_insertion_with_422_and_changes_nothing(root, writable, accepted):
    client = writable.test_client()
    before = _state(root, client)
    response = post_update(client, insert_data(BROKEN / "muscle-without-insertion.ttl", drop_header=True)
                           .replace("psoas-minor", "psoas-tertius"))
    assert response.status_code == 422
    body = response.get_json()
    assert any(p["stage"] == "shapes" and p["property"] == "obo:RO_0002373" and "has no insertion" in p["message"]
               for p in body["problems"])
    assert body["stages"]["shapes"] == "failed"
    assert _state(root, client) == before


@needs_java
def test_the_gate_rejects_a_clinical_claim_without_source_with_422_and_changes_nothing(root, writable, accepted):
    client = writable.test_client()
    before = _state(root, client)
    response = post_update(client, insert_data(BROKEN / "claim-without-source.ttl", drop_header=True))
    assert response.status_code == 422
    messages = [p["message"] for p in response.get_json()["problems"]]
    assert any("has no source" in message for message in messages)
    assert _state(root, client) == before


@needs_java
def test_an_update_that_changes_nothing_is_not_gated_nor_logged(root, writable, accepted):
    client = writable.test_client()
    before = _state(root, client)
    response = post_update(client, "DELETE DATA { <https://example.org/a> <https://example.org/b> "
                                   "<https://example.org/c> }")
    assert response.status_code == 200
    assert response.get_json()["changed"] is False
    assert _state(root, client) == before


def test_a_syntax_error_is_400_with_its_line_and_column(writable):
    response = post_update(writable.test_client(), "INSERT DATA {\n  <https://example.org/a> <https://example.org/b> ")
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"].startswith("malformed update")
    assert body["line"] == 2 and body["column"] > len("  <https://example.org/a> ")


def test_inserting_into_a_core_graph_is_403_naming_the_graph(writable):
    core = writable.extensions["lbp_kg"].modules[1].iri
    update = f"INSERT DATA {{ GRAPH <{core}> {{ <{LBP['psoas-major']}> <{OBO['IAO_0000115']}> \"x\" }} }}"
    response = post_update(writable.test_client(), update)
    assert response.status_code == 403
    assert response.get_json()["graph"] == core
    assert "core module graph" in response.get_json()["error"]
    direct = post_update(writable.test_client(), "INSERT DATA { <https://example.org/a> <https://example.org/b> 1 }",
                         graph=core)
    assert direct.status_code == 403 and direct.get_json()["graph"] == core


@pytest.mark.parametrize("update", [
    "LOAD <http://127.0.0.1:9/data.ttl>",
    "INSERT { ?s ?p ?o } WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
])
def test_updates_that_would_reach_the_network_are_refused(writable, update):
    response = post_update(writable.test_client(), update)
    assert response.status_code == 400
    assert "network" in response.get_json()["error"]


def test_an_oversized_update_is_413(writable):
    response = post_update(writable.test_client(), "#" * (writable.config["MAX_CONTENT_LENGTH"] + 1))
    assert response.status_code == 413


@needs_java
def test_the_graph_store_puts_reads_and_deletes_an_extension_graph(root, writable, accepted):
    client = writable.test_client()
    iri = "https://w3id.org/lbp-kg/ontology/extensions/empty-notes"
    turtle = f"<{iri}> a <http://www.w3.org/2002/07/owl#Ontology> ; <http://www.w3.org/2002/07/owl#versionInfo> \"0.1.0\" ."
    url = f"/graph-store?graph={quote(iri, safe='')}"
    created = client.put(url, data=turtle, headers={**write_headers(), "Content-Type": "text/turtle"})
    assert created.status_code == 201, created.get_json()
    assert (root / "extensions" / "empty-notes.ttl").is_file()
    read = client.get(url, headers={"Accept": "application/n-triples"})
    assert read.status_code == 200 and "0.1.0" in read.get_data(as_text=True)
    deleted = client.delete(url, headers=write_headers(reason="remove the empty notes"))
    assert deleted.status_code == 200 and deleted.get_json()["deleted"]
    assert not (root / "extensions" / "empty-notes.ttl").exists()
    assert client.get(url).status_code == 404
    operations = [e["what"]["operation"] for e in ChangeLog(root / "changes.jsonl").read()]
    assert operations[-2:] == ["put", "delete"]


@needs_java
def test_a_graph_store_put_without_the_ontology_header_is_422(writable, accepted):
    response = writable.test_client().put(
        "/graph-store?graph=https%3A%2F%2Fexample.org%2Fno-header",
        data="<https://example.org/a> <https://example.org/b> <https://example.org/c> .",
        headers={**write_headers(), "Content-Type": "text/turtle"})
    assert response.status_code == 422
    assert "owl:Ontology" in response.get_json()["error"]


def test_without_java_writes_are_refused_with_503_and_change_nothing(tmp_path, monkeypatch):
    (tmp_path / "extensions").mkdir()
    app = make_app(tmp_path)
    try:
        monkeypatch.setattr("service.curation.reasoning.shutil.which", lambda name: None)
        response = post_update(app.test_client(), insert_data(EXAMPLE))
        assert response.status_code == 503
        assert "Java" in response.get_json()["error"]
        assert not (tmp_path / "extensions" / "psoas-minor.ttl").exists()
        assert not (tmp_path / "changes.jsonl").exists()
    finally:
        stop_query_workers(app)


def test_a_torn_last_line_of_the_change_log_is_skipped_with_a_warning(tmp_path, caplog):
    log_file = tmp_path / "changes.jsonl"
    log_file.write_bytes(json.dumps({"id": "a", "who": "x"}).encode() + b"\n" + b'{"id": "b", "who')
    change_log = ChangeLog(log_file)
    with caplog.at_level(logging.WARNING, logger="service.curation.change_log"):
        assert [e["id"] for e in change_log.read()] == ["a"]
    assert "line 2 is not a complete entry" in caplog.text
    change_log.append({"id": "c"})
    assert [e["id"] for e in change_log.read()] == ["a", "c"]
    assert log_file.read_bytes().endswith(b'{"id": "c"}\n')


def test_a_literal_spelling_graph_or_load_is_not_mistaken_for_a_keyword():
    from service.curation.sparql_update import graphs_named

    assert graphs_named('INSERT DATA { <https://e.org/a> <https://e.org/b> "LOAD GRAPH <x> SERVICE" }') == []
    assert graphs_named("PREFIX e: <https://e.org/> WITH e:g DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }") \
        == ["https://e.org/g"]


def test_an_insert_into_the_target_by_name_lands_in_the_target(writable):
    from service.curation.sparql_update import apply_update

    target = "https://example.org/g"
    current = Graph()
    current.add((URIRef("https://example.org/a"), URIRef("https://example.org/b"), Literal("old")))
    outcome = apply_update(current, f"DELETE DATA {{ GRAPH <{target}> {{ <https://example.org/a> "
                                    f"<https://example.org/b> \"old\" }} }} ; INSERT DATA {{ <https://example.org/a> "
                                    f"<https://example.org/b> \"new\" }}", target)
    assert (outcome.added, outcome.removed) == (1, 1)
    assert {str(o) for o in outcome.graph.objects()} == {"new"}
