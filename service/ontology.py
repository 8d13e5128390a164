"""Load the bundled ontology: the header, the modules it imports and any extension modules.

Imports are resolved through ``ontology/catalog-v001.xml`` (the file Protégé reads too), so
loading never touches the network; an import the catalogue does not map is reported, not fetched.
"""
from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF

from service.paths import CATALOG_FILE, ONTOLOGY_HEADER
from service.rdf_files import parse_rdf_file

log = logging.getLogger(__name__)

_CATALOG_NS = "{urn:oasis:names:tc:entity:xmlns:xml:catalog}"


class OntologyLoadError(Exception):
    """The ontology or one of its modules could not be loaded."""


@dataclass(frozen=True)
class Module:
    """One loaded ontology file: its IRI, where it came from, and its triples."""

    iri: str
    path: Path
    graph: Graph
    version: str | None
    is_extension: bool = False


def read_catalog(catalog_file: Path = CATALOG_FILE) -> dict[str, Path]:
    """Return the module IRI -> local file mapping declared in an XML catalogue."""
    root = ET.parse(catalog_file).getroot()  # our own file: no external entities to resolve
    return {
        el.attrib["name"]: (catalog_file.parent / el.attrib["uri"]).resolve()
        for el in root.iter(f"{_CATALOG_NS}uri")
    }


def _ontology_iri_and_version(graph: Graph, path: Path) -> tuple[str, str | None]:
    iris = list(graph.subjects(RDF.type, OWL.Ontology))
    if not iris:
        return path.resolve().as_uri(), None
    iri = iris[0]
    version = graph.value(iri, OWL.versionInfo) or graph.value(iri, OWL.versionIRI)
    return str(iri), (str(version) if version is not None else None)


def _load_module(path: Path, is_extension: bool) -> Module:
    graph = parse_rdf_file(path)
    iri, version = _ontology_iri_and_version(graph, path)
    return Module(iri=iri, path=path, graph=graph, version=version, is_extension=is_extension)


def load_core_modules(header: Path = ONTOLOGY_HEADER, catalog_file: Path = CATALOG_FILE) -> list[Module]:
    """Load the header and, transitively, every module it imports, via the catalogue."""
    catalog = read_catalog(catalog_file)
    modules: list[Module] = []
    seen: set[str] = set()
    pending: list[Path] = [header]
    while pending:
        path = pending.pop(0)
        module = _load_module(path, is_extension=False)
        if module.iri in seen:
            continue
        seen.add(module.iri)
        modules.append(module)
        for imported in module.graph.objects(URIRef(module.iri), OWL.imports):
            target = catalog.get(str(imported))
            if target is None:
                raise OntologyLoadError(
                    f"{path.name} imports <{imported}>, which {catalog_file.name} does not map to a "
                    "local file; add a <uri name=... uri=...> entry (lbp-kg never fetches imports)."
                )
            if str(imported) not in seen:
                pending.append(target)
    return modules


EXTENSION_SUFFIXES = (".ttl", ".owl", ".rdf", ".nt", ".jsonld", ".xml")


def extension_files(directory: Path) -> list[Path]:
    """List the RDF files in an extensions directory, in a stable order."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in EXTENSION_SUFFIXES)


def load_extension_modules(paths: Iterable[Path]) -> list[Module]:
    """Load researchers' extension files as modules of their own."""
    return [_load_module(Path(p), is_extension=True) for p in paths]


def merge(modules: Iterable[Module]) -> Graph:
    """Return one graph holding every module's triples."""
    merged = Graph()
    for module in modules:
        merged += module.graph
    for prefix, namespace in _PREFIXES.items():
        merged.bind(prefix, namespace, override=True)
    return merged


def load_ontology(extensions: Iterable[Path] = ()) -> Graph:
    """Load the bundled ontology, plus the given extension files, as one graph."""
    modules = load_core_modules() + load_extension_modules(extensions)
    log.info("loaded %d ontology modules", len(modules))
    return merge(modules)


LBP = "https://w3id.org/lbp-kg/id/"
OBO = "http://purl.obolibrary.org/obo/"

_PREFIXES = {
    "lbp": LBP,
    "obo": OBO,
    "owl": "http://www.w3.org/2002/07/owl#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "oboInOwl": "http://www.geneontology.org/formats/oboInOwl#",
    "sh": "http://www.w3.org/ns/shacl#",
}


def prefixes() -> dict[str, str]:
    """Return the prefixes lbp-kg uses for CURIEs, queries and serialisations."""
    return dict(_PREFIXES)
