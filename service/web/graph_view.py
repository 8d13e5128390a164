"""Build the node-and-edge data the /graph page draws, from the queries in queries/internal/.

Nodes get a *kind* (muscle, inhibited state, posture, ...) that fixes their colour and shape;
the legend travels with the data so that the page and the picture can never disagree.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pyoxigraph as ox

from service.kg.catalog import read_query_file
from service.kg.labels import LabelIndex
from service.paths import QUERIES_DIR

LBP = "https://w3id.org/lbp-kg/id/"
INTERNAL_QUERIES_DIR = QUERIES_DIR / "internal"
LOWER_CROSSED_SYNDROME = LBP + "lower-crossed-syndrome"
STATE_OF = LBP + "stateOf"


@dataclass(frozen=True)
class Kind:
    """How one kind of node is drawn: a caption for the legend, a fill colour and a shape."""

    name: str
    label: str
    colour: str
    shape: str
    text_colour: str = "#111111"


# Most specific first: a node is drawn as the first kind whose class (or a subclass) it has.
# Colours follow the Okabe-Ito palette (readable with the common colour-vision deficiencies);
# every kind also has its own shape, so colour is never the only cue.
_OTHER_STATE = Kind("state", "other state (guarding, tissue)", "#A6761D", "round-rectangle", "#ffffff")
_SIGN = Kind("sign", "clinical sign", "#E6D97A", "tag")
_CARE = Kind("care", "assessment or treatment", "#B4A7D6", "cut-rectangle")
KINDS: tuple[tuple[str, Kind], ...] = (
    ("RiskFactor", Kind("factor", "contributing factor", "#E69F00", "hexagon")),
    ("Posture", Kind("posture", "posture", "#56B4E9", "diamond")),
    ("TightState", Kind("tight", "tight muscle", "#D55E00", "round-rectangle", "#ffffff")),
    ("InhibitedState", Kind("inhibited", "inhibited muscle", "#0072B2", "round-rectangle", "#ffffff")),
    ("OverloadedState", Kind("overloaded", "overloaded muscle", "#CC79A7", "round-rectangle")),
    ("DysfunctionState", _OTHER_STATE),
    ("Symptom", Kind("symptom", "symptom", "#F0E442", "round-tag")),
    ("ClinicalSign", _SIGN),
    ("ClinicalFeature", _SIGN),
    ("Condition", Kind("condition", "condition", "#333333", "octagon", "#ffffff")),
    ("Muscle", Kind("muscle", "muscle", "#009E73", "ellipse", "#ffffff")),
    ("MuscleGroup", Kind("group", "muscle group", "#8FD3B6", "barrel")),
    ("Assessment", _CARE),
    ("Treatment", _CARE),
    ("TreatmentTarget", _CARE),
    ("TreatmentProtocol", _CARE),
    ("Prognosis", _CARE),
    ("Action", Kind("action", "muscle action", "#DDDDDD", "rhomboid")),
    ("AnatomicalEntity", Kind("anatomy", "other anatomy (bone, site, nerve)", "#BBBBBB", "rectangle")),
)
OTHER_KIND = Kind("other", "other", "#EEEEEE", "ellipse")

# How each relation is drawn; the causal family and "indicates" are what the pattern is about.
EDGE_STYLES: dict[str, dict] = {
    "causes": {"style": "causes", "colour": "#333333", "line": "solid"},
    "inhibits": {"style": "inhibits", "colour": "#0072B2", "line": "solid"},
    "overloads": {"style": "overloads", "colour": "#CC79A7", "line": "solid"},
    "contributesTo": {"style": "contributes", "colour": "#666666", "line": "dashed"},
    "isDirectSourceOf": {"style": "source", "colour": "#D55E00", "line": "solid"},
    "indicates": {"style": "indicates", "colour": "#8A7B00", "line": "dotted"},
    "stateOf": {"style": "stateOf", "colour": "#999999", "line": "dashed"},
}
OTHER_EDGE_STYLE = {"style": "other", "colour": "#AAAAAA", "line": "solid"}


@lru_cache(maxsize=None)
def internal_query(name: str) -> str:
    """Return the text of queries/internal/<name>.rq (read once per process)."""
    return read_query_file(INTERNAL_QUERIES_DIR / f"{name}.rq")


def local_name(iri: str) -> str:
    """Return the part of an lbp-kg IRI after the namespace, or the whole IRI for others."""
    return iri[len(LBP):] if iri.startswith(LBP) else iri


def label_of(index: LabelIndex, iri: str) -> str:
    """Return the term's label, or its local name when it has none."""
    entity = index.get(iri)
    return entity.label if entity else local_name(iri)


def kind_of(index: LabelIndex, iri: str) -> Kind:
    """Return how the term is drawn: the first kind in KINDS whose class it belongs to."""
    entity = index.get(iri)
    classes = entity.types if entity else frozenset()
    for class_name, kind in KINDS:
        if LBP + class_name in classes:
            return kind
    return OTHER_KIND


def muscles_a_to_z(kb) -> list[dict]:
    """Return every muscle and muscle group as {iri, id, label, isGroup}, sorted by label."""
    return [
        {
            "iri": row["muscle"].value,
            "id": local_name(row["muscle"].value),
            "label": row["muscleLabel"].value,
            "isGroup": row["isGroup"].value == "true",
        }
        for row in kb.store.query(internal_query("graph-muscles"))
    ]


def _edges(kb, query_name: str, focus: str | None = None) -> list[tuple[str, str, str]]:
    substitutions = {ox.Variable("focus"): ox.NamedNode(focus)} if focus else None
    return [
        (row["source"].value, row["relation"].value, row["target"].value)
        for row in kb.store.query(internal_query(query_name), substitutions=substitutions)
    ]


def pattern_edges(kb) -> list[tuple[str, str, str]]:
    """Return the edges of the clinical pattern: causal links, indications and states' owners."""
    return _edges(kb, "graph-pattern")


def neighbourhood_edges(kb, focus: str) -> list[tuple[str, str, str]]:
    """Return the edges touching ``focus``, plus those of its own states (so a muscle shows why)."""
    edges = _edges(kb, "graph-neighbourhood", focus)
    states = [source for source, relation, target in edges if relation == STATE_OF and target == focus]
    for state in states:
        edges.extend(_edges(kb, "graph-neighbourhood", state))
    return list(dict.fromkeys(edges))


def graph_elements(index: LabelIndex, edges: list[tuple[str, str, str]], href_for,
                   focus: str | None = None) -> dict:
    """Turn edges into Cytoscape elements plus the legend of the kinds and relations they use.

    ``href_for(local_name)`` gives the page a node links to.
    """
    nodes: dict[str, dict] = {}
    if focus:
        nodes[focus] = {}
    edge_elements = []
    used_relations: dict[str, dict] = {}
    for number, (source, relation, target) in enumerate(edges):
        nodes.setdefault(source, {})
        nodes.setdefault(target, {})
        relation_name = local_name(relation)
        style = EDGE_STYLES.get(relation_name, OTHER_EDGE_STYLE)
        used_relations.setdefault(relation, {"relation": local_name(relation), "label": label_of(index, relation), **style})
        edge_elements.append({"data": {
            "id": f"e{number}",
            "source": local_name(source),
            "target": local_name(target),
            "relation": relation_name,
            "relationIri": relation,
            "label": label_of(index, relation),
            "style": style["style"],
        }})
    used_kinds: dict[str, Kind] = {}
    node_elements = []
    for iri in nodes:
        kind = kind_of(index, iri)
        used_kinds.setdefault(kind.name, kind)
        node_elements.append({"data": {
            "id": local_name(iri),
            "iri": iri,
            "label": label_of(index, iri),
            "kind": kind.name,
            "kindLabel": kind.label,
            "href": href_for(local_name(iri)) if iri.startswith(LBP) else iri,
            "focus": iri == focus,
        }})
    order = [kind.name for _, kind in KINDS] + [OTHER_KIND.name]
    legend = sorted(used_kinds.values(), key=lambda kind: order.index(kind.name))
    return {
        "nodes": node_elements,
        "edges": edge_elements,
        "legend": {
            "kinds": [{"kind": k.name, "label": k.label, "colour": k.colour, "shape": k.shape,
                       "textColour": k.text_colour} for k in legend],
            "relations": sorted(used_relations.values(), key=lambda r: r["label"]),
        },
    }
