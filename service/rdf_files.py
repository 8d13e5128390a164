"""Parse RDF from files and request bodies safely, with errors that say where the problem is.

Safety: JSON-LD documents may only use inline contexts or lbp-kg's own context (which is read
from disk); any other remote ``@context`` is refused rather than fetched. RDF/XML is parsed with
external entities and DTD fetching disabled.
"""
from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from xml.sax import SAXParseException

from rdflib import Graph
from rdflib.exceptions import ParserError
from rdflib.plugins.parsers.notation3 import BadSyntax

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


def _own_context() -> dict:
    return json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))["@context"]


def _inline_contexts(node):
    """Replace references to lbp-kg's context with its content; refuse any other remote context."""
    if isinstance(node, list):
        return [_inline_contexts(item) for item in node]
    if not isinstance(node, dict):
        return node
    result = {}
    for key, value in node.items():
        if key == "@context":
            result[key] = _resolve_context(value)
        else:
            result[key] = _inline_contexts(value)
    return result


def _resolve_context(value):
    if isinstance(value, list):
        return [_resolve_context(item) for item in value]
    if isinstance(value, str):
        if value in OWN_CONTEXT_IRIS or value.endswith("/context.jsonld") and "lbp-kg" in value:
            return _own_context()
        raise RdfSyntaxError(
            f"remote JSON-LD context {value!r} is not fetched; inline the context, or use "
            f"{OWN_CONTEXT_IRIS[0]!r}"
        )
    if isinstance(value, dict):
        return _inline_contexts(value)
    return value


def _parse_json_ld(text: str, source: str) -> Graph:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise RdfSyntaxError(err.msg, source=source, line=err.lineno, column=err.colno) from None
    document = _inline_contexts(document)
    graph = Graph()
    try:
        with warnings.catch_warnings():
            # rdflib 7.6's JSON-LD parser warns that it uses the deprecated ConjunctiveGraph
            # internally; that is rdflib's business, not a problem with the input
            warnings.filterwarnings("ignore", message=".*ConjunctiveGraph.*", category=DeprecationWarning)
            graph.parse(data=json.dumps(document), format="json-ld")
    except RdfSyntaxError:
        raise
    except Exception as err:  # rdflib's JSON-LD parser raises assorted types on bad documents
        raise RdfSyntaxError(f"invalid JSON-LD: {err}", source=source) from None
    return graph


_NT_INVALID = re.compile(r"Invalid line: (.*)", re.S)


def parse_rdf_text(text: str, parser: str, source: str = "input", base: str | None = None) -> Graph:
    """Parse RDF text with the named rdflib parser; raise RdfSyntaxError on bad input."""
    if parser == "json-ld":
        return _parse_json_ld(text, source)
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
