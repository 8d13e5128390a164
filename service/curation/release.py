"""Build a release of lbp-kg the ODK way: merged, reasoned artefacts in the formats tools read.

``lbp-kg release`` writes, for one version:

- ``lbp-kg.owl``  the full release: every module merged under ONE ontology header carrying the
  version IRI (no owl:imports left), plus what HermiT infers; RDF/XML, which every OWL tool reads;
- ``lbp-kg.ttl``  the same graph in Turtle;
- ``lbp-kg-base.owl``  only lbp-kg's own axioms (statements about ``lbp:`` terms), with the
  declarations of the external terms they use so it stays OWL 2 DL; for ontologies that import us;
- ``lbp-kg.json``  OBO Graphs JSON and ``lbp-kg.obo`` OBO 1.4, derived from the full release.

The bundled extensions directory is not part of a release: a release is the ontology we publish.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF

from service.curation.reasoning import reason
from service.kg import obo_export
from service.kg.ontology import load_core_modules, merge
from service.kg.vocabulary import LBP

log = logging.getLogger(__name__)

ONTOLOGY_IRI = "https://w3id.org/lbp-kg/ontology"
VERSION_PATTERN = re.compile(r"\d+\.\d+\.\d+\Z")
#: The artefacts of a release, by file name, with the media type each is served as.
ARTEFACTS = {
    "lbp-kg.owl": "application/rdf+xml",
    "lbp-kg.ttl": "text/turtle",
    "lbp-kg-base.owl": "application/rdf+xml",
    "lbp-kg.json": "application/json",
    "lbp-kg.obo": "text/obo",
}


class ReleaseError(Exception):
    """The release cannot be built (a bad version, or an ontology HermiT rejects)."""


@dataclass
class Release:
    version: str
    directory: Path
    files: list[Path]
    inferred_triples: int


def version_iri(version: str, artefact: str | None = None) -> str:
    """The IRI of a version (the full release) or of one of its artefacts."""
    return f"{ONTOLOGY_IRI}/{version}" + (f"/{artefact}" if artefact else "")


def check_version(version: str) -> str:
    if not VERSION_PATTERN.match(version):
        raise ReleaseError(f"version {version!r} is not of the form X.Y.Z (semantic versioning)")
    return version


def _single_header(graph: Graph, header: Graph, ontology: str, version: str, version_iri_: str) -> Graph:
    """Drop every module's ontology header and put one in its place, annotated like lbp.ttl's."""
    merged = Graph()
    for prefix, namespace in graph.namespaces():
        merged.bind(prefix, namespace, override=True)
    headers = set(graph.subjects(RDF.type, OWL.Ontology))
    for triple in graph:
        if triple[0] not in headers:
            merged.add(triple)
    subject = URIRef(ontology)
    merged.add((subject, RDF.type, OWL.Ontology))
    for predicate, value in header.predicate_objects(URIRef(ONTOLOGY_IRI)):
        if predicate not in (RDF.type, OWL.imports, OWL.versionIRI, OWL.versionInfo):
            merged.add((subject, predicate, value))
    merged.add((subject, OWL.versionIRI, URIRef(version_iri_)))
    merged.add((subject, OWL.versionInfo, Literal(version)))
    return merged


def _own_axioms(graph: Graph) -> Graph:
    """The statements about lbp: terms (with their blank-node structures) and declarations of what they use."""
    base = Graph()
    pending = [s for s in set(graph.subjects()) if isinstance(s, URIRef) and str(s).startswith(LBP)]
    pending += [axiom for axiom in graph.subjects(OWL.annotatedSource, None)
                if str(graph.value(axiom, OWL.annotatedSource)).startswith(LBP)]
    seen = set()
    while pending:
        subject = pending.pop()
        if subject in seen:
            continue
        seen.add(subject)
        for predicate, value in graph.predicate_objects(subject):
            base.add((subject, predicate, value))
            if isinstance(value, BNode):
                pending.append(value)
    return base


def _declare_used(target: Graph, source: Graph) -> Graph:
    """Add the source's declarations (rdf:type) of the external terms the target uses, so it stays DL."""
    used = {term for triple in target for term in triple
            if isinstance(term, URIRef) and not str(term).startswith(LBP)}
    for term in used:
        for kind in source.objects(term, RDF.type):
            target.add((term, RDF.type, kind))
    return target


def build_release(version: str, output: Path, *, run_reasoner: bool = True) -> Release:
    """Write the release artefacts of ``version`` to ``output`` and return what was written."""
    check_version(version)
    modules = load_core_modules()
    asserted = merge(modules)
    header = modules[0].graph
    inferred = Graph()
    if run_reasoner:
        result = reason(asserted)
        if not result.ok:
            raise ReleaseError(result.describe())
        inferred = result.inferred
    full = _single_header(asserted + inferred, header, ONTOLOGY_IRI, version, version_iri(version))
    for prefix, namespace in asserted.namespaces():
        full.bind(prefix, namespace, override=True)
    base_iri = f"{ONTOLOGY_IRI}/lbp-kg-base.owl"
    base = _declare_used(_single_header(_own_axioms(asserted), header, base_iri, version,
                                        version_iri(version, "lbp-kg-base.owl")), asserted)
    output.mkdir(parents=True, exist_ok=True)
    texts = {
        "lbp-kg.owl": full.serialize(format="xml"),
        "lbp-kg.ttl": full.serialize(format="turtle"),
        "lbp-kg-base.owl": base.serialize(format="xml"),
        "lbp-kg.json": obo_export.to_obographs(full, ONTOLOGY_IRI, version_iri(version), version),
        "lbp-kg.obo": obo_export.to_obo(full, "lbp-kg", version),
    }
    files = []
    for name, text in texts.items():
        path = output / name
        path.write_text(text, encoding="utf-8")
        files.append(path)
    log.info("release %s: %d files in %s (%d inferred triples)", version, len(files), output, len(inferred))
    return Release(version, output, files, len(inferred))


def released_versions(releases_dir: Path) -> list[str]:
    """The versions released into ``releases_dir`` (one sub-directory each, holding lbp-kg.owl)."""
    if not releases_dir.is_dir():
        return []
    return sorted(p.name for p in releases_dir.iterdir()
                  if VERSION_PATTERN.match(p.name) and (p / "lbp-kg.owl").is_file())
