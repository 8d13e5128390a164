"""Check the terms an extension adds, and what it says about existing terms, against lbp-kg's conventions.

An extension is compared with a *base* graph (the core ontology plus any extensions already
installed). A *new term* is an IRI the extension uses as a subject that the base never does,
outside the standard vocabularies (OWL, RDF, RDFS, SKOS, Dublin Core, PROV, oboInOwl, OBO).
New terms live in the lbp namespace, or in a namespace of the researcher's own declared on the
extension's ``owl:Ontology`` with ``vann:preferredNamespaceUri`` (the way ``ontology/lbp.ttl``
declares lbp's); either way the same naming rules apply.

The rules (each problem names the term and the property, and says how to fix it):

- names: classes UpperCamelCase, properties lowerCamelCase, individuals kebab-case;
- annotations: exactly one English ``rdfs:label``, a definition (``obo:IAO_0000115``);
- duplicate labels: no new term's label equals another term's label, ignoring case and hyphens;
- provenance: every clinical edge the extension asserts carries an ``owl:Axiom`` annotation whose
  ``dcterms:source`` is an ``lbp:Source``; new treatment targets, protocols and prognoses carry
  ``dcterms:source`` themselves;
- existing terms: the extension may add statements about them (a new origin for a muscle), each
  with an ``owl:Axiom`` annotation giving its ``dcterms:source``, but may not change their label,
  definition, type, domain, range or place in the class and property hierarchy.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

from service.kg.labels import normalise
from service.kg.vocabulary import compact_iri
from service.kg.vocabulary import LBP, OBO, prefixes

IAO_DEFINITION = URIRef(OBO + "IAO_0000115")
VANN_NAMESPACE = URIRef("http://purl.org/vocab/vann/preferredNamespaceUri")
LBP_SOURCE = URIRef(LBP + "Source")

#: namespaces whose terms an extension reuses rather than defines
STANDARD_NAMESPACES = tuple(ns for prefix, ns in prefixes().items() if prefix != "lbp") + (
    "http://purl.org/vocab/vann/",
    "http://purl.org/dc/elements/1.1/",
)

#: the clinical relations whose edges must carry their source (with their sub-properties)
CLINICAL_CLAIM_PROPERTIES = tuple(URIRef(iri) for iri in (
    LBP + "causes", LBP + "indicates", LBP + "treats", LBP + "aggravatedBy", LBP + "relievedBy",
    LBP + "hasPossibleFinding", OBO + "RO_0004029", OBO + "RO_0002452",
))
#: n-ary clinical nodes, which carry dcterms:source themselves and vouch for their own statements
NARY_CLASSES = tuple(URIRef(LBP + name) for name in ("TreatmentTarget", "TreatmentProtocol", "Prognosis"))

#: statements that define a term; an extension may not add them to an existing term
DEFINING_PROPERTIES = {
    RDFS.label: "label", IAO_DEFINITION: "definition", RDF.type: "type", RDFS.domain: "domain",
    RDFS.range: "range", RDFS.subClassOf: "superclasses", RDFS.subPropertyOf: "super-properties",
    OWL.equivalentClass: "equivalent classes", OWL.equivalentProperty: "equivalent properties",
    OWL.inverseOf: "inverse",
}
#: declaring an existing individual again (as Protégé does) changes nothing
HARMLESS_TYPES = {OWL.NamedIndividual, OWL.Thing}

PROPERTY_TYPES = {OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property}
NAME_PATTERNS = {
    "class": (re.compile(r"^[A-Z][A-Za-z0-9]*$"), "UpperCamelCase, e.g. lbp:TendonState"),
    "property": (re.compile(r"^[a-z][A-Za-z0-9]*$"), "lowerCamelCase, e.g. lbp:hasTendon"),
    # later words may be capitalised for codes such as spinal-level-L1
    "individual": (re.compile(r"^[a-z][a-z0-9]*(-[A-Za-z0-9]+)*$"), "kebab-case, e.g. lbp:psoas-minor"),
}


@dataclass(frozen=True)
class TermProblem:
    """One convention broken by one term: which, about which property, what is wrong, how to fix it."""

    check: str
    term: URIRef
    message: str
    fix: str
    property: URIRef | None = None


def declared_namespaces(extension: Graph) -> list[str]:
    """Return the namespaces the extension may mint terms in: lbp's and any it declares."""
    own = [str(ns) for ontology in extension.subjects(RDF.type, OWL.Ontology)
           for ns in extension.objects(ontology, VANN_NAMESPACE)]
    return [LBP, *own]


def is_standard(iri: URIRef) -> bool:
    """Say whether an IRI belongs to a vocabulary lbp-kg reuses (OWL, RDFS, OBO, ...)."""
    return str(iri).startswith(STANDARD_NAMESPACES)


def new_terms(base: Graph, extension: Graph) -> list[URIRef]:
    """Return the IRIs the extension describes that the base does not, in a stable order."""
    known = set(base.subjects())
    headers = set(extension.subjects(RDF.type, OWL.Ontology))
    return sorted({s for s in extension.subjects() if isinstance(s, URIRef)
                   and s not in known and s not in headers and not is_standard(s)})


def term_kind(graph: Graph, term: URIRef) -> str:
    """Return "class", "property" or "individual" from the term's declared types."""
    types = set(graph.objects(term, RDF.type))
    if OWL.Class in types or RDFS.Class in types:
        return "class"
    if types & PROPERTY_TYPES or any(graph.objects(term, RDFS.subPropertyOf)):
        return "property"
    return "individual"


def check_extension(base: Graph, extension: Graph, merged: Graph) -> list[TermProblem]:
    """Return every convention the extension breaks (see the module docstring), sorted by term."""
    added = Graph()
    for triple in extension:
        if triple not in base:
            added.add(triple)
    terms = new_terms(base, extension)
    problems = [*_check_names(extension, merged, terms), *_check_annotations(extension, terms),
                *_check_duplicate_labels(base, extension, terms),
                *_check_claim_sources(added, merged, set(terms)),
                *_check_existing_terms(base, added, merged, set(terms))]
    return sorted(problems, key=lambda p: (str(p.term), p.check, p.message))


def _check_names(extension: Graph, merged: Graph, terms: list[URIRef]):
    namespaces = declared_namespaces(extension)
    for term in terms:
        namespace = next((ns for ns in namespaces if str(term).startswith(ns)), None)
        if namespace is None:
            yield TermProblem("namespace", term, f"{term} is outside the lbp namespace ({LBP}) and any "
                              "namespace this extension declares.",
                              "Mint the term under lbp: (https://w3id.org/lbp-kg/id/), or declare your own "
                              "namespace on the extension's owl:Ontology with vann:preferredNamespaceUri.")
            continue
        if not any(extension.objects(term, RDF.type)):
            yield TermProblem("declaration", term, "The term is described but never declared (it has no rdf:type).",
                              "Declare it: a class (a owl:Class), a property (a owl:ObjectProperty) or an "
                              "individual typed by a core class (a owl:NamedIndividual , lbp:Muscle).",
                              RDF.type)
        kind = term_kind(merged, term)
        pattern, example = NAME_PATTERNS[kind]
        local = str(term)[len(namespace):]
        if not pattern.match(local):
            yield TermProblem("name", term, f"The local name {local!r} of this {kind} is not {example.split(',')[0]}.",
                              f"Rename the term: {kind} names are {example}.")


def _english_labels(graph: Graph, term: URIRef) -> list[Literal]:
    return [label for label in graph.objects(term, RDFS.label)
            if isinstance(label, Literal) and label.language == "en"]


def _check_annotations(extension: Graph, terms: list[URIRef]):
    for term in terms:
        labels = list(extension.objects(term, RDFS.label))
        english = _english_labels(extension, term)
        if not english:
            untagged = " (it has a label without the @en language tag)" if labels else ""
            yield TermProblem("label", term, f"The term has no English label{untagged}.",
                              'Add exactly one rdfs:label "plain name"@en.', RDFS.label)
        elif len(english) > 1:
            shown = ", ".join(f'"{label}"' for label in sorted(english))
            yield TermProblem("label", term, f"The term has {len(english)} English labels ({shown}).",
                              "Keep one rdfs:label and make the others oboInOwl:hasExactSynonym or "
                              "hasRelatedSynonym.", RDFS.label)
        if not any(extension.objects(term, IAO_DEFINITION)):
            yield TermProblem("definition", term, "The term has no definition (obo:IAO_0000115).",
                              'Add obo:IAO_0000115 "what it is, in your own words"@en.', IAO_DEFINITION)


def _check_duplicate_labels(base: Graph, extension: Graph, terms: list[URIRef]):
    existing: dict[str, list] = {}
    for subject, label in base.subject_objects(RDFS.label):
        if isinstance(label, Literal):
            existing.setdefault(normalise(str(label)), []).append(subject)
    seen: dict[str, URIRef] = {}
    for term in terms:
        for label in _english_labels(extension, term):
            key = normalise(str(label))
            others = sorted(str(s) for s in existing.get(key, ()) if s != term)
            if others:
                yield TermProblem("duplicate-label", term,
                                  f'The label "{label}" is already the label of {_curie(others[0])}.',
                                  f"Choose a label that tells the two apart; if the term means the same as "
                                  f"{_curie(others[0])}, use that term instead of minting a new one.", RDFS.label)
            elif key in seen and seen[key] != term:
                yield TermProblem("duplicate-label", term,
                                  f'The label "{label}" is also the label of {_curie(seen[key])} in this extension.',
                                  "Give each term its own label.", RDFS.label)
            seen.setdefault(key, term)


def _claim_properties(merged: Graph) -> set:
    properties = set()
    for kind in CLINICAL_CLAIM_PROPERTIES:
        properties.update(merged.transitive_subjects(RDFS.subPropertyOf, kind))
    return properties


def _is_instance(graph: Graph, node, classes) -> bool:
    types = {superclass for asserted in graph.objects(node, RDF.type)
             for superclass in graph.transitive_objects(asserted, RDFS.subClassOf)}
    return any(cls in types for cls in classes)


def _annotation_sources(merged: Graph, subject, predicate, obj) -> list:
    return [source for axiom in merged.subjects(OWL.annotatedSource, subject)
            if (axiom, OWL.annotatedProperty, predicate) in merged
            and (axiom, OWL.annotatedTarget, obj) in merged
            for source in merged.objects(axiom, DCTERMS.source)]


def _check_claim_sources(added: Graph, merged: Graph, terms: set):
    claims = _claim_properties(merged)
    for subject, predicate, obj in added:
        if predicate not in claims or isinstance(subject, BNode):
            continue
        if _is_instance(merged, subject, NARY_CLASSES) and any(merged.objects(subject, DCTERMS.source)):
            continue  # an n-ary node vouches for its own statements
        sources = _annotation_sources(merged, subject, predicate, obj)
        if not any(_is_instance(merged, source, (LBP_SOURCE,)) for source in sources):
            why = ("its owl:Axiom cites no lbp:Source" if sources else "no owl:Axiom annotation gives its source")
            yield TermProblem("claim-source", subject,
                              f"The clinical claim {_curie(subject)} {_curie(predicate)} {_curie(obj)} has no "
                              f"source: {why}.",
                              "Add [] a owl:Axiom ; owl:annotatedSource, owl:annotatedProperty, "
                              "owl:annotatedTarget (the claim) ; dcterms:source (an lbp:Source) ; "
                              "lbp:sourceSection and lbp:evidenceNote (see ontology/README.md, Provenance).",
                              predicate)
    for term in sorted(terms):
        if _is_instance(merged, term, NARY_CLASSES) and not any(merged.objects(term, DCTERMS.source)):
            yield TermProblem("claim-source", term, "This treatment target, protocol or prognosis has no source.",
                              "Add dcterms:source (an lbp:Source) and lbp:sourceSection to the node.",
                              DCTERMS.source)


def _is_mirror(merged: Graph, added: Graph, subject, predicate, obj, terms: set) -> bool:
    """Say whether the statement only mirrors one the extension makes about a new term."""
    if obj not in terms:
        return False
    inverses = set(merged.objects(predicate, OWL.inverseOf)) | set(merged.subjects(OWL.inverseOf, predicate))
    return any((obj, inverse, subject) in added for inverse in inverses)


def _check_existing_terms(base: Graph, added: Graph, merged: Graph, terms: set):
    known = set(base.subjects())
    claims = _claim_properties(merged)
    for subject, predicate, obj in sorted(added):
        if subject not in known or not isinstance(subject, URIRef) or is_standard(subject):
            continue
        if (predicate == RDF.type and obj in HARMLESS_TYPES) or predicate in claims:
            continue  # re-declarations are harmless; claims are checked with their sources
        if predicate in DEFINING_PROPERTIES:
            what = DEFINING_PROPERTIES[predicate]
            current = ", ".join(sorted(_value_text(v) for v in base.objects(subject, predicate))) or "none"
            yield TermProblem("redefinition", subject,
                              f"The extension changes the {what} of the existing term {_curie(subject)} "
                              f"(adds {_curie(predicate)} {_value_text(obj)}; the core has: {current}).",
                              "Remove this statement: extensions add to existing terms but do not redefine "
                              "them. Give another name as oboInOwl:hasExactSynonym; propose changes to the "
                              "core in ontology/modules/.", predicate)
        elif not _is_mirror(merged, added, subject, predicate, obj, terms) \
                and not _annotation_sources(merged, subject, predicate, obj):
            yield TermProblem("unsourced-addition", subject,
                              f"The extension adds {_curie(subject)} {_curie(predicate)} {_value_text(obj)} to an "
                              "existing term without saying where it comes from.",
                              "Annotate the statement: [] a owl:Axiom ; owl:annotatedSource, "
                              "owl:annotatedProperty, owl:annotatedTarget (the statement) ; dcterms:source "
                              "(the page or lbp:Source it comes from).", predicate)


def _value_text(node) -> str:
    if isinstance(node, Literal):
        return f'"{node}"' + (f"@{node.language}" if node.language else "")
    return _curie(node)


def _curie(node) -> str:
    if isinstance(node, BNode):
        return "[]"
    text = compact_iri(str(node))
    return text if text != str(node) else f"<{node}>"
