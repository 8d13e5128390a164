"""Validate RDF against lbp-kg's SHACL shapes and describe the violations in plain words.

pySHACL changes process-wide rdflib settings while it runs, so every call goes through one
lock: validation is serialised within a process. Submitted data (POST /validate) is therefore
parsed and validated in sandboxed worker processes (``validation_pool``: off the network, memory
capped, killed at the time limit), never in the server's own threads.
"""
from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH
from rdflib.term import Node

from service.kg.vocabulary import compact_iri, prefixes
from service.paths import SHAPES_DIR
from service.kg.rdf_files import parse_rdf_file
from service.store.rdflib_solutions import hash_solutions_by_pairs

hash_solutions_by_pairs()  # pySHACL evaluates the shapes' SPARQL with rdflib (service/store/rdflib_solutions.py)

log = logging.getLogger(__name__)

_PYSHACL_LOCK = threading.Lock()

#: namespace of the shapes in ontology/shapes/, shown as lbpsh: in reports
SHAPES_NS = "https://w3id.org/lbp-kg/shapes/"

#: severity (local name of sh:resultSeverity) -> the word shown in text reports
SEVERITY_WORDS = {"Violation": "ERROR", "Warning": "WARNING", "Info": "INFO"}

# An IRI inside a message, without a trailing sentence punctuation mark.
_IRI_IN_TEXT = re.compile(r"https?://[^\s<>\"{}|\\^`]*[^\s<>\"{}|\\^`.,;:)]")
_PLACEHOLDER = re.compile(r"\{[?$](this|value|path)\}")


@dataclass(frozen=True)
class ValidationResult:
    """One shape violation: the node, the property, what is wrong, and which shape said so."""

    focus_node: Node
    path: Node | None
    message: str
    severity: str
    source_shape: Node | None
    value: Node | None
    focus_label: str = ""

    def as_dict(self, curie=None) -> dict:
        """Return the result as JSON-ready data, with IRIs shortened by ``curie`` if given."""
        show = curie or _node_text
        return {
            "focus_node": str(self.focus_node),
            "focus": show(self.focus_node),
            "focus_label": self.focus_label,
            "path": show(self.path) if self.path is not None else None,
            "value": show(self.value) if self.value is not None else None,
            "message": self.message,
            "severity": self.severity,
            "source_shape": show(self.source_shape) if self.source_shape is not None else None,
        }


@dataclass
class ValidationReport:
    """The outcome of validating one graph: whether it conforms, the results, pySHACL's report graph."""

    conforms: bool
    results: list[ValidationResult] = field(default_factory=list)
    graph: Graph = field(default_factory=Graph)

    def as_text(self) -> str:
        """Return one line per result, ``ERROR label (curie): message``, or a conformance line."""
        if self.conforms:
            return "The graph conforms to the lbp-kg shapes."
        lines = [_result_line(result) for result in self.results]
        lines.append(f"{len(self.results)} problem(s) found.")
        return "\n".join(lines)

    def as_dict(self) -> dict:
        """Return the report as JSON-ready data."""
        curie = CurieMaker()
        return {"conforms": self.conforms, "results": [r.as_dict(curie) for r in self.results]}


class CurieMaker:
    """Shorten IRIs to CURIEs with lbp-kg's prefixes (longest namespace wins)."""

    def __init__(self, namespaces: dict[str, str] | None = None):
        self._namespaces = namespaces or {**prefixes(), "lbpsh": SHAPES_NS}

    def __call__(self, node: Node | str) -> str:
        if isinstance(node, Literal):
            return _literal_text(node, self)
        if isinstance(node, BNode):
            return f"_:{node}"
        text = str(node)
        curie = compact_iri(text, self._namespaces)
        return curie if curie != text else f"<{text}>"

    def in_text(self, text: str) -> str:
        """Replace every full IRI inside a sentence by its CURIE."""
        return _IRI_IN_TEXT.sub(lambda match: self(URIRef(match.group(0))), text)


def _literal_text(literal: Literal, curie) -> str:
    if literal.language:
        return f'"{literal}"@{literal.language}'
    if literal.datatype is not None:
        return f'"{literal}"^^{curie(literal.datatype)}'
    return f'"{literal}"'


def _node_text(node: Node) -> str:
    return node.n3() if isinstance(node, (URIRef, Literal, BNode)) else str(node)


def _result_line(result: ValidationResult) -> str:
    word = SEVERITY_WORDS.get(result.severity, result.severity.upper())
    curie = CurieMaker()
    name = curie(result.focus_node)
    label = result.focus_label or name
    return f"{word} {label} ({name}): {result.message}"


def shape_files(directory: Path = SHAPES_DIR) -> list[Path]:
    """List the Turtle files holding the shapes, in a stable order."""
    return sorted(directory.glob("*.ttl"))


def load_shapes(directory: Path = SHAPES_DIR) -> Graph:
    """Load every shapes file in ``directory`` into one graph."""
    shapes = Graph()
    for path in shape_files(directory):
        shapes += parse_rdf_file(path)
    if len(shapes) == 0:
        raise FileNotFoundError(f"no SHACL shapes (*.ttl) found in {directory}")
    return shapes


def label_of(graph: Graph, node: Node) -> str:
    """Return the node's English label, any label, or its local name."""
    labels = list(graph.objects(node, RDFS.label))
    for label in labels:
        if isinstance(label, Literal) and label.language == "en":
            return str(label)
    if labels:
        return str(labels[0])
    if isinstance(node, URIRef):
        return re.split(r"[/#]", str(node))[-1]
    return "axiom annotation" if (node, RDF.type, URIRef("http://www.w3.org/2002/07/owl#Axiom")) in graph \
        else "blank node"


def _fill_message(template: str, focus: Node, path: Node | None, value: Node | None,
                  curie: CurieMaker) -> str:
    """Fill {$this}/{$value}/{?path} left by core constraints; shorten IRIs pySHACL filled in."""
    filled = {"this": focus, "path": path, "value": value}

    def replace(match: re.Match) -> str:
        node = filled[match.group(1)]
        return curie(node) if node is not None else "(none)"

    return curie.in_text(_PLACEHOLDER.sub(replace, template))


def _named_shape(shapes: Graph, shape: Node | None) -> Node | None:
    """Return the node shape that holds a blank property shape, so reports can name it."""
    if isinstance(shape, BNode):
        return shapes.value(None, SH.property, shape) or shape
    return shape


def _results_from_report(report_graph: Graph, data_graph: Graph, shapes: Graph) -> list[ValidationResult]:
    curie = CurieMaker()
    results = []
    for node in report_graph.subjects(RDF.type, SH.ValidationResult):
        focus = report_graph.value(node, SH.focusNode)
        path = report_graph.value(node, SH.resultPath)
        value = report_graph.value(node, SH.value)
        severity = report_graph.value(node, SH.resultSeverity)
        messages = sorted(str(m) for m in report_graph.objects(node, SH.resultMessage))
        template = messages[0] if messages else "violates a shape."
        results.append(ValidationResult(
            focus_node=focus,
            path=path,
            message=_fill_message(template, focus, path, value, curie),
            severity=str(severity).removeprefix(str(SH)) if severity is not None else "Violation",
            source_shape=_named_shape(shapes, report_graph.value(node, SH.sourceShape)),
            value=value,
            focus_label=label_of(data_graph, focus),
        ))
    results.sort(key=lambda r: (curie(r.focus_node), curie(r.path) if r.path is not None else "", r.message))
    return results


def validate_graph(data_graph: Graph, shapes_graph: Graph | None = None) -> ValidationReport:
    """Validate ``data_graph`` against the shapes (lbp-kg's own by default), without inference."""
    import pyshacl  # heavy import; only needed when validating

    shapes = shapes_graph if shapes_graph is not None else load_shapes()
    with _PYSHACL_LOCK:
        conforms, report_graph, _text = pyshacl.validate(
            data_graph,
            shacl_graph=shapes,
            inference="none",
            advanced=True,
            abort_on_first=False,
            allow_warnings=False,
        )
    results = _results_from_report(report_graph, data_graph, shapes)
    log.info("SHACL validation: conforms=%s, %d result(s)", conforms, len(results))
    return ValidationReport(conforms=bool(conforms), results=results, graph=report_graph)


def merge_graphs(graphs: Iterable[Graph]) -> Graph:
    """Return one graph with the triples of all the given graphs."""
    merged = Graph()
    for graph in graphs:
        merged += graph
    for prefix, namespace in prefixes().items():
        merged.bind(prefix, namespace, override=True)
    return merged


# --- submitted data, in a sandboxed worker (service.engine.sandbox) -------------------------------------

@dataclass(frozen=True)
class SubmittedData:
    """A body to validate with the ontology: its bytes, media type, and the report format wanted."""

    body: bytes
    media_type: str
    report_type: str = "application/json"


def load_ontology_for_validation(ontology_ntriples: bytes) -> tuple[Graph, Graph]:
    """Set up a validation worker: parse the ontology and the shapes once."""
    return Graph().parse(data=ontology_ntriples, format="nt"), load_shapes()


def validate_submitted(loaded: tuple[Graph, Graph], submitted: SubmittedData) -> dict:
    """Parse and validate one submission in a worker; return plain data for the parent.

    ``{"syntaxError": {...}}`` when the body does not parse; else ``{"report": ...}`` with the
    report as the JSON contract (``report_json``) or as Turtle text.
    """
    from service.kg.rdf_files import RdfSyntaxError, parse_rdf_bytes

    ontology, shapes = loaded
    try:
        graph = parse_rdf_bytes(submitted.body, submitted.media_type)
    except RdfSyntaxError as err:
        return {"syntaxError": err.as_dict()}
    report = validate_graph(ontology + graph, shapes)  # a new graph: the ontology is never modified
    if submitted.report_type == "text/turtle":
        return {"report": report.graph.serialize(format="turtle")}
    return {"report": {**report_json(report), "submittedTriples": len(graph)}}


def report_json(report: ValidationReport) -> dict:
    """Shape the report as the public contract: {conforms, results: [{focusNode, path, ...}]}."""
    results = []
    for item in report.as_dict()["results"]:
        results.append({
            "focusNode": item["focus_node"],
            "focusLabel": item["focus_label"],
            "path": item["path"],
            "value": item["value"],
            "message": item["message"],
            "severity": item["severity"],
            "sourceShape": item["source_shape"],
        })
    return {"conforms": report.conforms, "results": results}
