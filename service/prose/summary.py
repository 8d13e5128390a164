"""A few plain sentences on what a muscle or a state does in low back pain, from its edges only.

Read from ``queries/internal/prose-entity-claims.rq`` (the clinical edges at the entity and at its
states, with their sources) and ``prose-treatment-targets.rq``. In order: its role (its main
actions; the condition whose picture it is part of), what brings it about, what points to it,
what it brings about, and how it is treated and where. Every clause carries the sources of the
edge it says; an edge with no source is left out, and an entity with few edges gets few
sentences: nothing is written here that the graph does not hold.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

import pyoxigraph as ox

from service.kg.vocabulary import LBP
from service.prose.lexicon import Lexicon, Reference, internal_query, lexicon_for
from service.prose.sentences import (Predicate, Sentence, edge_sentence, merge_by_predicate, merge_by_subject,
                                     term_phrase)

CAUSES = LBP + "causes"
INDICATES = LBP + "indicates"
TREATS = LBP + "treats"
PRIMARY_ACTION = LBP + "hasPrimaryAction"


def _value(term) -> str | None:
    return term.value if term is not None else None


Edge = tuple[str, str, str]
NO_EMPHASIS = float("inf")


def _edges(kb, lexicon: Lexicon, iri: str, href_for) -> tuple[dict[Edge, list[Reference]], dict[Edge, float]]:
    """Return each edge the summary may say, with its references (the claim's, else the subject's own),
    and the article's emphasis rank of the edges it ranks."""
    edges: dict[Edge, list[Reference]] = {}
    emphasis: dict[Edge, float] = {}
    rows = kb.store.query(internal_query("prose-entity-claims"),
                          substitutions={ox.Variable("entity"): ox.NamedNode(iri)})
    for row in rows:
        key = (row["subject"].value, row["relation"].value, row["object"].value)
        references = edges.setdefault(key, [])
        if row["emphasis"] is not None:
            emphasis[key] = min(emphasis.get(key, NO_EMPHASIS), float(row["emphasis"].value))
        source = row["source"] if row["source"] is not None else (
            row["nodeSource"] if key[1] == PRIMARY_ACTION else None)
        if source is not None:
            reference = Reference(lexicon.citation(source.value), _value(row["section"]), href_for(source.value))
            if reference not in references:
                references.append(reference)
    return {edge: sorted(refs, key=lambda r: (r.citation.label, r.section or ""))
            for edge, refs in edges.items() if refs}, emphasis


def entity_summary(kb, iri: str, href_for: Callable[[str], str]) -> list[Sentence]:
    """Return the sentences of ``iri``'s summary (none when no sourced edge speaks of it)."""
    lexicon = lexicon_for(kb)
    edges, emphasis = _edges(kb, lexicon, iri, href_for)
    mine = {iri} | {state for state, owner in lexicon.owners.items() if owner == iri}

    def said(edge, cite):
        subject, relation, object_ = edge
        return edge_sentence(lexicon, subject, relation, object_, href_for, tuple(edges[edge]), cite=cite)

    def is_a(relation: str, kind: str) -> bool:
        return kind in lexicon.ancestors(relation)

    # what the article stresses first (quadratus lumborum among the overloaded), then by label
    ordered = sorted(edges, key=lambda e: (emphasis.get(e, NO_EMPHASIS), lexicon.label(e[0]).lower(),
                                           lexicon.label(e[2]).lower()))
    outgoing = [e for e in ordered if e[0] in mine]
    incoming = [e for e in ordered if e[2] in mine and e[0] not in mine]
    role = merge_by_subject(said(e, "object") for e in outgoing if e[1] == PRIMARY_ACTION)
    role += merge_by_predicate(said(e, "subject") for e in incoming
                               if not is_a(e[1], CAUSES) and not is_a(e[1], INDICATES) and not is_a(e[1], TREATS))
    brought_about = merge_by_predicate(said(e, "subject") for e in incoming if is_a(e[1], CAUSES))
    pointed_to = merge_by_predicate(said(e, "subject") for e in incoming if is_a(e[1], INDICATES))
    effects = merge_by_subject(said(e, "object") for e in outgoing if is_a(e[1], CAUSES))
    treatment = _treatment(kb, lexicon, iri, href_for) or \
        merge_by_predicate(said(e, "subject") for e in incoming if is_a(e[1], TREATS))
    return role + brought_about + pointed_to + effects + treatment


def _treatment(kb, lexicon: Lexicon, iri: str, href_for) -> list[Sentence]:
    """Return "<treatment> is given at <motor point> (source) ...; the point lies ..." per target."""
    targets: dict[str, dict] = {}
    rows = kb.store.query(internal_query("prose-treatment-targets"),
                          substitutions={ox.Variable("entity"): ox.NamedNode(iri)})
    for row in rows:
        if row["source"] is None or row["treatment"] is None or row["point"] is None:
            continue  # unsourced, or no technique or point to name: nothing to say
        target = targets.setdefault(row["target"].value, {"row": row, "references": []})
        reference = Reference(lexicon.citation(row["source"].value), _value(row["section"]),
                              href_for(row["source"].value))
        if reference not in target["references"]:
            target["references"].append(reference)
    sentences = []
    for name in sorted(targets):
        row, references = targets[name]["row"], tuple(targets[name]["references"])
        point = replace(term_phrase(lexicon, row["point"].value, href_for, role="object"), citations=references,
                        claim=(name, LBP + "atMotorPoint", row["point"].value))
        treatment = term_phrase(lexicon, row["treatment"].value, href_for, role="object")
        tail = ""
        if row["condition"] is not None:
            tail += f" for {lexicon.label(row['condition'].value)}"
        if row["priority"] is not None:
            tail += f", as treatment priority {row['priority'].value}"
        location = _value(row["location"])
        if location:
            tail += f"; the point lies {location[:1].lower() + location[1:].rstrip('.')}"
        predicate = Predicate("is given at the", "are given at the", (point,))
        sentences.append(Sentence((treatment,), (predicate,), tail=tail))
    return sentences
