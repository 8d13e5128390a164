"""Loading goes straight into Oxigraph: module graphs, header metadata, version, inferences and cache."""
from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode

from service.config import load_config
from service.kg.inference import load_rules, materialise_into
from service.kg.knowledge import KnowledgeBase, load_store
from service.kg.ontology import merge
from service.kg.rdf_files import RdfSyntaxError
from service.store import INFERRED_GRAPH

EXTENSION = """@prefix lbp: <https://w3id.org/lbp-kg/id/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/lbp-kg/ontology/test-extension> a owl:Ontology ; owl:versionInfo "0.3" .
lbp:test-muscle a lbp:Muscle ; rdfs:label "test muscle"@en .
"""


def settings_for(tmp_path: Path, extensions: Path | None = None, **overrides):
    extensions = extensions if extensions is not None else tmp_path / "no-extensions"
    return load_config({"cache_dir": str(tmp_path / "cache"), "extensions_dir": str(extensions), **overrides})


def test_each_module_is_a_named_graph_with_the_header_version_and_imports_in_catalogue_order(tmp_path):
    modules, store = load_store(settings_for(tmp_path, reasoning=False))
    assert [m.iri.rsplit("/", 1)[-1] for m in modules] == ["ontology", "core", "sources", "anatomy", "clinical",
                                                          "care", "evidence"]
    assert modules[0].version == "0.2.0"
    assert all(store.graph_sizes[m.iri] == m.triple_count > 0 for m in modules)
    assert store.triple_count == sum(m.triple_count for m in modules) == len(store.store)


def test_the_merged_graph_is_built_on_demand_and_holds_what_rdflib_reads_from_the_files(tmp_path):
    kb = KnowledgeBase.load(settings_for(tmp_path))
    assert "graph" not in kb.__dict__
    from_files = merge(kb.modules)
    assert len(kb.graph) == len(from_files)
    named = {t for t in from_files if not any(isinstance(term, BNode) for term in t)}
    assert named == {t for t in kb.graph if not any(isinstance(term, BNode) for term in t)}


def test_the_version_is_stable_across_loads_and_moves_with_the_files_and_the_reasoning_setting(tmp_path):
    extensions = tmp_path / "extensions"
    extensions.mkdir()
    (extensions / "test.ttl").write_text(EXTENSION, encoding="utf-8")
    first = load_store(settings_for(tmp_path, extensions))[1].version
    assert load_store(settings_for(tmp_path, extensions))[1].version == first
    assert load_store(settings_for(tmp_path, extensions, reasoning=False))[1].version != first
    (extensions / "test.ttl").write_text(EXTENSION.replace('"0.3"', '"0.4"'), encoding="utf-8")
    assert load_store(settings_for(tmp_path, extensions))[1].version != first


def test_an_extension_module_is_read_with_its_ontology_iri_and_version(tmp_path):
    extensions = tmp_path / "extensions"
    extensions.mkdir()
    (extensions / "test.ttl").write_text(EXTENSION, encoding="utf-8")
    modules, store = load_store(settings_for(tmp_path, extensions))
    extension = modules[-1]
    assert (extension.iri, extension.version, extension.is_extension) == (
        "https://w3id.org/lbp-kg/ontology/test-extension", "0.3", True)
    assert store.graph_sizes[extension.iri] == 4


def test_a_syntax_error_in_an_extension_names_the_file_and_line(tmp_path):
    extensions = tmp_path / "extensions"
    extensions.mkdir()
    (extensions / "broken.ttl").write_text(EXTENSION + "lbp:x rdfs:label \"unterminated .\n", encoding="utf-8")
    with pytest.raises(RdfSyntaxError) as raised:
        load_store(settings_for(tmp_path, extensions))
    assert raised.value.source.endswith("broken.ttl") and raised.value.line is not None


def reference_closure(asserted: list[bytes]) -> set[bytes]:
    """Apply the rules the plain way: CONSTRUCT over the merged triples until nothing is new."""
    store = ox.Store()
    for data in asserted:
        store.bulk_load(data, ox.RdfFormat.N_TRIPLES)
    inferred: set[bytes] = set()
    while True:
        new = {ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph())
               for rule in load_rules() for t in store.query(rule.text)}
        new = {quad for quad in new if quad not in store}
        if not new:
            return inferred
        store.extend(new)
        inferred |= {f"{q.subject} {q.predicate} {q.object} .".encode() for q in new}


def test_inference_over_the_module_graphs_adds_what_the_rules_entail_over_the_merged_asserted_triples(tmp_path):
    _, loaded = load_store(settings_for(tmp_path, reasoning=False))
    asserted = [loaded.graph_ntriples(g) for g in loaded.module_graphs]
    expected = reference_closure(asserted)
    result = materialise_into(loaded.store, "test-key")
    assert set(loaded.graph_ntriples(INFERRED_GRAPH).splitlines()) == expected
    assert result.triple_count == len(expected) > 0


def test_a_second_load_reads_the_inferences_from_the_cache(tmp_path):
    settings = settings_for(tmp_path)
    _, first = load_store(settings)
    cached = list((tmp_path / "cache" / "inference").glob(f"inferred-{first.version}.nt"))
    assert len(cached) == 1
    _, second = load_store(settings)
    assert second.graph_sizes[INFERRED_GRAPH] == first.graph_sizes[INFERRED_GRAPH]
    assert set(second.graph_ntriples(INFERRED_GRAPH).splitlines()) == \
        set(first.graph_ntriples(INFERRED_GRAPH).splitlines())


def test_inferences_touching_blank_nodes_are_not_cached(tmp_path):
    store = ox.Store()
    store.bulk_load(b"_:a <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://example.org/A> .\n"
                    b"<http://example.org/A> <http://www.w3.org/2000/01/rdf-schema#subClassOf> "
                    b"<http://example.org/B> .\n", ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode("http://example.org/g"))
    result = materialise_into(store, "bnode-key", cache_dir=tmp_path)
    assert result.triple_count == 1
    assert not (tmp_path / "inferred-bnode-key.nt").exists()
