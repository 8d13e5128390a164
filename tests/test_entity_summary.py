"""Muscle and state pages open with a summary written from their sourced edges (service/prose/summary.py).

Each clause's sources are checked against the graph: the source must annotate the very edge the
clause says (its owl:Axiom), or be stated on the node that vouches for itself (a muscle's anatomy
references, a treatment target). What the summary says is compared with the edges, never with a
list of expected sentences.
"""
from __future__ import annotations

import re

import pytest
from rdflib import URIRef
from rdflib.namespace import OWL, RDFS

from service.prose.summary import entity_summary

LBP = "https://w3id.org/lbp-kg/id/"
DCTERMS_SOURCE = URIRef("http://purl.org/dc/terms/source")
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ENTITIES = ("gluteus-medius", "psoas-major", "quadratus-lumborum", "gluteus-medius-inhibition")


def href(iri: str) -> str:
    return "/id/" + iri[len(LBP):] if iri.startswith(LBP) else iri


def sources_of_edge(graph, subject: str, relation: str, object_: str) -> set[str]:
    """The sources the graph gives for one edge: its axioms', else (no axiom) its subject's own."""
    s, p, o = URIRef(subject), URIRef(relation), URIRef(object_)
    assert (s, p, o) in graph, f"the summary states an edge the graph does not hold: {subject} {relation} {object_}"
    axioms = [a for a in graph.subjects(OWL.annotatedSource, s)
              if (a, OWL.annotatedProperty, p) in graph and (a, OWL.annotatedTarget, o) in graph]
    if axioms:
        return {str(src) for a in axioms for src in graph.objects(a, DCTERMS_SOURCE)}
    return {str(src) for src in graph.objects(s, DCTERMS_SOURCE)}


def cited_phrases(sentences):
    for sentence in sentences:
        for phrase in sentence.subjects:
            yield sentence, phrase
        for predicate in sentence.predicates:
            for phrase in predicate.objects:
                yield sentence, phrase


@pytest.mark.parametrize("name", ENTITIES)
def test_each_clause_cites_a_source_of_the_edge_it_states(kb, name):
    summary = entity_summary(kb, LBP + name, href)
    assert len(summary) >= 2
    cited = [(s, p) for s, p in cited_phrases(summary) if p.citations]
    assert cited, "the summary cites nothing"
    for sentence, phrase in cited:
        assert phrase.claim is not None
        true_sources = sources_of_edge(kb.graph, *phrase.claim)
        for reference in phrase.citations:
            assert reference.citation.iri in true_sources, (sentence.text, phrase.claim, reference)
            assert reference.href == href(reference.citation.iri)
    # every phrase that carries a claim's words carries its sources: nothing is said unsourced
    for sentence, phrase in cited_phrases(summary):
        assert phrase.citations or any(p.citations for p in sentence.subjects) or any(
            o.citations for pr in sentence.predicates for o in pr.objects), sentence.text


@pytest.mark.parametrize("name", ("gluteus-medius", "psoas-major", "quadratus-lumborum"))
def test_a_muscle_s_role_names_each_of_its_primary_actions(kb, name):
    muscle = URIRef(LBP + name)
    actions = {str(a) for a in kb.graph.objects(muscle, URIRef(LBP + "hasPrimaryAction"))}
    summary = entity_summary(kb, str(muscle), href)
    role = summary[0]
    assert [p.iri for p in role.subjects] == [str(muscle)]
    assert {o.iri for p in role.predicates for o in p.objects} == actions


@pytest.mark.parametrize("name", ENTITIES)
def test_what_leads_to_it_and_what_it_leads_to_come_from_its_states_edges(kb, name):
    entity = URIRef(LBP + name)
    states = {entity} | set(kb.graph.subjects(URIRef(LBP + "stateOf"), entity))
    causal = {p for p in kb.graph.transitive_subjects(RDFS.subPropertyOf, URIRef(LBP + "causes"))}
    upstream = {str(s) for st in states for p in causal for s in kb.graph.subjects(p, st)} - {str(s) for s in states}
    downstream = {str(o) for st in states for p in causal for o in kb.graph.objects(st, p)}
    said = {phrase.iri for _, phrase in cited_phrases(entity_summary(kb, str(entity), href))}
    assert upstream <= said and downstream <= said
    assert upstream or downstream


def test_the_treatment_sentence_names_the_motor_point_and_where_it_lies(kb):
    summary = entity_summary(kb, LBP + "gluteus-medius", href)
    point = URIRef(LBP + "gluteus-medius-motor-point")
    location = str(kb.graph.value(point, URIRef(LBP + "locationDescription")))
    treatment = [s for s in summary if any(o.iri == str(point) for p in s.predicates for o in p.objects)]
    assert len(treatment) == 1
    assert location[:40].lower() in treatment[0].text.lower()


def test_an_entity_with_few_edges_gets_fewer_sentences_never_invented_ones(kb):
    assert entity_summary(kb, LBP + "greater-trochanter", href) == []
    piriformis = entity_summary(kb, LBP + "piriformis", href)
    assert len(piriformis) < len(entity_summary(kb, LBP + "gluteus-medius", href))
    for sentence, phrase in cited_phrases(piriformis):
        if phrase.claim:
            assert sources_of_edge(kb.graph, *phrase.claim)


@pytest.mark.parametrize("name", ENTITIES)
def test_the_page_shows_the_summary_with_links_to_its_sources(client, name):
    html = client.get(f"/id/{name}", headers={"Accept": BROWSER_ACCEPT}).get_data(as_text=True)
    match = re.search(r'<section aria-labelledby="summary-heading">(.*?)</section>', html, re.S)
    assert match, "no summary on the page"
    summary = match.group(1)
    assert 'class="cite" href="/id/source-lau-low-back-pain-glutes"' in summary
    for target in set(re.findall(r'href="(/id/[^"]+)"', summary)):
        assert client.get(target, headers={"Accept": BROWSER_ACCEPT}).status_code == 200, target


def test_a_page_with_nothing_sourced_to_say_has_no_summary(client):
    html = client.get("/id/greater-trochanter", headers={"Accept": BROWSER_ACCEPT}).get_data(as_text=True)
    assert 'id="summary-heading"' not in html


def test_what_the_article_stresses_comes_first_then_the_rest_by_label(kb):
    """Issue 16: the overloaded muscle the article ranks (lbp:emphasisRank) leads its sentence."""
    graph = kb.graph
    rank = URIRef(LBP + "emphasisRank")
    first = {(str(graph.value(axiom, OWL.annotatedSource)), str(graph.value(axiom, OWL.annotatedProperty)),
              str(graph.value(axiom, OWL.annotatedTarget))) for axiom, _, value in graph.triples((None, rank, None))
             if int(value) == 1}
    assert first, "the graph ranks no edge: nothing to order by"
    summary = entity_summary(kb, LBP + "gluteus-medius", href)
    for sentence in summary:
        for predicate in sentence.predicates:
            claims = [phrase.claim for phrase in predicate.objects if phrase.claim is not None]
            ranked = [claim for claim in claims if claim in first]
            if ranked:
                assert claims[0] in first, (sentence.text, claims)
                rest = [kb_label(graph, claim[2]) for claim in claims[1:]]
                assert rest == sorted(rest), sentence.text
                return
    pytest.fail("no sentence of the gluteus medius summary states the ranked edge")


def kb_label(graph, iri: str) -> str:
    return str(graph.value(URIRef(iri), RDFS.label)).lower()
