"""Every causal edge of the bundled graph reads as a true sentence (service/prose/sentences.py).

The edges are read from the real graph, and each sentence is checked for what makes it true:
a muscle's state is named by its muscle (as "inhibited gluteus medius" when it acts, bare when
the verb says what happens to it), never as "... inhibits gluteus medius inhibition"; the verb
agrees with its subject; and the sentence names exactly the edge's two ends.
"""
from __future__ import annotations

import pytest
from rdflib import URIRef
from rdflib.namespace import RDF, RDFS

from service.prose.lexicon import STATE_ADJECTIVES, lexicon_for
from service.prose.sentences import edge_sentence, wording

LBP = "https://w3id.org/lbp-kg/id/"
CAUSES = LBP + "causes"
INHIBITS = LBP + "inhibits"
OVERLOADS = LBP + "overloads"
MUSCLE_KINDS = {LBP + "Muscle", LBP + "MuscleGroup"}


def href(iri: str) -> str:
    return "/id/" + iri[len(LBP):] if iri.startswith(LBP) else iri


@pytest.fixture
def lexicon(kb):
    return lexicon_for(kb)


def sub_properties(graph, top: str) -> set[str]:
    return {str(p) for p in graph.transitive_subjects(RDFS.subPropertyOf, URIRef(top))}


def edges_of(graph, relations: set[str]) -> list[tuple[str, str, str]]:
    return sorted((str(s), str(p), str(o)) for p in relations for s, o in graph.subject_objects(URIRef(p))
                  if isinstance(s, URIRef) and isinstance(o, URIRef))


@pytest.fixture
def causal_edges(kb):
    edges = edges_of(kb.graph, sub_properties(kb.graph, CAUSES))
    assert len(edges) > 20, "the bundled graph's causal edges were not found"
    return edges


def muscle_state_kind(kb, iri: str) -> str | None:
    """The adjective kind (tight, inhibited, overloaded) of a state of a muscle or group, else None."""
    types = {str(t) for t in kb.graph.objects(URIRef(iri), RDF.type)}
    return next((cls for cls in STATE_ADJECTIVES if cls in types), None)


def owner_of(kb, iri: str) -> str | None:
    owner = kb.graph.value(URIRef(iri), URIRef(LBP + "stateOf"))
    return str(owner) if owner is not None else None


def label_of(kb, iri: str) -> str:
    return str(kb.graph.value(URIRef(iri), RDFS.label))


def test_every_causal_edge_names_its_two_ends_and_reads_as_one_sentence(kb, lexicon, causal_edges):
    for subject, relation, object_ in causal_edges:
        sentence = edge_sentence(lexicon, subject, relation, object_, href)
        assert [p.iri for p in sentence.subjects] == [subject]
        assert [o.iri for p in sentence.predicates for o in p.objects] == [object_]
        assert sentence.text[0].isupper() and sentence.text.endswith(".")
        assert sentence.subjects[0].href == href(subject)


def test_a_muscle_state_as_subject_is_its_muscle_with_an_adjective(kb, lexicon, causal_edges):
    checked = 0
    for subject, relation, object_ in causal_edges:
        kind = muscle_state_kind(kb, subject)
        if kind is None:
            continue
        owner = owner_of(kb, subject)
        assert {str(t) for t in kb.graph.objects(URIRef(owner), RDF.type)} & MUSCLE_KINDS, owner
        text = edge_sentence(lexicon, subject, relation, object_, href).subjects[0].text
        assert text == f"{STATE_ADJECTIVES[kind]} {label_of(kb, owner)}", (subject, relation, object_)
        assert text != label_of(kb, subject)
        checked += 1
    assert checked >= 5


@pytest.mark.parametrize("relation, state_class", [(INHIBITS, LBP + "InhibitedState"),
                                                   (OVERLOADS, LBP + "OverloadedState")])
def test_what_is_inhibited_or_overloaded_is_named_by_its_muscle(kb, lexicon, relation, state_class):
    edges = edges_of(kb.graph, sub_properties(kb.graph, relation))
    assert edges, f"no {relation} edge in the bundled graph"
    for subject, relation_, object_ in edges:
        assert (URIRef(object_), RDF.type, URIRef(state_class)) in kb.graph
        owner = owner_of(kb, object_)
        sentence = edge_sentence(lexicon, subject, relation_, object_, href)
        named = sentence.predicates[0].objects[0].text
        assert named == label_of(kb, owner), (subject, relation_, object_)
        # never "... inhibits gluteus medius inhibition": the state's own name is not repeated
        assert label_of(kb, object_) not in sentence.text
        verb = relation.rsplit("/", 1)[1]
        assert f" {verb} " in sentence.text or f" {verb[:-1]} " in sentence.text


def test_the_verb_agrees_with_a_plural_muscle_group(kb, lexicon, causal_edges):
    groups = 0
    for subject, relation, object_ in causal_edges:
        sentence = edge_sentence(lexicon, subject, relation, object_, href)
        words = wording(lexicon, relation)
        owner = owner_of(kb, subject)
        plural = sentence.subjects[0].plural
        if plural:
            groups += 1
            assert (URIRef(owner or subject), RDF.type, URIRef(LBP + "MuscleGroup")) in kb.graph
        verb = words.plural if plural else words.singular
        assert f" {verb} " in sentence.text, (sentence.text, verb)
    assert groups >= 2, "the lumbar extensors and deep hip rotators should be plural subjects"


def test_the_article_s_chain_reads_as_the_issue_asks(lexicon):
    said = edge_sentence(lexicon, LBP + "anterior-pelvic-tilt", INHIBITS, LBP + "gluteus-medius-inhibition", href)
    assert said.text == "Anterior pelvic tilt inhibits gluteus medius."
    said = edge_sentence(lexicon, LBP + "gluteus-medius-inhibition", OVERLOADS,
                         LBP + "quadratus-lumborum-overload", href)
    assert said.text == "Inhibited gluteus medius overloads quadratus lumborum."


def test_a_state_keeps_its_own_name_where_the_muscle_is_not_acting(kb, lexicon):
    said = edge_sentence(lexicon, LBP + "gluteus-medius-inhibition", LBP + "stateOf", LBP + "gluteus-medius", href)
    assert said.text == "Gluteus medius inhibition is a state of gluteus medius."


def test_every_edge_of_the_graph_becomes_a_sentence_with_a_verb(kb, lexicon):
    relations = {str(p) for p in kb.graph.predicates() if str(p).startswith((LBP, "http://purl.obolibrary.org/obo/"))}
    edges = edges_of(kb.graph, relations)
    for subject, relation, object_ in edges:
        sentence = edge_sentence(lexicon, subject, relation, object_, href)
        verb = sentence.verb(sentence.predicates[0])
        assert verb.strip() and verb in sentence.text


def test_a_relation_below_inhibits_reads_as_inhibits(lexicon):
    lexicon.parents.setdefault(LBP + "test-strongly-inhibits", set()).add(INHIBITS)
    try:
        assert wording(lexicon, LBP + "test-strongly-inhibits").singular == "inhibits"
    finally:
        del lexicon.parents[LBP + "test-strongly-inhibits"]
