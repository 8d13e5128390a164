"""Check the ontology with the HermiT OWL reasoner (through owlready2) and collect what it infers.

The merged rdflib graph is written as N-Triples to a temporary directory without its
owl:imports (so nothing is fetched), loaded into a fresh owlready2 World (never the global
``default_world``), and classified by HermiT, which needs a Java runtime.
"""
from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from rdflib import BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS

log = logging.getLogger(__name__)

JAVA_INSTALL_HINT = "install a Java runtime, e.g. apt-get install default-jre-headless"

# owlready2 keeps module-level state (JAVA_EXE, its name-space stack) while it reasons.
_OWLREADY_LOCK = threading.Lock()


class JavaNotFoundError(RuntimeError):
    """HermiT cannot run because no ``java`` executable is on the PATH."""

    def __init__(self):
        super().__init__(f"The HermiT reasoner needs Java, but no 'java' command was found on the PATH: "
                         f"{JAVA_INSTALL_HINT}.")


class ReasonerError(RuntimeError):
    """HermiT failed for a reason other than an inconsistent ontology (e.g. a Java error)."""


@dataclass
class ReasoningResult:
    """What HermiT concluded: consistency, unsatisfiable classes, and the triples it inferred."""

    consistent: bool
    unsatisfiable_classes: list[str] = field(default_factory=list)
    inferred: Graph = field(default_factory=Graph)
    seconds: float = 0.0
    explanation: str | None = None

    @property
    def ok(self) -> bool:
        """True when the ontology is consistent and every class can have instances."""
        return self.consistent and not self.unsatisfiable_classes

    def describe(self) -> str:
        """Return a short report a researcher can act on."""
        if not self.consistent:
            text = "HermiT found the ontology INCONSISTENT (no interpretation satisfies all its axioms)."
            return text + (f"\n{self.explanation}" if self.explanation else "")
        if self.unsatisfiable_classes:
            names = "\n".join(f"  {iri}" for iri in self.unsatisfiable_classes)
            return ("HermiT found classes that can have no members (unsatisfiable, equivalent to "
                    f"owl:Nothing):\n{names}")
        return (f"HermiT found the ontology consistent with no unsatisfiable classes "
                f"({len(self.inferred)} inferred triples, {self.seconds:.1f} s).")


def require_java() -> str:
    """Return the path of the java executable, or raise JavaNotFoundError."""
    java = shutil.which("java")
    if java is None:
        raise JavaNotFoundError()
    return java


def without_imports(graph: Graph) -> Graph:
    """Return a copy of the graph with its owl:imports statements removed."""
    copy = Graph()
    for triple in graph:
        if triple[1] != OWL.imports:
            copy.add(triple)
    return copy


def reason(graph: Graph, infer_property_values: bool = True) -> ReasoningResult:
    """Run HermiT on the graph and return consistency, unsatisfiable classes and inferred triples."""
    java = require_java()
    import owlready2  # heavy import; only needed when reasoning

    with tempfile.TemporaryDirectory(prefix="lbp-kg-reason-") as tmp, _OWLREADY_LOCK:
        source = Path(tmp) / "ontology.nt"
        without_imports(graph).serialize(destination=source, format="nt", encoding="utf-8")
        owlready2.JAVA_EXE = java
        world = owlready2.World()
        try:
            world.get_ontology(source.as_uri()).load()
            started = time.perf_counter()
            try:
                owlready2.sync_reasoner_hermit(world, infer_property_values=infer_property_values, debug=0)
            except owlready2.OwlReadyInconsistentOntologyError as err:
                seconds = time.perf_counter() - started
                log.info("HermiT: inconsistent ontology (%.1f s)", seconds)
                return ReasoningResult(consistent=False, seconds=seconds,
                                       explanation=str(err).strip() or explain_inconsistency(graph))
            except owlready2.OwlReadyJavaError as err:
                raise ReasonerError(f"HermiT failed: {err}") from None
            seconds = time.perf_counter() - started
            unsatisfiable = sorted({cls.iri for cls in world.inconsistent_classes()} - {str(OWL.Nothing)})
            inferred = _inferred_triples(world, Path(tmp) / "inferred.nt", graph)
        finally:
            world.close()
    log.info("HermiT: consistent, %d unsatisfiable classes, %d inferred triples (%.1f s)",
             len(unsatisfiable), len(inferred), seconds)
    return ReasoningResult(consistent=True, unsatisfiable_classes=unsatisfiable, inferred=inferred,
                           seconds=seconds)


def _inferred_triples(world, path: Path, asserted: Graph) -> Graph:
    """Return the triples owlready2 put in its inference ontology that were not asserted."""
    from owlready2.reasoning import _INFERRENCES_ONTOLOGY

    inferences = world.get_ontology(_INFERRENCES_ONTOLOGY)
    inferences.save(file=str(path), format="ntriples")
    parsed = Graph()
    parsed.parse(path, format="nt")
    inferred = Graph()
    for triple in parsed:
        if triple[1] == RDF.type and triple[2] == OWL.Ontology:
            continue
        if triple not in asserted:
            inferred.add(triple)
    return inferred


def inferred_graph(asserted: Graph, result: ReasoningResult) -> Graph:
    """Return the asserted triples plus HermiT's inferences, with the asserted graph's prefixes."""
    combined = Graph()
    for prefix, namespace in asserted.namespaces():
        combined.bind(prefix, namespace, override=True)
    combined += asserted
    combined += result.inferred
    return combined


def _disjoint_pairs(graph: Graph) -> set[frozenset]:
    pairs: set[frozenset] = set()
    for left, right in graph.subject_objects(OWL.disjointWith):
        pairs.add(frozenset((left, right)))
    for group in graph.subjects(RDF.type, OWL.AllDisjointClasses):
        members = graph.value(group, OWL.members)
        if members is not None:
            for left, right in combinations(Collection(graph, members), 2):
                pairs.add(frozenset((left, right)))
    return pairs


def explain_inconsistency(graph: Graph) -> str:
    """Name individuals asserted in two disjoint classes, the most common cause of inconsistency."""
    pairs = _disjoint_pairs(graph)
    clashes = []
    for individual in sorted(set(graph.subjects(RDF.type, None)) - set(graph.subjects(RDF.type, OWL.Class))):
        if isinstance(individual, BNode):
            continue
        classes = {cls for asserted in graph.objects(individual, RDF.type) if isinstance(asserted, URIRef)
                   for cls in graph.transitive_objects(asserted, RDFS.subClassOf)}
        for pair in pairs:
            if pair <= classes:
                first, second = sorted(pair)
                clashes.append(f"  {graph.qname(individual)} is a {graph.qname(first)} and a "
                               f"{graph.qname(second)}, which are disjoint classes")
    if not clashes:
        return ("HermiT gives no explanation, and no individual is typed with two disjoint classes; "
                "look for a functional property with two values, or a domain/range that forces a "
                "disjoint type (open the ontology in Protégé and use 'Explain inconsistency').")
    return "Likely cause(s):\n" + "\n".join(clashes)
