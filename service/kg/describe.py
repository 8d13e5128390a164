"""Describe one entity: its triples both ways, the labels of what they mention, its claims' sources.

The description is gathered by the ``queries/internal/describe-*.rq`` queries (the entity is bound
by SPARQL substitution) into one rdflib graph; ``entity_page`` turns that graph into what the
HTML template shows.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD

from service.store.bindings import bind_with_values
from service.kg.vocabulary import LBP, OBO, compact_iri, prefixes
from service.paths import QUERIES_DIR
from service.store import OxigraphStore

INTERNAL_QUERIES_DIR = QUERIES_DIR / "internal"

#: The queries whose CONSTRUCT/DESCRIBE results together make an entity's description.
DESCRIPTION_QUERIES = ("describe-outgoing", "describe-incoming", "describe-claims", "describe-labels",
                       "describe-claim-labels", "describe-subject-sources", "describe-claim-voices")

OBO_IN_OWL = "http://www.geneontology.org/formats/oboInOwl#"
DCTERMS_SOURCE = URIRef("http://purl.org/dc/terms/source")
DEFINITION = URIRef(OBO + "IAO_0000115")
SOURCE_SECTION = URIRef(LBP + "sourceSection")
EVIDENCE_NOTE = URIRef(LBP + "evidenceNote")
EVIDENCE_CODE = URIRef(LBP + "evidenceCode")
HEDGE = URIRef(LBP + "hedge")
WEIGHED_BY = URIRef(LBP + "weighedBy")
STANCE = URIRef(LBP + "stance")
CERTAINTY = URIRef(LBP + "certainty")

#: Synonym properties, in the order the page lists them, with the words the page puts after a
#: name that is not simply another name for the same thing (an exact synonym gets none).
SYNONYM_KINDS = {
    URIRef(OBO_IN_OWL + "hasExactSynonym"): "",
    URIRef(OBO_IN_OWL + "hasRelatedSynonym"): "a related term",
    URIRef(OBO_IN_OWL + "hasNarrowSynonym"): "a narrower term",
    URIRef(OBO_IN_OWL + "hasBroadSynonym"): "a broader term",
}

#: Mapping properties to other ontologies (Uberon, FMA, HP ...), as a reader would say them.
MATCH_KINDS = {
    SKOS.exactMatch: "the same as",
    SKOS.closeMatch: "close to",
    SKOS.relatedMatch: "related to",
    SKOS.broadMatch: "a kind of",
    SKOS.narrowMatch: "includes",
}

#: The ontologies the mappings point into, by CURIE prefix, named as their maintainers name them.
ONTOLOGY_NAMES = {
    "UBERON": "Uberon, the cross-species anatomy ontology",
    "FMA": "the Foundational Model of Anatomy",
    "HP": "the Human Phenotype Ontology",
    "MONDO": "the Mondo Disease Ontology",
    "ECO": "the Evidence and Conclusion Ontology",
    "RO": "the Relation Ontology",
    "BFO": "the Basic Formal Ontology",
}

#: The curators' notes to each other, which the page folds away.
CURATORS_NOTES = (SKOS.editorialNote,)
#: How the curators' notes speak of their working files, and the words a reader needs instead.
READER_REWORDINGS = (
    ("the project's reference files", "the references the curators used"),
    ("The reference files", "The references the curators used"),
    ("the reference files", "the references the curators used"),
)

#: People-facing names for the annotations a page lists (the ontology's own labels are for curators).
ANNOTATION_WORDS = {
    URIRef(LBP + "spinalLevelNote"): "Nerve roots, as the sources give them",
    URIRef(LBP + "locationDescription"): "Where to find it",
    URIRef(LBP + "referralNote"): "Why it calls for referral",
    URIRef(LBP + "indicationNote"): "When it is used",
    URIRef(LBP + "treatmentPriority"): "Treatment priority",
    URIRef(LBP + "hedge"): "How firmly the source says it",
    URIRef(LBP + "certainty"): "Certainty",
    URIRef(LBP + "sourceSection"): "Section of the source",
    URIRef(LBP + "evidenceNote"): "What the source says",
    URIRef("http://purl.org/dc/terms/bibliographicCitation"): "Citation",
    URIRef("http://purl.org/dc/terms/creator"): "Author",
    URIRef("http://purl.org/dc/terms/issued"): "Published",
    URIRef("http://purl.org/dc/terms/title"): "Title",
    URIRef("http://purl.org/dc/terms/publisher"): "Publisher",
    URIRef("http://purl.org/dc/terms/type"): "Kind of publication",
    URIRef("http://purl.org/dc/terms/identifier"): "Identifier",
    URIRef("http://purl.org/dc/terms/description"): "Description",
    OWL.versionInfo: "Version",
    RDFS.comment: "Comment",
    SKOS.note: "Note",
}

_SHOWN_APART = {RDF.type, RDFS.label, DEFINITION, *SYNONYM_KINDS, *MATCH_KINDS, *CURATORS_NOTES}

#: Readable names for the RDF, RDFS and OWL terms a description uses (the ontology labels its own).
STANDARD_LABELS = {
    RDFS.subClassOf: "subclass of",
    RDFS.subPropertyOf: "subproperty of",
    RDFS.domain: "domain",
    RDFS.range: "range",
    RDFS.comment: "comment",
    RDFS.seeAlso: "see also",
    OWL.inverseOf: "inverse of",
    OWL.equivalentClass: "equivalent class",
    OWL.disjointWith: "disjoint with",
    OWL.imports: "imports",
    OWL.versionInfo: "version",
    OWL.versionIRI: "version IRI",
    OWL.Class: "OWL class",
    OWL.NamedIndividual: "named individual",
    OWL.ObjectProperty: "object property",
    OWL.DatatypeProperty: "datatype property",
    OWL.AnnotationProperty: "annotation property",
    OWL.FunctionalProperty: "functional property",
    OWL.TransitiveProperty: "transitive property",
    OWL.Ontology: "ontology",
}


@lru_cache(maxsize=None)
def internal_query(name: str) -> str:
    """Return the text of ``queries/internal/<name>.rq`` (read once per process)."""
    return (INTERNAL_QUERIES_DIR / f"{name}.rq").read_text(encoding="utf-8")


def _to_rdflib(term):
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    datatype = term.datatype.value
    # RDF 1.1 plain literals are xsd:string; rdflib's parsers read them without a datatype
    return Literal(term.value, datatype=None if datatype == str(XSD.string) else URIRef(datatype))


def describe_entity(store: OxigraphStore, iri: str) -> Graph:
    """Return the entity's description: outgoing and incoming triples, labels and claim axioms.

    The graph is empty when nothing is said about ``iri`` as a subject.
    """
    graph = Graph()
    for prefix, namespace in prefixes().items():
        graph.bind(prefix, namespace, override=True)
    # Bound in the text (a VALUES block opening each WHERE), not by substitution: Oxigraph plans
    # a query before it sees substituted values, and at 1M triples describe-labels then took
    # 1.6 s instead of 2 ms.
    bindings = {"entity": ox.NamedNode(iri)}
    outgoing = list(store.query(bind_with_values(internal_query("describe-outgoing"), bindings)))
    if not outgoing:
        return graph
    for name in DESCRIPTION_QUERIES:
        triples = outgoing if name == "describe-outgoing" else store.query(
            bind_with_values(internal_query(name), bindings))
        for triple in triples:
            graph.add((_to_rdflib(triple.subject), _to_rdflib(triple.predicate), _to_rdflib(triple.object)))
    return graph


# --- what the HTML page shows ------------------------------------------------------------


@dataclass(frozen=True)
class TermLink:
    """A term as a link: its label (or CURIE), and where to go for it."""

    iri: str
    label: str
    curie: str
    href: str
    is_local: bool


@dataclass(frozen=True)
class Voice:
    """What another source says of a claim: its statement, stance, source(s) and certainty."""

    statement: TermLink
    stance: TermLink | None
    sources: tuple[TermLink, ...]
    certainty: str | None


@dataclass(frozen=True)
class Claim:
    """The provenance of one edge: the source, the section of it, the curator's note, and its
    standing: the evidence code, the source's hedges and what other sources say of it."""

    source: TermLink | None
    section: str | None
    note: str | None
    evidence_code: TermLink | None = None
    hedges: tuple[str, ...] = ()
    voices: tuple[Voice, ...] = ()


@dataclass
class Edge:
    """One related term (or a value) at the other end of a relation, with the claims behind it."""

    term: TermLink | None
    value: str | None = None
    claims: list[Claim] = field(default_factory=list)


@dataclass
class RelationGroup:
    """Every edge of one relation, in one direction."""

    relation: TermLink
    edges: list[Edge]


@dataclass(frozen=True)
class CitedClaim:
    """A claim that cites the entity (a source) as its support."""

    subject: TermLink
    relation: TermLink
    target: TermLink
    section: str | None
    note: str | None


@dataclass
class EntityPage:
    """Everything entity.html shows about one entity."""

    term: TermLink
    definition: str | None
    types: list[TermLink]
    synonyms: list[tuple[str, str]]
    matches: list[tuple[str, TermLink]]
    annotations: list[tuple[TermLink, str]]
    #: the curators' editorial notes, worded for readers (the page folds them away)
    curators_notes: list[str]
    outgoing: list[RelationGroup]
    incoming: list[RelationGroup]
    cited_claims: list[CitedClaim]


class TermLinker:
    """Turn IRIs into TermLinks: lbp terms link to their /id page, others to their own IRI."""

    def __init__(self, graph: Graph, base_iri: str, id_path: str):
        self.graph = graph
        self.base_iri = base_iri
        self.id_path = id_path.rstrip("/") + "/"

    @staticmethod
    def curie(iri: str) -> str:
        """Return the CURIE of ``iri`` (``UBERON:0001371`` for OBO terms), or the IRI itself."""
        return compact_iri(iri, obo_ids=True)

    def label(self, iri: str) -> str | None:
        labels = [o for o in self.graph.objects(URIRef(iri), RDFS.label) if isinstance(o, Literal)]
        english = [lit for lit in labels if lit.language in ("en", None)]
        if labels:
            return str(min(english or labels))
        return STANDARD_LABELS.get(URIRef(iri))

    def link(self, iri: str) -> TermLink:
        curie = self.curie(iri)
        is_local = iri.startswith(self.base_iri)
        href = self.id_path + iri[len(self.base_iri):] if is_local else iri
        return TermLink(iri=iri, label=self.label(iri) or curie, curie=curie, href=href, is_local=is_local)


def _text(graph: Graph, subject, predicate) -> str | None:
    values = sorted(str(o) for o in graph.objects(subject, predicate) if isinstance(o, Literal))
    return values[0] if values else None


def _claims(graph: Graph, linker: TermLinker, subject, predicate, target) -> list[Claim]:
    """Return the provenance of one edge: its axioms' annotations (see _node_claims otherwise)."""
    claims = []
    for axiom in graph.subjects(OWL.annotatedSource, subject):
        if (axiom, OWL.annotatedProperty, predicate) not in graph or \
                (axiom, OWL.annotatedTarget, target) not in graph:
            continue
        sources = [s for s in graph.objects(axiom, DCTERMS_SOURCE) if isinstance(s, URIRef)] or [None]
        for source in sources:
            claims.append(Claim(source=linker.link(str(source)) if source is not None else None,
                                section=_text(graph, axiom, SOURCE_SECTION),
                                note=_text(graph, axiom, EVIDENCE_NOTE), **_standing(graph, linker, axiom)))
    return _in_order(claims)


def _node_claims(graph: Graph, linker: TermLinker, node) -> list[Claim]:
    """Return the provenance a claim node (treatment target, prognosis ...) states on itself."""
    section, note = _text(graph, node, SOURCE_SECTION), _text(graph, node, EVIDENCE_NOTE)
    return _in_order([Claim(source=linker.link(str(source)), section=section, note=note,
                            **_standing(graph, linker, node))
                      for source in graph.objects(node, DCTERMS_SOURCE) if isinstance(source, URIRef)])


def _standing(graph: Graph, linker: TermLinker, claim) -> dict:
    """Return a claim's evidence code, hedges and the other voices on it (ontology/README.md)."""
    code = graph.value(claim, EVIDENCE_CODE)
    voices = []
    for statement in graph.objects(claim, WEIGHED_BY):
        if not isinstance(statement, URIRef):
            continue
        stance = graph.value(statement, STANCE)
        voices.append(Voice(
            statement=linker.link(str(statement)),
            stance=linker.link(str(stance)) if isinstance(stance, URIRef) else None,
            sources=tuple(sorted((linker.link(str(s)) for s in graph.objects(statement, DCTERMS_SOURCE)
                                  if isinstance(s, URIRef)), key=lambda s: s.label.lower())),
            certainty=_text(graph, statement, CERTAINTY)))
    return {
        "evidence_code": linker.link(str(code)) if isinstance(code, URIRef) else None,
        "hedges": tuple(sorted(str(h) for h in graph.objects(claim, HEDGE) if isinstance(h, Literal))),
        "voices": tuple(sorted(voices, key=lambda v: (v.stance.label if v.stance else "", v.statement.label.lower()))),
    }


def _in_order(claims: list[Claim]) -> list[Claim]:
    return sorted(claims, key=lambda c: (c.source.label if c.source else "", c.section or "", c.note or ""))


def _describe_blank(graph: Graph, linker: TermLinker, node) -> str:
    """Say in words what an anonymous class expression is (unions and intersections of classes)."""
    for predicate, joiner in ((OWL.unionOf, " or "), (OWL.intersectionOf, " and ")):
        members = graph.value(node, predicate)
        if members is not None:
            names = [linker.link(str(m)).label if isinstance(m, URIRef) else "(an anonymous class)"
                     for m in graph.items(members)]
            return joiner.join(names)
    return "(an anonymous class expression)"


def _group(edges_by_relation: dict[str, list[Edge]], linker: TermLinker) -> list[RelationGroup]:
    groups = [RelationGroup(relation=linker.link(p), edges=sorted(
        edges, key=lambda e: (e.term.label.lower() if e.term else "", e.value or "")))
        for p, edges in edges_by_relation.items()]
    return sorted(groups, key=lambda g: g.relation.label.lower())


def for_readers(note: str) -> str:
    """Return a curators' note with its words for their own working files replaced by a reader's."""
    for curators, readers in READER_REWORDINGS:
        note = note.replace(curators, readers)
    return note


def ontology_name(curie: str) -> str | None:
    """Return the name of the ontology a CURIE (``UBERON:0001371``) belongs to, when it is a known one."""
    return ONTOLOGY_NAMES.get(curie.split(":", 1)[0]) if ":" in curie else None


def entity_page(graph: Graph, iri: str, base_iri: str, id_path: str = "/id/") -> EntityPage:
    """Arrange an entity's description (from ``describe_entity``) for the HTML page."""
    linker = TermLinker(graph, base_iri, id_path)
    entity = URIRef(iri)
    outgoing: dict[str, list[Edge]] = {}
    annotations: list[tuple[TermLink, str]] = []
    for predicate, obj in graph.predicate_objects(entity):
        if predicate in _SHOWN_APART:
            continue
        if isinstance(obj, Literal):
            link = linker.link(str(predicate))
            words = ANNOTATION_WORDS.get(predicate)
            annotations.append((replace(link, label=words) if words else link, str(obj)))
        elif isinstance(obj, URIRef):
            outgoing.setdefault(str(predicate), []).append(Edge(
                term=linker.link(str(obj)), claims=_claims(graph, linker, entity, predicate, obj)))
        else:
            outgoing.setdefault(str(predicate), []).append(Edge(term=None, value=_describe_blank(graph, linker, obj)))
    incoming: dict[str, list[Edge]] = {}
    for subject, predicate in graph.subject_predicates(entity):
        if isinstance(subject, URIRef) and subject != entity:
            claims = _claims(graph, linker, subject, predicate, entity)
            if not claims and predicate != DCTERMS_SOURCE:
                claims = _node_claims(graph, linker, subject)
            incoming.setdefault(str(predicate), []).append(Edge(
                term=linker.link(str(subject)), claims=claims))
    cited = [
        CitedClaim(subject=linker.link(str(graph.value(axiom, OWL.annotatedSource))),
                   relation=linker.link(str(graph.value(axiom, OWL.annotatedProperty))),
                   target=linker.link(str(graph.value(axiom, OWL.annotatedTarget))),
                   section=_text(graph, axiom, SOURCE_SECTION),
                   note=_text(graph, axiom, EVIDENCE_NOTE))
        for axiom in graph.subjects(DCTERMS_SOURCE, entity)
        if None not in (graph.value(axiom, OWL.annotatedSource), graph.value(axiom, OWL.annotatedProperty),
                        graph.value(axiom, OWL.annotatedTarget))
    ]
    return EntityPage(
        term=linker.link(iri),
        definition=_text(graph, entity, DEFINITION),
        # owl:NamedIndividual says how the term is modelled, not what it is: readers are not shown it
        types=sorted((linker.link(str(t)) for t in graph.objects(entity, RDF.type)
                      if isinstance(t, URIRef) and t != OWL.NamedIndividual),
                     key=lambda t: (not t.is_local, t.label.lower())),
        synonyms=[(kind, str(s)) for prop, kind in SYNONYM_KINDS.items()
                  for s in sorted(graph.objects(entity, prop))],
        matches=[(kind, linker.link(str(m))) for prop, kind in MATCH_KINDS.items()
                 for m in sorted(graph.objects(entity, prop)) if isinstance(m, URIRef)],
        annotations=sorted(annotations, key=lambda pair: (pair[0].label.lower(), pair[1])),
        curators_notes=sorted(for_readers(str(note)) for prop in CURATORS_NOTES
                              for note in graph.objects(entity, prop) if isinstance(note, Literal)),
        outgoing=_group(outgoing, linker),
        incoming=_group(incoming, linker),
        cited_claims=sorted(cited, key=lambda c: (c.section or "", c.subject.label.lower(),
                                                  c.relation.label, c.target.label.lower())),
    )


#: where the first sentence of a definition ends: a full stop before a capital or the end
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")
#: a line under a search hit: a sentence longer than this is cut at a word
ONE_LINE = 200


def one_line_definition(store, iri: str) -> str | None:
    """Return the first sentence of an entity's English definition (obo:IAO_0000115), or None."""
    for row in store.query(internal_query("search-definition"),
                           substitutions={ox.Variable("entity"): ox.NamedNode(iri)}):
        sentence = _SENTENCE_END.split(row["definition"].value.strip(), maxsplit=1)[0]
        if len(sentence) > ONE_LINE:
            sentence = sentence[:ONE_LINE].rsplit(" ", 1)[0].rstrip(",;:") + "…"
        return sentence
    return None
