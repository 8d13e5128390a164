"""Write an OWL graph as OBO 1.4 flat files and as OBO Graphs JSON, the formats OBO tools read.

Both are lossy views of the OWL: classes with their names, definitions, synonyms, named parents and
existential restrictions; object properties; individuals with their types and relations. What they
cannot say (other class expressions, axiom annotations) stays in the OWL release.
"""
from __future__ import annotations

import json
from collections import defaultdict

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from service.kg.vocabulary import OBO, compact_iri, prefixes

DEFINITION = URIRef(OBO + "IAO_0000115")
_OIO = prefixes()["oboInOwl"]
SYNONYMS = {URIRef(_OIO + name): scope for name, scope in
            (("hasExactSynonym", "EXACT"), ("hasRelatedSynonym", "RELATED"),
             ("hasNarrowSynonym", "NARROW"), ("hasBroadSynonym", "BROAD"))}
#: Predicates each format writes in a clause of its own, not as a property value.
_OWN_CLAUSES = {RDF.type, RDFS.label, RDFS.subClassOf, DEFINITION, *SYNONYMS}


def _named(graph: Graph, kind: URIRef) -> list[URIRef]:
    return sorted(s for s in graph.subjects(RDF.type, kind) if isinstance(s, URIRef))


def _text(value: Literal) -> str:
    return str(value)


def _existentials(graph: Graph, cls: URIRef) -> list[tuple[URIRef, URIRef]]:
    """The (property, filler) pairs of ``cls subClassOf (property some filler)`` with named fillers."""
    pairs = []
    for parent in graph.objects(cls, RDFS.subClassOf):
        if isinstance(parent, BNode):
            prop, filler = graph.value(parent, OWL.onProperty), graph.value(parent, OWL.someValuesFrom)
            if isinstance(prop, URIRef) and isinstance(filler, URIRef):
                pairs.append((prop, filler))
    return sorted(pairs)


def _relations(graph: Graph, subject: URIRef, object_properties: set) -> list[tuple[URIRef, URIRef]]:
    return sorted((p, o) for p, o in graph.predicate_objects(subject)
                  if p in object_properties and isinstance(o, URIRef))


# ---------------------------------------------------------------- OBO 1.4

def _obo_id(iri) -> str:
    return compact_iri(str(iri), obo_ids=True)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _common_clauses(graph: Graph, entity: URIRef) -> list[str]:
    lines = [f"id: {_obo_id(entity)}"]
    label = graph.value(entity, RDFS.label)
    if label is not None:
        lines.append(f"name: {_text(label)}".replace("\n", " "))
    definition = graph.value(entity, DEFINITION)
    if definition is not None:
        lines.append(f"def: {_quote(_text(definition))} []")
    for predicate, scope in SYNONYMS.items():
        for synonym in sorted(graph.objects(entity, predicate)):
            lines.append(f"synonym: {_quote(_text(synonym))} {scope} []")
    return lines


def _property_values(graph: Graph, entity: URIRef, skip: set) -> list[str]:
    lines = []
    for predicate, value in sorted(graph.predicate_objects(entity)):
        if predicate in _OWN_CLAUSES or predicate in skip or isinstance(value, BNode):
            continue
        if isinstance(value, URIRef):
            lines.append(f"property_value: {_obo_id(predicate)} {_obo_id(value)}")
        else:
            datatype = compact_iri(str(value.datatype)) if value.datatype else "xsd:string"
            lines.append(f"property_value: {_obo_id(predicate)} {_quote(str(value))} {datatype}")
    return lines


def to_obo(graph: Graph, ontology_name: str, version: str) -> str:
    """Return the graph as an OBO 1.4 document."""
    object_properties = set(_named(graph, OWL.ObjectProperty))
    skip = object_properties | {OWL.versionInfo}
    lines = ["format-version: 1.4", f"data-version: {version}", f"ontology: {ontology_name}"]
    for prefix, namespace in sorted(prefixes().items()):
        if prefix != "obo":
            lines.append(f"idspace: {prefix} {namespace}")
    for cls in _named(graph, OWL.Class):
        lines += ["", "[Term]", *_common_clauses(graph, cls)]
        lines += [f"is_a: {_obo_id(parent)}" for parent in sorted(graph.objects(cls, RDFS.subClassOf))
                  if isinstance(parent, URIRef) and parent != OWL.Thing]
        lines += [f"relationship: {_obo_id(p)} {_obo_id(o)}" for p, o in _existentials(graph, cls)]
        lines += _property_values(graph, cls, skip)
    for prop in sorted(object_properties):
        lines += ["", "[Typedef]", *_common_clauses(graph, prop)]
        if (prop, RDF.type, OWL.TransitiveProperty) in graph:
            lines.append("is_transitive: true")
        lines += [f"is_a: {_obo_id(parent)}" for parent in sorted(graph.objects(prop, RDFS.subPropertyOf))
                  if isinstance(parent, URIRef) and parent in object_properties]
    for individual in _named(graph, OWL.NamedIndividual):
        lines += ["", "[Instance]", *_common_clauses(graph, individual)]
        lines += [f"instance_of: {_obo_id(cls)}" for cls in sorted(graph.objects(individual, RDF.type))
                  if isinstance(cls, URIRef) and cls not in (OWL.NamedIndividual, OWL.Thing)]
        # an individual's relations as property values: fastobo (and OBO 1.4 tools generally) read
        # relationship clauses in [Term] frames only
        lines += [f"property_value: {_obo_id(p)} {_obo_id(o)}"
                  for p, o in _relations(graph, individual, object_properties)]
        lines += _property_values(graph, individual, skip)
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- OBO Graphs JSON

def _meta(graph: Graph, entity: URIRef) -> dict:
    meta: dict = {}
    definition = graph.value(entity, DEFINITION)
    if definition is not None:
        meta["definition"] = {"val": _text(definition)}
    synonyms = [{"pred": "has" + scope.capitalize() + "Synonym", "val": _text(value)}
                for predicate, scope in SYNONYMS.items() for value in sorted(graph.objects(entity, predicate))]
    if synonyms:
        meta["synonyms"] = synonyms
    values = [{"pred": str(p), "val": str(o)} for p, o in sorted(graph.predicate_objects(entity))
              if p not in _OWN_CLAUSES and not isinstance(o, BNode)]
    if values:
        meta["basicPropertyValues"] = values
    return meta


def to_obographs(graph: Graph, ontology_iri: str, version_iri: str, version: str) -> str:
    """Return the graph as an OBO Graphs JSON document (one graph)."""
    object_properties = set(_named(graph, OWL.ObjectProperty))
    nodes, edges = [], []
    kinds = (("CLASS", _named(graph, OWL.Class)), ("PROPERTY", sorted(object_properties)),
             ("INDIVIDUAL", _named(graph, OWL.NamedIndividual)))
    for kind, entities in kinds:
        for entity in entities:
            node = {"id": str(entity), "type": kind}
            label = graph.value(entity, RDFS.label)
            if label is not None:
                node["lbl"] = _text(label)
            meta = _meta(graph, entity)
            if meta:
                node["meta"] = meta
            nodes.append(node)
    relations = defaultdict(set)
    for cls in _named(graph, OWL.Class):
        relations[cls] |= {("is_a", o) for o in graph.objects(cls, RDFS.subClassOf)
                           if isinstance(o, URIRef) and o != OWL.Thing}
        relations[cls] |= {(str(p), o) for p, o in _existentials(graph, cls)}
    for individual in _named(graph, OWL.NamedIndividual):
        relations[individual] |= {("rdf:type", o) for o in graph.objects(individual, RDF.type)
                                  if isinstance(o, URIRef) and o not in (OWL.NamedIndividual, OWL.Thing)}
        relations[individual] |= {(str(p), o) for p, o in _relations(graph, individual, object_properties)}
    for subject in sorted(relations):
        edges += [{"sub": str(subject), "pred": pred, "obj": str(obj)} for pred, obj in sorted(relations[subject])]
    document = {"graphs": [{
        "id": ontology_iri,
        "meta": {"version": version_iri,
                 "basicPropertyValues": [{"pred": str(OWL.versionInfo), "val": version}]},
        "nodes": nodes, "edges": edges,
    }]}
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"
