"""The causal queries answer alike on Virtuoso 7.2 where the graph has cycles, diamonds and loops.

The bundled ontology's causal graph has no cycle, so the contract suite's examples never reach
the parts of `causes`, `downstream`, `inhibitors` and `explain` that count a hop on a cycle, nor
parallel relations between two terms. Here the same graphs get a small synthetic tangle (every
IRI `syn-...`, labelled "synthetic", no clinical claim): a three-term cycle entered from a
diamond and leading into low back pain, a cycle through gluteus medius inhibition (an inhibited
state on a cycle), a self-loop, two relations between the same pair, states of a synthetic term
and an inhibited synthetic member of the gluteals. The embedded store is the reference.
"""
from __future__ import annotations

import dataclasses

import pytest

from service.kg.catalog import Catalog
from service.paths import QUERIES_DIR
from service.store import OxigraphStore
from service.store.remote import RemoteStore
from tests import engines
from tests.test_store_contract import rows

#: starts a Virtuoso of its own for the synthetic tangle (seconds)
pytestmark = pytest.mark.slow

LBP = "https://w3id.org/lbp-kg/id/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"

#: (subject, property, object) in lbp:, added to the clinical module's graph
TANGLE = [
    # a three-term cycle leading into low back pain, entered from a diamond
    ("syn-a", "causes", "syn-b"), ("syn-b", "contributesTo", "syn-c"), ("syn-c", "causes", "syn-a"),
    ("syn-c", "causes", "low-back-pain"), ("syn-d", "causes", "syn-b"), ("syn-d", "contributesTo", "syn-c"),
    ("syn-e", "inhibits", "syn-d"), ("prolonged-sitting", "causes", "syn-e"),
    # a cycle through gluteus medius inhibition
    ("gluteus-medius-inhibition", "overloads", "syn-f"), ("syn-f", "causes", "gluteus-medius-inhibition"),
    ("syn-g", "isDirectSourceOf", "syn-f"),
    # a self-loop, and two relations between the same pair
    ("syn-h", "causes", "syn-h"), ("syn-h", "causes", "syn-a"), ("syn-h", "contributesTo", "syn-a"),
    # states of a synthetic term, one of them on the cycle
    ("syn-a", "stateOf", "syn-term"), ("syn-i", "stateOf", "syn-term"), ("syn-i", "causes", "syn-j"),
    ("syn-j", "causes", "syn-a"),
    # an inhibited state of a synthetic member of the gluteals
    ("syn-muscle", "memberOf", "gluteals"), ("syn-muscle-inh", "stateOf", "syn-muscle"),
    ("syn-b", "inhibits", "syn-muscle-inh"), ("syn-muscle-inh", "causes", "syn-c"),
]
TYPES = [("syn-muscle", "Muscle"), ("syn-muscle-inh", "InhibitedState"), ("syn-a", "OverloadedState"),
         ("syn-f", "TightState")]
LABELLED = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "term", "muscle", "muscle-inh"]

#: each causal query with the parameters that walk the tangle
ASKED = [
    ("causes", {"condition": "low-back-pain"}), ("causes", {"condition": "syn-term"}),
    ("causes", {"condition": "gluteus-medius-inhibition"}),
    ("downstream", {"term": "prolonged-sitting"}), ("downstream", {"term": "syn-h"}),
    ("downstream", {"term": "syn-term"}),
    ("inhibitors", {"muscle": "gluteus-medius"}), ("inhibitors", {"muscle": "gluteals"}),
    ("inhibitors", {"muscle": "syn-muscle"}),
    ("explain", {"from": "prolonged-sitting", "to": "low-back-pain"}),
    ("explain", {"from": "syn-h", "to": "low-back-pain"}), ("explain", {"from": "syn-term", "to": "syn-b"}),
]


def _tangle_ntriples() -> bytes:
    lines = [f"<{LBP}{s}> <{LBP}{p}> <{LBP}{o}> .\n" for s, p, o in TANGLE]
    lines += [f"<{LBP}{s}> <{RDF_TYPE}> <{LBP}{c}> .\n" for s, c in TYPES]
    lines += [f'<{LBP}syn-{n}> <{RDFS_LABEL}> "synthetic {n}"@en .\n' for n in LABELLED]
    return "".join(lines).encode()


@pytest.fixture(scope="module")
def tangled(engine_data):
    """The service's graphs with the tangle added to the clinical module."""
    index = next(i for i, graph in enumerate(engine_data.module_graphs) if graph.endswith("/clinical"))
    extra = _tangle_ntriples()
    payloads, sizes = list(engine_data.module_ntriples), list(engine_data.module_sizes)
    payloads[index] += extra
    sizes[index] += extra.count(b"\n")
    return dataclasses.replace(engine_data, module_ntriples=payloads, module_sizes=sizes, source_version=None)


@pytest.fixture(scope="module")
def tangled_embedded(tangled):
    return OxigraphStore.from_data(tangled)


@pytest.fixture(scope="module")
def tangled_virtuoso(tangled, tmp_path_factory):
    try:
        process, endpoint = engines.start_virtuoso(tangled, tmp_path_factory.mktemp("virtuoso-tangled"))
    except engines.EngineUnavailable as err:
        pytest.fail(str(err))
    yield RemoteStore.from_data(tangled, endpoint, timeout=30.0)
    engines.stop(process)


@pytest.mark.parametrize("name, arguments", ASKED, ids=[f"{n}-{'-'.join(a.values())}" for n, a in ASKED])
def test_a_causal_query_over_cycles_answers_on_virtuoso_as_on_the_embedded_store(tangled_embedded,
                                                                                tangled_virtuoso, name, arguments):
    query = Catalog.load(QUERIES_DIR).get(name)
    bound = query.bind({parameter: LBP + value for parameter, value in arguments.items()})
    expected = rows(tangled_embedded.query(query.text, substitutions=bound))
    assert expected, "the tangle should give this question an answer"
    assert rows(tangled_virtuoso.query(query.text, substitutions=bound)) == expected
