"""Evaluate a SPARQL 1.1 Update against one extension graph, in a scratch store, off the network.

/update evaluates it in a sandboxed worker process (service.engine.sandbox): off the network whatever
the text manages to ask for, memory capped, and killed at the time limit.

The update never sees the service's store. The target graph's triples are copied into a fresh
in-memory Oxigraph store twice, as its default graph and as the named graph ``<target>``, so an
update may write either ``INSERT DATA { ... }`` or ``INSERT DATA { GRAPH <target> { ... } }``; the
result is the target's triples minus everything either copy lost plus everything either copy
gained. WHERE clauses therefore read the target graph only.

Before evaluation the update's text is scanned (service.store.sparql_tokens, as the query guard does): LOAD and
SERVICE are refused, since both reach the network, and a graph named after GRAPH, WITH, USING,
INTO or TO other than the target is refused with the graph's name. After evaluation any other
graph that gained triples (``GRAPH ?g`` in a template) is refused the same way.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pyoxigraph as ox
from rdflib import Graph

from service.store.errors import QuerySyntaxError
from service.engine.query_guard import (QueryRefused, declarations, iri_of, refuse_deep_nesting,
                                 refuse_network_and_updates)
from service.store.sparql_tokens import tokenize

#: keywords followed by the graph they name (after optional SILENT / NAMED / GRAPH)
GRAPH_NAMING_KEYWORDS = frozenset({"GRAPH", "WITH", "USING", "INTO", "TO", "ADD", "MOVE", "COPY"})
_SKIPPED_BEFORE_GRAPH = frozenset({"SILENT", "NAMED", "GRAPH"})


class UpdateRefused(ValueError):
    """The update asks for something writes never do (network access)."""


class ForeignGraphError(UpdateRefused):
    """The update names or writes a graph other than its target."""

    def __init__(self, graph: str, target: str):
        super().__init__(f"this update may only change its target graph <{target}>; it names <{graph}>")
        self.graph = graph


class UpdateEvaluationError(ValueError):
    """The update parsed but evaluating it failed (a fault of the update)."""


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

    Raises UpdateRefused for LOAD and SERVICE, and for text nested too deeply to parse safely.
    """
    tokens = tokenize(update)
    try:
        refuse_deep_nesting(tokens)
        refuse_network_and_updates(tokens, allow_updates=True)
    except QueryRefused as err:
        raise UpdateRefused(f"{err}; writes never touch the network: send the triples themselves "
                            "(INSERT DATA, or PUT to /graph-store)") from None
    prefixes, base = declarations(tokens)
    named: list[str] = []
    for index, token in enumerate(tokens):
        if not token.is_word(*GRAPH_NAMING_KEYWORDS):
            continue
        rest = tokens[index + 1:index + 4]
        while rest and rest[0].is_word(*_SKIPPED_BEFORE_GRAPH):
            rest.pop(0)
        if rest:
            iri = iri_of(rest[0], prefixes, base)
            if iri is not None:
                named.append(iri)
    return named


def apply_update(current: Graph, update: str, target: str,
                 evaluate: Callable[[UpdateTask], tuple] | None = None) -> UpdateOutcome:
    """Apply a SPARQL 1.1 Update to the target graph's triples and return the new graph.

    The text is checked here; ``evaluate`` runs the update (``evaluate_update``, or the same in a
    sandboxed worker, as /update does). Raises UpdateRefused (network), ForeignGraphError
    (another graph), UpdateSyntaxError or UpdateEvaluationError.
    """
    for graph in graphs_named(update):
        if graph != target:
            raise ForeignGraphError(graph, target)
    before = current.serialize(format="nt", encoding="utf-8")
    kind, *outcome = (evaluate or (lambda task: evaluate_update(None, task)))(UpdateTask(before, update, target))
    if kind == "syntax":
        raise UpdateSyntaxError(outcome[0])
    if kind == "evaluation":
        raise UpdateEvaluationError(f"the update could not be evaluated: {outcome[0]}")
    if kind == "foreign":
        raise ForeignGraphError(outcome[0], target)
    after, added, removed = outcome
    result = Graph()
    if after:
        result.parse(data=after.decode("utf-8"), format="nt")
    return UpdateOutcome(result, added=added, removed=removed)


@dataclass(frozen=True)
class UpdateTask:
    """What evaluating an update needs: the target's triples as N-Triples, the update, the target."""

    before: bytes
    update: str
    target: str


def evaluate_update(_state, task: UpdateTask) -> tuple:
    """Evaluate an update on a scratch copy of the target graph (a sandbox worker's task).

    Returns ``("ok", after_ntriples, added, removed)``, or ``("syntax" | "evaluation" | "foreign",
    detail)``; plain tuples, so the answer crosses a process boundary.
    """
    before = {quad.triple for quad in ox.parse(task.before, ox.RdfFormat.N_TRIPLES)}
    target_node = ox.NamedNode(task.target)
    scratch = ox.Store()
    scratch.extend([ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in before])
    scratch.extend([ox.Quad(t.subject, t.predicate, t.object, target_node) for t in before])
    try:
        scratch.update(task.update)
    except SyntaxError as err:
        return ("syntax", str(err))
    except Exception as err:  # noqa: BLE001 - pyoxigraph's evaluation errors share no base class; the update's fault
        return ("evaluation", str(err))
    in_default, in_named = set(), set()
    for quad in scratch:
        if quad.graph_name == ox.DefaultGraph():
            in_default.add(quad.triple)
        elif quad.graph_name == target_node:
            in_named.add(quad.triple)
        else:
            return ("foreign", quad.graph_name.value)
    gained = (in_default - before) | (in_named - before)
    lost = (before - in_default) | (before - in_named)
    after = (before - lost) | gained
    text = ox.serialize(list(after), format=ox.RdfFormat.N_TRIPLES) if after else b""
    return ("ok", text, len(after - before), len(before - after))
