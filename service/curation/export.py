"""Write the graphs a SPARQL engine must hold to serve the remote backend (``lbp-kg export``).

The remote backend (service.store.remote) names every graph of a query itself, so the engine
must hold exactly what the embedded store holds: each module in a named graph called by its
ontology IRI and the inferred triples in ``INFERRED_GRAPH``. These are the same bytes every
backend is built from (``LoadedData``), so an engine loaded from an export answers as the embedded
store does (tests/test_cross_engine.py holds Oxigraph server and Virtuoso to that).

N-Quads and TriG keep the graph names and can be loaded as they are (``oxigraph load``,
Virtuoso's ``ld_dir``, Fuseki's ``tdb2.tdbloader``). Turtle has no graphs, so a Turtle export
holds one graph, named with ``graphs``, for loaders that take a graph name per file.
"""
from __future__ import annotations

from typing import BinaryIO, Iterator, Sequence

import pyoxigraph as ox

from service.kg.vocabulary import prefixes
from service.store import LoadedData

#: format name (the ``--format`` choice) -> what pyoxigraph writes
FORMATS = {"nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG, "turtle": ox.RdfFormat.TURTLE}


class ExportError(ValueError):
    """The export asked for cannot be written; the message says what to ask instead."""


def held_graphs(data: LoadedData) -> list[str]:
    """The graphs an engine must hold: every module, then the inferred graph (if reasoning is on)."""
    return [graph for graph, _ in data.graphs()]


def _chosen(data: LoadedData, fmt: str, graphs: Sequence[str]) -> list[str]:
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    held = held_graphs(data)
    unknown = [g for g in graphs if g not in held]
    if unknown:
        raise ExportError(f"no graph named {', '.join(unknown)}; the graphs are: {', '.join(held)}")
    chosen = list(dict.fromkeys(graphs)) or held
    if FORMATS[fmt] is ox.RdfFormat.TURTLE and len(chosen) != 1:
        raise ExportError("Turtle holds one graph without its name: name one with --graph "
                          f"(one of: {', '.join(held)}), or export every graph as nquads or trig")
    return chosen


def _quads(data: LoadedData, chosen: list[str]) -> Iterator[ox.Quad]:
    # Blank node labels are kept as written (scoped per module by graph_to_ntriples), so a blank
    # node the inferred graph shares with a module stays one node.
    for graph, ntriples in data.graphs():
        if graph in chosen:
            name = ox.NamedNode(graph)
            for triple in ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES):
                yield ox.Quad(triple.subject, triple.predicate, triple.object, name)


def write_export(data: LoadedData, fmt: str, output: BinaryIO, graphs: Sequence[str] = ()) -> int:
    """Write the graphs (all, or those named) to ``output`` in ``fmt``; return the number of triples.

    Raises ExportError for an unknown format or graph, or Turtle asked for more than one graph.
    """
    chosen = _chosen(data, fmt, graphs)
    if fmt == "nquads" and chosen == held_graphs(data):
        payload = data.nquads()  # the bytes the contract suite loads into Oxigraph server
        output.write(payload)
        return payload.count(b"\n")
    quads = list(_quads(data, chosen))
    if FORMATS[fmt] is ox.RdfFormat.TURTLE:
        ox.serialize((ox.Triple(q.subject, q.predicate, q.object) for q in quads), output,
                     ox.RdfFormat.TURTLE, prefixes=prefixes())
    else:
        ox.serialize(quads, output, FORMATS[fmt], prefixes=prefixes() if fmt == "trig" else None)
    return len(quads)
