"""JSON-LD as lbp-kg writes it: compacted with ontology/context.jsonld, referring to it by its IRI.

Answers name ``https://w3id.org/lbp-kg/context.jsonld`` as their ``@context`` (served at
/context.jsonld), never inline, so the same document reads the same wherever the service runs
(docs/json-ld.md). ``serialize_graph`` writes a graph in any of the graph media types.

The JSON-LD 1.1 document forms a client may ask for with the ``profile`` parameter of
``application/ld+json`` (JSON-LD 1.1, section 9.1): compacted (the default), expanded (no context
needed to read it), flattened, and flattened and compacted together. The expanded and flattened
forms are computed by pyld from the compacted document with the context given inline, so nothing
is ever fetched.
"""
from __future__ import annotations

import json
from functools import lru_cache

from pyld import jsonld
from rdflib import BNode, Graph
from rdflib.plugins.serializers.jsonld import Converter
from rdflib.plugins.shared.jsonld.context import Context

from service.kg.media_types import RDFLIB_FORMAT
from service.kg.rdf_files import OWN_CONTEXT_IRIS
from service.kg.vocabulary import LBP, compact_iri
from service.paths import CONTEXT_FILE

#: The IRI JSON-LD answers name as their "@context".
CONTEXT_IRI = OWN_CONTEXT_IRIS[0]
#: The JSON-LD 1.1 profile IRIs of the document forms (JSON-LD 1.1, section 9.1 and appendix).
JSONLD_NS = "http://www.w3.org/ns/json-ld#"
EXPANDED, COMPACTED, FLATTENED = (JSONLD_NS + form for form in ("expanded", "compacted", "flattened"))
PROFILES = (EXPANDED, COMPACTED, FLATTENED)


@lru_cache(maxsize=1)
def context_bytes() -> bytes:
    """Return ontology/context.jsonld as published (read once per process)."""
    return CONTEXT_FILE.read_bytes()


@lru_cache(maxsize=1)
def jsonld_context() -> dict:
    """Return the inner ``@context`` object of ontology/context.jsonld."""
    return json.loads(context_bytes())["@context"]


@lru_cache(maxsize=1)
def _processed_context() -> Context:
    return Context(jsonld_context())


class _Compactor(Converter):
    """rdflib's RDF-to-JSON-LD converter, keeping blank nodes that are values of @id-typed terms.

    rdflib 7.6 writes such a value as a bare "_:b0" string and drops the blank node's own triples
    (an owl:unionOf domain would vanish); declining to coerce makes it write the node in full.
    """

    def type_coerce(self, o, coerce_type):
        if isinstance(o, BNode):
            return None
        return super().type_coerce(o, coerce_type)


def compact_document(graph: Graph, first: str | None = None) -> dict:
    """Return ``graph`` as JSON-LD compacted with lbp-kg's context, ``first``'s node first.

    The document is always ``{"@context": CONTEXT_IRI, "@graph": [...]}``: named nodes sorted by
    id after ``first``, blank nodes (the claims' axioms) last.
    """
    converted = _Compactor(_processed_context(), use_native_types=False, use_rdf_type=False).convert(graph)
    if isinstance(converted, list):
        nodes = converted
    else:
        nodes = converted.pop("@graph", None)
        if nodes is None:
            nodes = [converted] if converted else []
    first_ids = {first, compact_iri(first, {"lbp": LBP})} if first else set()

    def order(node: dict) -> tuple:
        node_id = str(node.get("id", ""))  # rdflib leaves unshortened ids as URIRefs
        return (node_id not in first_ids, node_id.startswith("_:"), node_id)

    nodes = [_keys_in_order(node) for node in sorted(nodes, key=order)]
    return {"@context": CONTEXT_IRI, "@graph": nodes}


def compact_jsonld(graph: Graph, first: str | None = None) -> bytes:
    """Serialise ``graph`` as JSON-LD compacted with lbp-kg's context (``compact_document``)."""
    return _dumps(compact_document(graph, first))


def _dumps(document) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def document_in_form(document: dict, profiles: tuple[str, ...]) -> dict | list:
    """Return a compacted lbp-kg document in the form ``profiles`` ask for (JSON-LD 1.1 profile IRIs).

    flattened wins over expanded, which wins over compacted; "flattened and compacted" gives the
    flattened form compacted with the context, naming it by its IRI again. Without a known profile
    the document is returned as it is.
    """
    if FLATTENED not in profiles and EXPANDED not in profiles:
        return document
    inline = {**document, "@context": jsonld_context()}  # pyld then needs no document loader
    if FLATTENED in profiles:
        if COMPACTED not in profiles:
            return jsonld.flatten(inline)
        flattened = jsonld.flatten(inline, {"@context": jsonld_context()})
        return {"@context": CONTEXT_IRI, **{k: v for k, v in flattened.items() if k != "@context"}}
    return jsonld.expand(inline)


def reshaped(body: bytes, profiles: tuple[str, ...]) -> bytes:
    """Return a compacted lbp-kg JSON-LD answer (bytes) in the form ``profiles`` ask for."""
    if FLATTENED not in profiles and EXPANDED not in profiles:
        return body
    return _dumps(document_in_form(json.loads(body), profiles))


def applied_profiles(profiles: tuple[str, ...]) -> tuple[str, ...]:
    """Return the profiles ``document_in_form`` honours among those asked for, for the Content-Type."""
    if FLATTENED in profiles:
        return (FLATTENED, COMPACTED) if COMPACTED in profiles else (FLATTENED,)
    if EXPANDED in profiles:
        return (EXPANDED,)
    return (COMPACTED,) if COMPACTED in profiles else ()


def plain_json(document: dict) -> dict:
    """Return a compacted document as plain JSON: without its ``@context``, which a Link header gives."""
    return {key: value for key, value in document.items() if key != "@context"}


def _keys_in_order(node: dict) -> dict:
    """Put a node's id and type first, then its other keys alphabetically; sort multiple values.

    A term's several values are a set in JSON-LD, so sorting them only makes answers repeatable.
    """
    leading = [key for key in ("id", "type") if key in node]
    return {key: sorted(node[key], key=_sort_key) if isinstance(node[key], list) else node[key]
            for key in leading + sorted(key for key in node if key not in leading)}


def _sort_key(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def serialize_graph(graph: Graph, media_type: str, first: str | None = None,
                    profiles: tuple[str, ...] = ()) -> bytes:
    """Serialise a graph in one of GRAPH_TYPES, or as ``application/json`` (compacted JSON-LD
    without its ``@context``: see ``plain_json``); JSON-LD in the form ``profiles`` ask for."""
    if media_type == "application/ld+json":
        return _dumps(document_in_form(compact_document(graph, first), profiles))
    if media_type == "application/json":
        return _dumps(plain_json(compact_document(graph, first)))
    return graph.serialize(format=RDFLIB_FORMAT[media_type], encoding="utf-8")
