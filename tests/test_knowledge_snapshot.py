"""With store_in_memory off, every process reads one version's on-disk snapshot, built only once."""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from service import create_app
from service.kg import knowledge
from service.config import load_config
from service.kg.knowledge import load_store
from service.kg.labels import LabelIndex
from service.store.oxigraph import INFERRED_GRAPH, snapshot_lock, snapshot_path

EXTENSION = """@prefix lbp: <https://w3id.org/lbp-kg/id/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/lbp-kg/ontology/disk-extension> a owl:Ontology ; owl:versionInfo "0.7" .
lbp:disk-muscle a lbp:Muscle ; rdfs:label "disk muscle"@en .
"""


@pytest.fixture()
def extensions(tmp_path):
    directory = tmp_path / "extensions"
    directory.mkdir()
    (directory / "disk.ttl").write_text(EXTENSION, encoding="utf-8")
    return directory


def on_disk(tmp_path: Path, extensions: Path, **overrides):
    return load_config({"cache_dir": str(tmp_path / "cache"), "extensions_dir": str(extensions),
                        "store_in_memory": False, **overrides})


def test_the_first_load_builds_the_snapshot_and_answers_from_it(tmp_path, extensions):
    modules, store = load_store(on_disk(tmp_path, extensions))
    assert store.snapshot == snapshot_path(tmp_path / "cache", store.version)
    assert store.write_snapshot(tmp_path / "elsewhere") == store.snapshot
    assert modules[-1].iri == "https://w3id.org/lbp-kg/ontology/disk-extension"
    assert LabelIndex.from_store(store).resolve("disk muscle").iri == "https://w3id.org/lbp-kg/id/disk-muscle"


def test_a_later_load_opens_the_snapshot_without_parsing_a_file(tmp_path, extensions, monkeypatch):
    settings = on_disk(tmp_path, extensions)
    first_modules, first = load_store(settings)

    def must_not_parse(*args, **kwargs):
        raise AssertionError("the snapshot's version was loaded again")

    monkeypatch.setattr(knowledge, "load_modules_into", must_not_parse)
    modules, store = load_store(settings)
    assert store.snapshot == first.snapshot
    assert [m.as_record() for m in modules] == [m.as_record() for m in first_modules]
    assert (modules[-1].version, modules[-1].is_extension, modules[-1].path.name) == ("0.7", True, "disk.ttl")
    assert store.graph_sizes == first.graph_sizes and store.graph_sizes[INFERRED_GRAPH] > 0
    assert store.triple_count == len(store.store) == first.triple_count


def test_the_store_on_disk_holds_what_the_store_in_memory_holds(tmp_path, extensions):
    _, disk = load_store(on_disk(tmp_path, extensions))
    _, memory = load_store(on_disk(tmp_path, extensions, store_in_memory=True))
    assert memory.snapshot is None
    assert (disk.version, disk.module_graphs, disk.graph_sizes, disk.triple_count) == \
        (memory.version, memory.module_graphs, memory.graph_sizes, memory.triple_count)
    for graph in disk.stored_graphs:  # blank nodes are named afresh by each parse: compared by count
        assert named_triples(disk.graph_ntriples(graph)) == named_triples(memory.graph_ntriples(graph))


def named_triples(ntriples: bytes) -> tuple[set[bytes], int]:
    lines = ntriples.splitlines()
    return {line for line in lines if b"_:" not in line}, len(lines)


def test_a_snapshot_describing_module_files_elsewhere_is_rebuilt_from_the_files_here(tmp_path, extensions):
    settings = on_disk(tmp_path, extensions)
    _, store = load_store(settings)
    description = store.snapshot.with_suffix(".modules.json")
    moved = json.loads(description.read_text(encoding="utf-8"))
    for record in moved["modules"]:
        record["path"] = "/moved/checkout/" + Path(record["path"]).name
    description.write_text(json.dumps(moved), encoding="utf-8")
    modules, _ = load_store(settings)
    assert all(m.path.is_file() for m in modules)
    assert "/moved/" not in description.read_text(encoding="utf-8")


def test_a_process_waits_while_another_builds_the_same_version(tmp_path):
    order = []

    def second_loader():
        with snapshot_lock(tmp_path, "v1"):
            order.append("second loader")

    with snapshot_lock(tmp_path, "v1"):
        waiting = threading.Thread(target=second_loader)
        waiting.start()
        time.sleep(0.2)
        order.append("first loader done")
    waiting.join(5)
    assert order == ["first loader done", "second loader"]


def test_the_service_answers_from_the_snapshot(tmp_path, extensions):
    app = create_app({"cache_dir": str(tmp_path / "cache"), "extensions_dir": str(extensions),
                      "store_in_memory": False, "query_timeout": 5.0})
    client = app.test_client()
    try:
        health = client.get("/health").get_json()
        assert health["modules"][-1]["file"] == "disk.ttl"
        assert client.get("/search?q=disk%20muscle").get_json()[0]["label"] == "disk muscle"
        answer = client.get("/queries/muscles-by-action?action=hip%20flexion")
        assert answer.status_code == 200 and answer.get_json()["results"]["bindings"]
    finally:
        executor = app.extensions["lbp_kg"].extras.get("query_executor")
        if executor is not None:
            executor.close()
