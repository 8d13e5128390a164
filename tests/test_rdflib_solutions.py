"""rdflib's SPARQL solutions hash by (variable, value) pairs (service/store/rdflib_solutions.py).

Without it, every solution in which two variables share a value hashes alike, and rdflib's
DISTINCT and subquery joins turn quadratic: the causal named queries took up to 31 s on the
rdflib backend. The rows they give are held to Oxigraph's by tests/test_store_contract.py.
"""
from __future__ import annotations

from rdflib import URIRef, Variable
from rdflib.plugins.sparql.sparql import FrozenDict

import service.store.rdflib_store  # noqa: F401  (the rdflib backend applies the hash when imported)

STATES = [URIRef(f"https://w3id.org/lbp-kg/id/state-{i}") for i in range(200)]


def test_solutions_where_two_variables_share_a_value_hash_apart():
    solutions = [FrozenDict({Variable("between"): state, Variable("effect"): state}) for state in STATES]
    assert len({hash(solution) for solution in solutions}) == len(STATES)


def test_equal_solutions_still_hash_alike_whatever_the_order_they_were_bound_in():
    first = FrozenDict({Variable("cause"): STATES[0], Variable("effect"): STATES[1]})
    second = FrozenDict({Variable("effect"): STATES[1], Variable("cause"): STATES[0]})
    assert first == second and hash(first) == hash(second)

