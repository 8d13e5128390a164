"""Evaluate a SPARQL 1.1 Update against one extension graph, in a scratch store, off the network.

The update never sees the service's store. The target graph's triples are copied into a fresh
in-memory Oxigraph store twice, as its default graph and as the named graph ``<target>``, so an
update may write either ``INSERT DATA { ... }`` or ``INSERT DATA { GRAPH <target> { ... } }``; the
result is the target's triples minus everything either copy lost plus everything either copy
gained. WHERE clauses therefore read the target graph only.

Before evaluation the update's text is scanned (the same tokenizer as the query guard): LOAD and
SERVICE are refused, since both reach the network, and a graph named after GRAPH, WITH, USING,
INTO or TO other than the target is refused with the graph's name. After evaluation any other
graph that gained triples (``GRAPH ?g`` in a template) is refused the same way.
"""
from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import Graph

from service.executor import QuerySyntaxError
# the query guard's tokenizer: strings, comments and IRIs are told apart the same way
from service.query_guard import _iri, _tokens

#: keywords followed by the graph they name (after optional SILENT / NAMED / GRAPH)
GRAPH_NAMING_KEYWORDS = frozenset({"GRAPH", "WITH", "USING", "INTO", "TO", "ADD", "MOVE", "COPY"})
_SKIPPED_BEFORE_GRAPH = frozenset({"SILENT", "NAMED", "GRAPH"})
NETWORK_KEYWORDS = {"LOAD": "LOAD fetches a document from the network",
                    "SERVICE": "SERVICE calls another endpoint over the network"}


class UpdateRefused(ValueError):
    """The update asks for something writes never do (network access)."""


class ForeignGraphError(UpdateRefused):
    """The update names or writes a graph other than its target."""

    def __init__(self, graph: str, target: str):
        super().__init__(f"this update may only change its target graph <{target}>; it names <{graph}>")
        self.graph = graph


class UpdateSyntaxError(ValueError):
    """The update does not parse; ``line`` and ``column`` locate the error when known."""

    def __init__(self, message: str):
        located = QuerySyntaxError(message)
        super().__init__(message)
        self.line, self.column = located.line, located.column


@dataclass(frozen=True)
class UpdateOutcome:
    """The target graph after the update, and how many triples it gained and lost."""

    graph: Graph
    added: int
    removed: int


def graphs_named(update: str) -> list[str]:
    """Return the graph IRIs the update's text names (after GRAPH, WITH, USING, INTO, TO ...).

    Raises UpdateRefused for LOAD and SERVICE.
    """
    tokens = _tokens(update)
    prefixes: dict[str, str] = {}
    base = None
    named: list[str] = []
    for index, (kind, text) in enumerate(tokens):
        if kind != "name":
            continue
        word = text.upper()
        if word in NETWORK_KEYWORDS:
            raise UpdateRefused(f"{word} is not allowed: {NETWORK_KEYWORDS[word]}, and writes never "
                                "touch the network; send the triples themselves (INSERT DATA, or PUT "
                                "to /graph-store)")
        following = tokens[index + 1:index + 4]
        if word == "PREFIX" and len(following) >= 2 and following[0][1].endswith(":") \
                and following[1][0] == "iri":
            prefixes[following[0][1][:-1]] = following[1][1][1:-1]
        elif word == "BASE" and following and following[0][0] == "iri":
            base = following[0][1][1:-1]
        elif word in GRAPH_NAMING_KEYWORDS:
            rest = list(following)
            while rest and rest[0][0] == "name" and rest[0][1].upper() in _SKIPPED_BEFORE_GRAPH:
                rest.pop(0)
            if rest:
                iri = _iri(rest[0], prefixes, base)
                if iri is not None:
                    named.append(iri)
    return named


def apply_update(current: Graph, update: str, target: str) -> UpdateOutcome:
    """Apply a SPARQL 1.1 Update to the target graph's triples and return the new graph.

    Raises UpdateRefused (network), ForeignGraphError (another graph) or UpdateSyntaxError.
    """
    for graph in graphs_named(update):
        if graph != target:
            raise ForeignGraphError(graph, target)
    before = {quad.triple for quad in ox.parse(current.serialize(format="nt", encoding="utf-8"),
                                               ox.RdfFormat.N_TRIPLES)}
    target_node = ox.NamedNode(target)
    scratch = ox.Store()
    scratch.extend([ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in before])
    scratch.extend([ox.Quad(t.subject, t.predicate, t.object, target_node) for t in before])
    try:
        scratch.update(update)
    except SyntaxError as err:
        raise UpdateSyntaxError(str(err)) from None
    in_default, in_named = set(), set()
    for quad in scratch:
        if quad.graph_name == ox.DefaultGraph():
            in_default.add(quad.triple)
        elif quad.graph_name == target_node:
            in_named.add(quad.triple)
        else:
            raise ForeignGraphError(quad.graph_name.value, target)
    gained = (in_default - before) | (in_named - before)
    lost = (before - in_default) | (before - in_named)
    after = (before - lost) | gained
    result = Graph()
    if after:
        result.parse(data=ox.serialize(list(after), format=ox.RdfFormat.N_TRIPLES).decode("utf-8"), format="nt")
    return UpdateOutcome(result, added=len(after - before), removed=len(before - after))
