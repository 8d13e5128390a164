"""Compare two versions of an ontology: which terms were added, removed or changed, which triples moved.

Each side is one RDF file or a directory of them (read recursively; ``catalog-v001.xml`` and
other non-RDF XML files are left out). Blank nodes are compared by structure, so an axiom
annotation that did not change is not reported; one that did is shown as the claim it annotates.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.namespace import OWL, RDF, RDFS

from service.kg.vocabulary import OBO
from service.kg.rdf_files import parse_rdf_file
from service.curation.validation import CurieMaker

RDF_SUFFIXES = (".ttl", ".owl", ".rdf", ".nt", ".jsonld", ".xml")
DEFINITION = URIRef(OBO + "IAO_0000115")
#: what a changed term's entry compares, by name
TERM_FIELDS = {"label": RDFS.label, "definition": DEFINITION, "types": RDF.type}


def rdf_files(path: Path) -> list[Path]:
    """Return the RDF files a side consists of: the file itself, or those under the directory."""
    path = Path(path)
    if path.is_file():
        return [path]
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in RDF_SUFFIXES)
    return [p for p in files if p.suffix.lower() != ".xml" or "rdf:RDF" in p.read_text(encoding="utf-8")[:4000]]


def load_side(path: Path) -> Graph:
    """Load one side of the comparison into one graph (FileNotFoundError if there is nothing to read)."""
    files = rdf_files(path)
    if not files:
        raise FileNotFoundError(f"{path}: no RDF files (.ttl, .owl, .rdf, .nt, .jsonld) found")
    graph = Graph()
    for file in files:
        graph += parse_rdf_file(file)
    return graph


@dataclass
class TermChange:
    """One term present in both versions whose label, definition or types differ."""

    term: str
    label: str
    changes: dict[str, dict[str, list[str]]] = field(default_factory=dict)


@dataclass
class OntologyDiff:
    """The differences between an old and a new version, shown with CURIEs and labels."""

    added_terms: list[dict] = field(default_factory=list)
    removed_terms: list[dict] = field(default_factory=list)
    changed_terms: list[TermChange] = field(default_factory=list)
    added_triples: list[str] = field(default_factory=list)
    removed_triples: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.added_terms or self.removed_terms or self.changed_terms
                    or self.added_triples or self.removed_triples)

    def as_dict(self) -> dict:
        """Return the differences as JSON-ready data."""
        return {
            "added_terms": self.added_terms, "removed_terms": self.removed_terms,
            "changed_terms": [change.__dict__ for change in self.changed_terms],
            "added_triples": self.added_triples, "removed_triples": self.removed_triples,
        }

    def as_text(self) -> str:
        """Return the differences as readable sections."""
        if self.is_empty:
            return "No differences."
        out = []
        for title, terms in (("Added terms", self.added_terms), ("Removed terms", self.removed_terms)):
            if terms:
                out.append(f"{title} ({len(terms)}):")
                out += [f'  {t["term"]} "{t["label"]}" ({", ".join(t["types"]) or "no type"})' for t in terms]
        if self.changed_terms:
            out.append(f"Changed terms ({len(self.changed_terms)}):")
            for change in self.changed_terms:
                out.append(f'  {change.term} "{change.label}"')
                for name, values in change.changes.items():
                    out.append(f"    {name}: {' | '.join(values['old']) or '(none)'} -> "
                               f"{' | '.join(values['new']) or '(none)'}")
        for title, triples, sign in (("Added assertions", self.added_triples, "+"),
                                     ("Removed assertions", self.removed_triples, "-")):
            if triples:
                out.append(f"{title} ({len(triples)}):")
                out += [f"  {sign} {triple}" for triple in triples]
        return "\n".join(out)


def diff_ontologies(old: Graph, new: Graph) -> OntologyDiff:
    """Compare two graphs: terms added, removed and changed, and the triples added and removed."""
    curie = CurieMaker()
    old_canonical, new_canonical = to_canonical_graph(old), to_canonical_graph(new)
    old_terms, new_terms = _terms(old), _terms(new)
    result = OntologyDiff()
    result.added_terms = [_term_entry(new, t, curie) for t in sorted(new_terms - old_terms)]
    result.removed_terms = [_term_entry(old, t, curie) for t in sorted(old_terms - new_terms)]
    for term in sorted(old_terms & new_terms):
        changes = {}
        for name, predicate in TERM_FIELDS.items():
            before = sorted(_value(v, curie) for v in old.objects(term, predicate))
            after = sorted(_value(v, curie) for v in new.objects(term, predicate))
            if before != after:
                changes[name] = {"old": before, "new": after}
        if changes:
            result.changed_terms.append(TermChange(curie(term), _label(new, term), changes))
    added, removed = new_canonical - old_canonical, old_canonical - new_canonical
    result.added_triples = sorted(_triple_text(t, new_canonical, new, curie) for t in added)
    result.removed_triples = sorted(_triple_text(t, old_canonical, old, curie) for t in removed)
    return result


def _terms(graph: Graph) -> set[URIRef]:
    headers = set(graph.subjects(RDF.type, OWL.Ontology))
    return {s for s in set(graph.subjects(RDF.type, None)) | set(graph.subjects(RDFS.label, None))
            if isinstance(s, URIRef) and s not in headers}


def _label(graph: Graph, term) -> str:
    labels = sorted(str(label) for label in graph.objects(term, RDFS.label))
    english = sorted(str(label) for label in graph.objects(term, RDFS.label)
                     if isinstance(label, Literal) and label.language == "en")
    return (english or labels or [""])[0]


def _term_entry(graph: Graph, term, curie) -> dict:
    types = sorted(curie(t) for t in graph.objects(term, RDF.type) if t != OWL.NamedIndividual)
    return {"term": curie(term), "label": _label(graph, term), "types": types}


def _value(node, curie) -> str:
    if isinstance(node, Literal):
        return f'"{node}"' + (f"@{node.language}" if node.language else "")
    return curie(node)


def _node_text(node, canonical: Graph, labelled: Graph, curie) -> str:
    if isinstance(node, BNode):
        source = canonical.value(node, OWL.annotatedSource)
        if source is not None:
            claim = (source, canonical.value(node, OWL.annotatedProperty), canonical.value(node, OWL.annotatedTarget))
            return "[axiom on " + " ".join(_node_text(n, canonical, labelled, curie) for n in claim) + "]"
        return "[]"
    if isinstance(node, Literal):
        return _value(node, curie)
    label = _label(labelled, node)
    return f'{curie(node)} "{label}"' if label else curie(node)


def _triple_text(triple, canonical: Graph, labelled: Graph, curie) -> str:
    subject, predicate, obj = triple
    return " ".join((_node_text(subject, canonical, labelled, curie), curie(predicate),
                     _node_text(obj, canonical, labelled, curie)))
