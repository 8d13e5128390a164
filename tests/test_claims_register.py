"""The claims register (ontology/claims-register.tsv) is the contract between the article and the
graph: each of the article's claims, in the curators' paraphrase, with its section, its hedge and
the triples (or n-ary claim nodes) that encode it. Every row's encoding must be in the graph with
the article as its source, and every triple or node the graph attributes to the article must
belong to some row, so nothing is said in the article's name that the register does not list."""
from __future__ import annotations

import csv

import pytest
from rdflib import OWL, RDF, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS

from service.paths import ONTOLOGY_DIR
from tests.conftest import ARTICLE_SECTIONS

LBP = Namespace("https://w3id.org/lbp-kg/id/")
PREFIXES = {"lbp": "https://w3id.org/lbp-kg/id/", "obo": "http://purl.obolibrary.org/obo/"}
ARTICLE = LBP["source-lau-low-back-pain-glutes"]
REGISTER = ONTOLOGY_DIR / "claims-register.tsv"
#: the article's headings, plus its untitled opening
SECTIONS = ARTICLE_SECTIONS | {"introduction"}


def expand(curie: str) -> URIRef:
    prefix, local = curie.split(":", 1)
    return URIRef(PREFIXES[prefix] + local)


def encoding_items(cell: str) -> list[tuple]:
    """Return the row's items: (s, p, o) triples and 1-tuples for n-ary claim nodes."""
    items = []
    for part in cell.split(" ; "):
        terms = part.split()
        assert len(terms) in (1, 3), part
        items.append(tuple(expand(term) for term in terms))
    return items


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    with REGISTER.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@pytest.fixture(scope="module")
def graph(modules_graph) -> Graph:
    return modules_graph


def article_claims(graph: Graph) -> dict[tuple, list]:
    """Map each item the graph attributes to the article to the nodes carrying its provenance."""
    claims: dict[tuple, list] = {}
    for node in graph.subjects(DCTERMS.source, ARTICLE):
        if (node, RDF.type, OWL.Axiom) in graph:
            item = (graph.value(node, OWL.annotatedSource), graph.value(node, OWL.annotatedProperty),
                    graph.value(node, OWL.annotatedTarget))
        else:
            item = (node,)
        claims.setdefault(item, []).append(node)
    return claims


def test_the_register_lists_the_articles_46_claims_once_each_with_a_paraphrase(rows):
    assert len(rows) == 46
    assert len({row["claim"] for row in rows}) == 46
    for row in rows:
        assert row["section"] in SECTIONS, row["claim"]
        assert len(row["paraphrase"].split()) >= 5, row["claim"]
        assert row["encoding"].strip(), row["claim"]


def test_every_rows_encoding_is_in_the_graph_with_the_article_as_source(rows, graph):
    claims = article_claims(graph)
    for row in rows:
        for item in encoding_items(row["encoding"]):
            if len(item) == 3:
                assert item in graph, (row["claim"], item)
            assert item in claims, (row["claim"], item, "is not attributed to the article")


def test_every_triple_or_node_attributed_to_the_article_belongs_to_some_row(rows, graph):
    registered = {item for row in rows for item in encoding_items(row["encoding"])}
    unregistered = set(article_claims(graph)) - registered
    assert unregistered == set()


def test_each_row_quotes_the_section_its_encoding_cites(rows, graph):
    claims = article_claims(graph)
    for row in rows:
        if row["section"] == "introduction":
            continue
        sections = {str(graph.value(node, LBP.sourceSection))
                    for item in encoding_items(row["encoding"]) for node in claims[item]}
        assert row["section"] in sections, (row["claim"], sections)


def test_a_hedged_claim_keeps_its_hedge_in_the_graph(rows, graph):
    claims = article_claims(graph)
    hedged = [row for row in rows if row["hedge"]]
    assert len(hedged) >= 15
    for row in hedged:
        hedges = {str(hedge) for item in encoding_items(row["encoding"]) for node in claims[item]
                  for hedge in graph.objects(node, LBP.hedge)}
        assert row["hedge"] in hedges, (row["claim"], row["hedge"], hedges)


def test_a_hedge_in_the_graph_is_english_text(graph):
    hedges = list(graph.objects(None, LBP.hedge))
    assert hedges and all(isinstance(h, Literal) and h.language == "en" for h in hedges)
