"""Parse RDF from files and request bodies safely, with errors that say where the problem is.

Every RDF document lbp-kg reads, whatever its format and wherever it comes from (a request body,
a curated write, a file given to ``lbp-kg check``), goes through ``parse_rdf_text``, which:

- never reaches the network: JSON-LD is processed by pyld with a document loader that refuses
  every URL but lbp-kg's own context (read from disk), so a remote ``@context`` or ``@import`` is
  refused, not fetched; RDF/XML entity declarations are refused; and the parser runs inside
  ``network_forbidden()``, so no parser can open a connection even by a route not foreseen here;
- refuses nesting deeper than ``MAX_NESTING`` before any parser runs (deep JSON or Turtle
  brackets exhaust a recursive parser's stack);
- refuses IRIs that RDF does not allow (``<http://a b>``), which some parsers let through.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from xml.sax import SAXParseException

from pyld import jsonld
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.exceptions import ParserError
from rdflib.plugins.parsers.notation3 import BadSyntax

from service.engine.network_lock import network_forbidden
from service.paths import CONTEXT_FILE

#: media type -> rdflib parser name
PARSER_FOR_MEDIA_TYPE = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/json": "json-ld",
    "application/rdf+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "application/n-triples": "nt",
    "text/plain": "nt",
}

_PARSER_FOR_SUFFIX = {
    ".ttl": "turtle",
    ".jsonld": "json-ld",
    ".json": "json-ld",
    ".rdf": "xml",
    ".xml": "xml",
    ".nt": "nt",
}

#: IRIs under which lbp-kg's own JSON-LD context is published; resolved from disk.
OWN_CONTEXT_IRIS = ("https://w3id.org/lbp-kg/context.jsonld",)


class RdfSyntaxError(ValueError):
    """RDF input that could not be parsed; ``line`` is 1-based where the parser reports it."""

    def __init__(self, message: str, *, source: str = "input", line: int | None = None,
                 column: int | None = None):
        self.message = message
        self.source = source
        self.line = line
        self.column = column
        where = source + (f", line {line}" if line else "") + (f", column {column}" if column else "")
        super().__init__(f"{where}: {message}")

    def as_dict(self) -> dict:
        return {"message": self.message, "line": self.line, "column": self.column}


def _sniff_parser(text: str, suffix: str) -> str:
    """Pick a parser from the file suffix; for .owl (Protégé saves several syntaxes) look inside."""
    if suffix in _PARSER_FOR_SUFFIX:
        return _PARSER_FOR_SUFFIX[suffix]
    head = text.lstrip()[:2000]
    if head.startswith("<?xml") or head.startswith("<rdf:RDF") or head.startswith("<!DOCTYPE"):
        if "<Ontology" in head and "owl:Ontology" not in head and "rdf:RDF" not in head:
            raise RdfSyntaxError(
                "this file is in OWL/XML syntax; save it from Protégé as RDF/XML or Turtle",
            )
        return "xml"
    if head.startswith("{") or head.startswith("["):
        return "json-ld"
    if head.startswith("Prefix(") or head.startswith("Ontology("):
        raise RdfSyntaxError("this file is in OWL functional syntax; save it as RDF/XML or Turtle")
    return "turtle"


XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
#: brackets or JSON arrays and objects nested deeper than this are refused before parsing
MAX_NESTING = 100

_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_JSON_BRACKET = re.compile(r"[\[\]{}]")
# what hides brackets in Turtle: long and short strings, IRIs and comments
_TURTLE_OPAQUE = re.compile(r""""{3}(?:[^"\\]|\\.|"(?!""))*"{3}|'{3}(?:[^'\\]|\\.|'(?!''))*'{3}"""
                            r"""|"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*'|<[^<>\s]*>|#[^\n\r]*""")
_TURTLE_BRACKET = re.compile(r"[\[\]()]")
#: characters an IRI may not hold (RFC 3987, and the IRIREF production of Turtle and SPARQL)
_NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def _deepest(brackets, text: str) -> int:
    depth = deepest = 0
    for match in brackets.finditer(text):
        depth += 1 if match.group() in "[{(" else -1
        deepest = max(deepest, depth)
    return deepest


def refuse_deep_nesting(text: str, parser: str, source: str) -> None:
    """Raise RdfSyntaxError when JSON or Turtle brackets nest deeper than MAX_NESTING."""
    if parser == "json-ld":
        depth = _deepest(_JSON_BRACKET, _JSON_STRING.sub("", text))
    elif parser == "turtle":
        depth = _deepest(_TURTLE_BRACKET, _TURTLE_OPAQUE.sub("", text))
    else:
        return
    if depth > MAX_NESTING:
        raise RdfSyntaxError(f"the document nests {depth} levels deep; at most {MAX_NESTING} are accepted",
                             source=source)


def _refuse_invalid_iris(graph: Graph, source: str) -> None:
    for triple in graph:
        for node in triple:
            if isinstance(node, URIRef) and _NOT_IN_IRI.search(node):
                raise RdfSyntaxError(f"<{node}> is not a valid IRI: an IRI cannot hold spaces, control "
                                     'characters or any of <>"{}|^`\\ (percent-encode them)', source=source)


def _own_context_document(url: str) -> dict:
    return {"contextUrl": None, "documentUrl": url,
            "document": json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))}


def _parse_json_ld(text: str, source: str, base: str | None) -> Graph:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise RdfSyntaxError(err.msg, source=source, line=err.lineno, column=err.colno) from None
    refused: list[str] = []

    def load_nothing(url: str, options=None) -> dict:
        """pyld's document loader: lbp-kg's own context from disk, and nothing else, ever."""
        if url in OWN_CONTEXT_IRIS:
            return _own_context_document(url)
        refused.append(url)
        raise jsonld.JsonLdError(f"{url} is not fetched", "jsonld.LoadDocumentError",
                                 code="loading document failed")

    options = {"documentLoader": load_nothing}
    if base:
        options["base"] = base
    try:
        dataset = jsonld.to_rdf(document, options)
    except jsonld.JsonLdError as err:
        if refused:
            raise RdfSyntaxError(
                f"the document asks for the remote JSON-LD document {refused[0]!r} (@context or @import): "
                f"remote documents are not fetched; inline it, or use {OWN_CONTEXT_IRIS[0]!r}", source=source) from None
        raise RdfSyntaxError(f"invalid JSON-LD: {_json_ld_reason(err)}", source=source) from None
    graph = Graph()  # triples of named graphs (@graph with an @id) are kept too, not dropped
    for triples in dataset.values():
        for triple in triples:
            graph.add((_term(triple["subject"]), _term(triple["predicate"]), _term(triple["object"])))
    return graph


def _term(node: dict):
    """Turn a term of pyld's RDF dataset into an rdflib term."""
    if node["type"] == "IRI":
        return URIRef(node["value"])
    if node["type"] == "blank node":
        return BNode(node["value"][2:])
    if node.get("language"):
        return Literal(node["value"], lang=node["language"])
    datatype = node.get("datatype")
    return Literal(node["value"], datatype=None if datatype == XSD_STRING else URIRef(datatype))


def _json_ld_reason(err: Exception) -> str:
    """The innermost cause pyld gives, which names what is wrong."""
    while getattr(err, "cause", None) is not None:
        err = err.cause
    return str(err.args[0] if getattr(err, "args", None) else err).splitlines()[0][:300]


_NT_INVALID = re.compile(r"Invalid line: (.*)", re.S)


def parse_rdf_text(text: str, parser: str, source: str = "input", base: str | None = None) -> Graph:
    """Parse RDF text with the named rdflib parser; raise RdfSyntaxError on bad input."""
    refuse_deep_nesting(text, parser, source)
    with network_forbidden():
        graph = _parse(text, parser, source, base)
    _refuse_invalid_iris(graph, source)
    return graph


def _parse(text: str, parser: str, source: str, base: str | None) -> Graph:
    if parser == "json-ld":
        return _parse_json_ld(text, source, base)
    if parser == "xml" and "<!ENTITY" in text:
        raise RdfSyntaxError("XML entity declarations are not accepted", source=source)
    graph = Graph()
    try:
        graph.parse(data=text, format=parser, publicID=base)
    except BadSyntax as err:
        raise RdfSyntaxError(err._why, source=source, line=err.lines + 1) from None
    except SAXParseException as err:
        raise RdfSyntaxError(err.getMessage(), source=source, line=err.getLineNumber(),
                             column=err.getColumnNumber()) from None
    except ParserError as err:
        message = str(err)
        line = None
        match = _NT_INVALID.search(message)
        if match:
            bad = match.group(1).strip()
            for number, candidate in enumerate(text.splitlines(), start=1):
                if candidate.strip() == bad:
                    line = number
                    break
        raise RdfSyntaxError(message, source=source, line=line) from None
    except Exception as err:  # any other parser failure is still the input's fault
        raise RdfSyntaxError(f"{type(err).__name__}: {err}", source=source) from None
    return graph


def parse_rdf_file(path: Path) -> Graph:
    """Parse an RDF file, choosing the syntax from its suffix (and, for .owl, its content)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise RdfSyntaxError(f"not UTF-8 text ({err.reason})", source=str(path)) from None
    try:
        parser = _sniff_parser(text, path.suffix.lower())
    except RdfSyntaxError as err:
        raise RdfSyntaxError(err.message, source=str(path)) from None
    return parse_rdf_text(text, parser, source=str(path), base=path.resolve().as_uri())


def parse_rdf_bytes(data: bytes, media_type: str, source: str = "request body") -> Graph:
    """Parse a request body of the given media type; raise RdfSyntaxError if it is not valid."""
    parser = PARSER_FOR_MEDIA_TYPE.get(media_type)
    if parser is None:
        raise ValueError(f"unsupported media type {media_type!r}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise RdfSyntaxError(f"body is not UTF-8 (byte {err.start})", source=source) from None
    return parse_rdf_text(text, parser, source=source)
