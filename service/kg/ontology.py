"""Load the bundled ontology: the header, the modules it imports and any extension modules.

Imports are resolved through ``ontology/catalog-v001.xml`` (the file Protégé reads too), so
loading never touches the network; an import the catalogue does not map is reported, not fetched.

Two ways in: ``load_modules_into`` parses the files with Oxigraph straight into a store's named
graphs (the service's start-up path: fast at any size, no rdflib); ``load_core_modules`` and
``load_extension_modules`` parse them with rdflib (the gate, the CLI and writes, which need
rdflib graphs). A module's rdflib ``graph`` is parsed from its file on first use.
"""
from __future__ import annotations

import hashlib
import logging
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterable

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF

from service.paths import CATALOG_FILE, ONTOLOGY_HEADER, QUERIES_DIR
from service.kg.vocabulary import prefixes
from service.kg.rdf_files import RdfSyntaxError, _sniff_parser, parse_rdf_file

log = logging.getLogger(__name__)

_CATALOG_NS = "{urn:oasis:names:tc:entity:xmlns:xml:catalog}"


class OntologyLoadError(Exception):
    """The ontology or one of its modules could not be loaded."""


class Module:
    """One loaded ontology file: its IRI, where it came from, its version and its triples.

    ``triple_count`` is set when it was loaded into a store. ``graph`` is an rdflib Graph,
    parsed from the file on first use unless one was given.
    """

    def __init__(self, iri: str, path: Path, graph: Graph | None = None, version: str | None = None,
                 is_extension: bool = False, triple_count: int | None = None):
        self.iri = iri
        self.path = Path(path)
        self.version = version
        self.is_extension = is_extension
        self.triple_count = triple_count
        self._graph = graph

    @property
    def graph(self) -> Graph:
        """The module's triples as an rdflib Graph (parsed from the file the first time)."""
        if self._graph is None:
            self._graph = parse_rdf_file(self.path)
        return self._graph

    def read_graph(self) -> Graph:
        """Return the module's rdflib Graph: the one already parsed, else a fresh parse (not kept)."""
        return self._graph if self._graph is not None else parse_rdf_file(self.path)

    def as_record(self) -> dict:
        """Describe the module (not its triples) as JSON-ready values; ``from_record`` reads it back."""
        return {"iri": self.iri, "path": str(self.path.resolve()), "version": self.version,
                "is_extension": self.is_extension, "triple_count": self.triple_count}

    @classmethod
    def from_record(cls, record: dict) -> "Module":
        """Return the module an ``as_record`` description describes (its graph parsed on first use)."""
        return cls(iri=record["iri"], path=Path(record["path"]), version=record["version"],
                   is_extension=record["is_extension"], triple_count=record["triple_count"])

    def __repr__(self) -> str:
        return f"Module({self.iri!r}, {self.path.name!r}, version={self.version!r}, extension={self.is_extension})"


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


_FORMAT_FOR_PARSER = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "xml": ox.RdfFormat.RDF_XML}
_RDF_TYPE = ox.NamedNode(str(RDF.type))
_OWL_ONTOLOGY = ox.NamedNode(str(OWL.Ontology))
MODULE_HEADER_QUERY = QUERIES_DIR / "internal" / "module-header.rq"


def file_digest(path: Path) -> str:
    """Return the SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _syntax(path: Path) -> str:
    """Return the rdflib parser name for a file (suffix, or a look inside a .owl file)."""
    with open(path, "rb") as handle:
        head = handle.read(4096).decode("utf-8", errors="replace")
    try:
        return _sniff_parser(head, path.suffix.lower())
    except RdfSyntaxError as err:
        raise RdfSyntaxError(err.message, source=str(path)) from None


def _first_ontology_iri(path: Path, rdf_format: ox.RdfFormat, base: str) -> str | None:
    """Return the first owl:Ontology IRI in the file, reading no further than it (a header comes first)."""
    for triple in ox.parse(path=path, format=rdf_format, base_iri=base):
        if triple.predicate == _RDF_TYPE and triple.object == _OWL_ONTOLOGY \
                and isinstance(triple.subject, ox.NamedNode):
            return triple.subject.value
    return None


def _module_header(store: ox.Store, iri: str) -> tuple[str | None, list[str]]:
    """Return the version and the imports the module graph ``iri`` declares for itself."""
    rows = store.query(MODULE_HEADER_QUERY.read_text(encoding="utf-8"), default_graph=[ox.NamedNode(iri)],
                       substitutions={ox.Variable("ontology"): ox.NamedNode(iri)})
    infos, version_iris, imports = [], [], []
    for row in rows:
        if row["versionInfo"] is not None:
            infos.append(row["versionInfo"].value)
        if row["versionIRI"] is not None:
            version_iris.append(row["versionIRI"].value)
        if row["import"] is not None:
            imports.append(row["import"].value)
    versions = sorted(infos) or sorted(version_iris)
    return (versions[0] if versions else None), sorted(set(imports))


def _load_into(store: ox.Store, path: Path, is_extension: bool) -> tuple[Module, list[str]]:
    """Load one file into the store's graph named by its ontology IRI; return it and its imports.

    Oxigraph parses Turtle, N-Triples and RDF/XML; rdflib the rest (JSON-LD) and any file Oxigraph
    rejects, so a syntax error reads as before (RdfSyntaxError with the line) and a file only
    rdflib accepts still loads.
    """
    path = Path(path)
    base = path.resolve().as_uri()
    syntax = _syntax(path)
    rdf_format = _FORMAT_FOR_PARSER.get(syntax)
    graph: Graph | None = None
    iri, shared = None, False
    before = len(store)
    if rdf_format is not None and not (syntax == "xml" and b"<!ENTITY" in path.read_bytes()):
        try:
            iri = _first_ontology_iri(path, rdf_format, base) or base
            shared = store.contains_named_graph(ox.NamedNode(iri))  # two files, one ontology IRI
            store.bulk_load(path=path, format=rdf_format, base_iri=base, to_graph=ox.NamedNode(iri))
        except (SyntaxError, ValueError) as err:
            log.debug("Oxigraph could not parse %s (%s); trying rdflib", path, err)
            if iri is not None and not shared:  # drop what was loaded before the error
                store.remove_graph(ox.NamedNode(iri))
            rdf_format = None
    if rdf_format is None:
        graph = parse_rdf_file(path)  # raises RdfSyntaxError with the line for bad input
        iri, _ = _ontology_iri_and_version(graph, path)
        store.bulk_load(graph.serialize(format="nt", encoding="utf-8"), ox.RdfFormat.N_TRIPLES,
                        to_graph=ox.NamedNode(iri), lenient=True)
    version, imports = _module_header(store, iri)
    module = Module(iri=iri, path=path, graph=graph, version=version, is_extension=is_extension,
                    triple_count=len(store) - before)
    return module, imports


def load_modules_into(store: ox.Store, extensions: Iterable[Path] = (), header: Path = ONTOLOGY_HEADER,
                      catalog_file: Path = CATALOG_FILE) -> list[Module]:
    """Load the header, the modules it imports and the extension files into the store's named graphs.

    Each module goes to the graph named by its ontology IRI; imports are followed through the
    catalogue in its order. Returns the modules, header first, extensions last.
    """
    catalog = read_catalog(catalog_file)
    rank = {iri: position for position, iri in enumerate(catalog)}
    modules: list[Module] = []
    pending: list[Path] = [header]
    queued: set[str] = set()
    while pending:
        path = pending.pop(0)
        module, imports = _load_into(store, path, is_extension=False)
        modules.append(module)
        queued.add(module.iri)
        for imported in sorted(imports, key=lambda iri: (rank.get(iri, len(rank)), iri)):
            if imported in queued:
                continue
            target = catalog.get(imported)
            if target is None:
                raise OntologyLoadError(
                    f"{path.name} imports <{imported}>, which {catalog_file.name} does not map to a "
                    "local file; add a <uri name=... uri=...> entry (lbp-kg never fetches imports)."
                )
            queued.add(imported)
            pending.append(target)
    for path in extensions:
        modules.append(_load_into(store, Path(path), is_extension=True)[0])
    return modules


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
        merged += module.read_graph()
    for prefix, namespace in prefixes().items():
        merged.bind(prefix, namespace, override=True)
    return merged


def load_ontology(extensions: Iterable[Path] = ()) -> Graph:
    """Load the bundled ontology, plus the given extension files, as one graph."""
    modules = load_core_modules() + load_extension_modules(extensions)
    log.info("loaded %d ontology modules", len(modules))
    return merge(modules)
