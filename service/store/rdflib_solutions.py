"""rdflib's SPARQL solutions, hashed so that DISTINCT and joins stay linear.

rdflib 7.6 hashes a solution mapping (``rdflib.plugins.sparql.sparql.FrozenDict``, the base of
``FrozenBindings``) as the XOR of every key's hash and every value's hash, each on its own. Two
variables bound to the same term cancel out, so every solution in which, say, ``?between`` and
``?effect`` are the same state (the zero-length step of a ``*`` path) has the same hash, and the
sets rdflib builds for DISTINCT and for joins with subqueries degrade to lists. The causal named
queries (``causes``, ``downstream``, ``inhibitors``, ``explain``) took 18-31 s on the rdflib
backend for their examples; hashed by (variable, value) pairs they take 2-3 s.

Applied where rdflib's SPARQL engine runs: the rdflib backend (service.store.rdflib_store) and
pySHACL's validation (service.curation.validation) each apply it when imported. Equal mappings
still hash alike (equality is unchanged), so only the speed changes.
"""
from __future__ import annotations

from rdflib.plugins.sparql.sparql import FrozenDict


def _hash_by_pairs(solution: FrozenDict) -> int:
    # the same cache slot rdflib's own __hash__ fills
    if solution._hash is None:
        solution._hash = hash(frozenset(solution.items()))
    return solution._hash


def hash_solutions_by_pairs() -> None:
    """Make rdflib hash each solution by its (variable, value) pairs; idempotent."""
    FrozenDict.__hash__ = _hash_by_pairs
