"""Serialise query results to bytes: SPARQL results JSON, XML, CSV and TSV, and RDF graphs.

Pure functions over pyoxigraph results. They run inside the query worker processes, where rows
are produced, so the row cap is applied here. Solutions are written by hand (pyoxigraph cannot
serialise a truncated solution sequence) and match pyoxigraph's own output byte for byte;
graphs are written by pyoxigraph.

A truncated result is marked in ``SerializedResult.truncated`` (the HTTP layer turns that into
the ``X-LBP-Truncated: true`` header) and, in SPARQL results JSON, by ``"truncated": true`` inside
``head``, where SPARQL JSON parsers ignore unknown members.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from itertools import islice
from typing import Callable, Iterable, Sequence
from xml.sax.saxutils import escape

import pyoxigraph as ox

XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
RESULTS_NS = "http://www.w3.org/2005/sparql-results#"

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


class ResultNotAcceptable(ValueError):
    """The query produced a kind of result the client accepts no media type for."""

    def __init__(self, kind: str):
        self.kind = kind
        super().__init__(f"no acceptable media type for {kind} results")


@dataclass(frozen=True)
class SerializedResult:
    """A query result written out: the bytes, their media type, and whether rows were cut off."""

    body: bytes
    media_type: str
    truncated: bool = False
    kind: str = "solutions"  # "solutions" (SELECT), "boolean" (ASK) or "graph" (CONSTRUCT/DESCRIBE)


# --- terms ------------------------------------------------------------------------------------

def _json_term(term: Term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
            if term.direction is not None:
                out["its:dir"] = str(term.direction)
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    return {"type": "triple", "value": {"subject": _json_term(term.subject),
                                        "predicate": _json_term(term.predicate),
                                        "object": _json_term(term.object)}}


def _xml_text(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def _xml_term(term: Term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{_xml_text(term.value)}</uri>"
    if isinstance(term, ox.Literal):
        if term.language:
            attributes = f' xml:lang="{_xml_text(term.language)}"'
            if term.direction is not None:
                attributes += (f' its:dir="{term.direction}" xmlns:its="http://www.w3.org/2005/11/its"'
                               ' its:version="2.0"')
        elif term.datatype.value != XSD_STRING:
            attributes = f' datatype="{_xml_text(term.datatype.value)}"'
        else:
            attributes = ""
        return f"<literal{attributes}>{_xml_text(term.value)}</literal>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{_xml_text(term.value)}</bnode>"
    return (f"<triple><subject>{_xml_term(term.subject)}</subject>"
            f"<predicate>{_xml_term(term.predicate)}</predicate>"
            f"<object>{_xml_term(term.object)}</object></triple>")


def _csv_value(term: Term) -> str:
    if isinstance(term, (ox.NamedNode, ox.Literal)):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return " ".join(_csv_value(part) for part in (term.subject, term.predicate, term.object))


def _csv_field(term: Term | None) -> str:
    if term is None:
        return ""
    value = _csv_value(term)
    if any(c in value for c in '",\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


# Turtle's abbreviated forms: a literal whose lexical form matches is written bare in TSV
_TURTLE_BARE = {
    XSD + "integer": re.compile(r"[+-]?[0-9]+\Z"),
    XSD + "decimal": re.compile(r"[+-]?[0-9]*\.[0-9]+\Z"),
    XSD + "double": re.compile(r"[+-]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)[eE][+-]?[0-9]+\Z"),
    XSD + "boolean": re.compile(r"(true|false)\Z"),
}


def _tsv_field(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.Literal):
        bare = _TURTLE_BARE.get(term.datatype.value)
        if bare is not None and bare.match(term.value):
            return term.value
        return str(term)
    if isinstance(term, ox.Triple):
        return f"<<( {_tsv_field(term.subject)} {_tsv_field(term.predicate)} {_tsv_field(term.object)} )>>"
    return str(term)


# --- SELECT -----------------------------------------------------------------------------------

def _solutions_json(variables: Sequence[str], rows: list[tuple], truncated: bool) -> bytes:
    head: dict = {"vars": list(variables)}
    if truncated:
        head["truncated"] = True
    bindings = [{name: _json_term(value) for name, value in zip(variables, row) if value is not None}
                for row in rows]
    return json.dumps({"head": head, "results": {"bindings": bindings}},
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _solutions_xml(variables: Sequence[str], rows: list[tuple], truncated: bool) -> bytes:
    parts = [f'<?xml version="1.0"?><sparql xmlns="{RESULTS_NS}"><head>']
    parts.extend(f'<variable name="{_xml_text(name)}"/>' for name in variables)
    parts.append("</head><results>")
    for row in rows:
        parts.append("<result>")
        parts.extend(f'<binding name="{_xml_text(name)}">{_xml_term(value)}</binding>'
                     for name, value in zip(variables, row) if value is not None)
        parts.append("</result>")
    parts.append("</results></sparql>")
    return "".join(parts).encode("utf-8")


def _solutions_csv(variables: Sequence[str], rows: list[tuple], truncated: bool) -> bytes:
    lines = [",".join(variables)]
    lines.extend(",".join(_csv_field(value) for value in row) for row in rows)
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _solutions_tsv(variables: Sequence[str], rows: list[tuple], truncated: bool) -> bytes:
    lines = ["\t".join(f"?{name}" for name in variables)]
    lines.extend("\t".join(_tsv_field(value) for value in row) for row in rows)
    return ("\n".join(lines) + "\n").encode("utf-8")


_SOLUTION_WRITERS: dict[str, Callable[[Sequence[str], list[tuple], bool], bytes]] = {
    "application/sparql-results+json": _solutions_json,
    "application/json": _solutions_json,
    "application/sparql-results+xml": _solutions_xml,
    "text/csv": _solutions_csv,
    "text/tab-separated-values": _solutions_tsv,
}

#: media types SELECT and ASK results can be written as, default first
SOLUTION_MEDIA_TYPES = tuple(_SOLUTION_WRITERS)


def serialize_solutions(solutions: ox.QuerySolutions, media_type: str, max_rows: int) -> SerializedResult:
    """Write at most ``max_rows`` SELECT solutions in the given SPARQL results format."""
    writer = _SOLUTION_WRITERS[media_type]
    variables = [variable.value for variable in solutions.variables]
    rows = [tuple(solution) for solution in islice(solutions, max_rows + 1)]
    truncated = len(rows) > max_rows
    if truncated:
        del rows[max_rows:]
    return SerializedResult(writer(variables, rows, truncated), media_type, truncated, "solutions")


# --- ASK --------------------------------------------------------------------------------------

def serialize_boolean(value: bool, media_type: str) -> SerializedResult:
    """Write an ASK answer in the given SPARQL results format."""
    word = "true" if value else "false"
    if media_type in ("application/sparql-results+json", "application/json"):
        body = f'{{"head":{{}},"boolean":{word}}}'
    elif media_type == "application/sparql-results+xml":
        body = f'<?xml version="1.0"?><sparql xmlns="{RESULTS_NS}"><head></head><boolean>{word}</boolean></sparql>'
    elif media_type in ("text/csv", "text/tab-separated-values"):
        body = word
    else:
        raise KeyError(media_type)
    return SerializedResult(body.encode("utf-8"), media_type, False, "boolean")


# --- CONSTRUCT / DESCRIBE ---------------------------------------------------------------------

#: media types graphs can be written as, default first
GRAPH_MEDIA_TYPES = ("text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml")

_RDF_FORMATS = {media_type: ox.RdfFormat.from_media_type(media_type) for media_type in GRAPH_MEDIA_TYPES}


def serialize_triples(triples: Iterable[ox.Triple], media_type: str, max_rows: int,
                      prefixes: dict[str, str] | None = None) -> SerializedResult:
    """Write at most ``max_rows`` triples as Turtle, JSON-LD, N-Triples or RDF/XML."""
    rdf_format = _RDF_FORMATS[media_type]
    kept = list(islice(triples, max_rows + 1))
    truncated = len(kept) > max_rows
    if truncated:
        del kept[max_rows:]
    body = ox.serialize(kept, format=rdf_format, prefixes=prefixes or None)
    return SerializedResult(body, media_type, truncated, "graph")


# --- any query result -------------------------------------------------------------------------

def serialize_query_result(result, *, solutions_type: str | None, graph_type: str | None,
                           max_rows: int, prefixes: dict[str, str] | None = None) -> SerializedResult:
    """Write a query result in the media type chosen for its kind (None: not acceptable)."""
    if isinstance(result, ox.QuerySolutions):
        if solutions_type is None:
            raise ResultNotAcceptable("solutions")
        return serialize_solutions(result, solutions_type, max_rows)
    if isinstance(result, ox.QueryBoolean):
        if solutions_type is None:
            raise ResultNotAcceptable("boolean")
        return serialize_boolean(bool(result), solutions_type)
    if isinstance(result, ox.QueryTriples):
        if graph_type is None:
            raise ResultNotAcceptable("graph")
        return serialize_triples(result, graph_type, max_rows, prefixes)
    raise TypeError(f"not a pyoxigraph query result: {type(result).__name__}")


def write_result(result, solutions_type: str | None, graph_type: str | None, max_rows: int,
                 prefixes: dict[str, str] | None) -> SerializedResult:
    """Write any store's query result (pyoxigraph's shapes, or a list of triples) in the chosen type."""
    if isinstance(result, (ox.QuerySolutions, ox.QueryBoolean, ox.QueryTriples)):
        return serialize_query_result(result, solutions_type=solutions_type, graph_type=graph_type,
                                      max_rows=max_rows, prefixes=prefixes)
    if graph_type is None:
        raise ResultNotAcceptable("graph")
    return serialize_triples(result, graph_type, max_rows, prefixes)
