"""The service's own queries read the asserted graphs merged into one (OxigraphStore.asserted).

Oxigraph evaluates a default graph given as a list of graphs once per graph, so the store keeps
the modules' triples again in one default graph for the service's own queries. These say what
that copy must keep: the same answers as the list of module graphs (as a set: the RDF merge), no
inferred triples, and every graph still there for a query that names graphs itself.
"""
from __future__ import annotations

import pyoxigraph as ox

from service.store import ASSERTED_GRAPH, INFERRED_GRAPH, OxigraphStore
from service.store.interface import QueryDataset

LBP = "https://w3id.org/lbp-kg/id/"
ANATOMY, CLINICAL = "https://w3id.org/lbp-kg/test/anatomy", "https://w3id.org/lbp-kg/test/clinical"
RDFS_LABEL, RDF_TYPE = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"), \
    ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
PSOAS = ox.NamedNode(LBP + "psoas-major")
LABEL = ox.Triple(PSOAS, RDFS_LABEL, ox.Literal("psoas major", language="en"))


def two_modules_and_inferences() -> OxigraphStore:
    """Two modules that both state psoas major's label, and one inferred type."""
    store = ox.Store()
    for graph in (ANATOMY, CLINICAL):
        store.add(ox.Quad(*LABEL, ox.NamedNode(graph)))
    store.add(ox.Quad(PSOAS, RDF_TYPE, ox.NamedNode(LBP + "Muscle"), ox.NamedNode(ANATOMY)))
    store.add(ox.Quad(PSOAS, RDF_TYPE, ox.NamedNode(LBP + "AnatomicalStructure"), ox.NamedNode(INFERRED_GRAPH)))
    return OxigraphStore(store=store, module_graphs=[ANATOMY, CLINICAL], version="asserted-test", has_inferred=True)


def values(result, name: str) -> list[str]:
    return sorted(row[name].value for row in result)


def test_the_service_reads_the_modules_merged_without_the_inferences():
    store = two_modules_and_inferences()
    types = "SELECT ?type WHERE { ?muscle a ?type }"
    assert values(store.query(types), "type") == [LBP + "Muscle"]
    # a triple two modules state is one triple of the merge, as SPARQL's default graph is an RDF merge
    assert values(store.query("SELECT ?label WHERE { ?muscle <%s> ?label }" % RDFS_LABEL.value), "label") \
        == ["psoas major"]


def test_evaluate_over_the_asserted_graphs_answers_as_the_query_method():
    store = two_modules_and_inferences()
    dataset = store.resolve_dataset((ASSERTED_GRAPH,))
    types = "SELECT ?type WHERE { ?muscle a ?type }"
    assert values(store.evaluate(types, dataset), "type") == values(store.query(types), "type")


def test_a_query_that_names_graphs_still_sees_every_module_and_the_inferences():
    store = two_modules_and_inferences()
    by_graph = store.query("SELECT ?g WHERE { GRAPH ?g { ?muscle a ?type } }")
    assert values(by_graph, "g") == sorted([ANATOMY, INFERRED_GRAPH])
    inferred = store.evaluate(f"SELECT ?type WHERE {{ GRAPH <{INFERRED_GRAPH}> {{ ?muscle a ?type }} }}",
                              QueryDataset(default_graphs=(ANATOMY, CLINICAL)))
    assert values(inferred, "type") == [LBP + "AnatomicalStructure"]


def test_other_datasets_are_read_from_the_store_itself():
    store = two_modules_and_inferences()
    everything = store.query("SELECT ?type WHERE { ?muscle a ?type }", default_graph_uris=())
    assert values(everything, "type") == sorted([LBP + "AnatomicalStructure", LBP + "Muscle"])
    one_module = store.query("SELECT ?label WHERE { ?muscle ?p ?label }", default_graph_uris=(CLINICAL,))
    assert values(one_module, "label") == ["psoas major"]
