"""Materialise what the ontology's OWL axioms entail, so plain triple patterns find it.

The rules are SPARQL CONSTRUCT queries in ``queries/inference/`` (a subset of OWL 2 RL: sub-
properties, inverses, transitivity, symmetry, two-link property chains, the class hierarchy,
domains and ranges). They run over the asserted triples until nothing new appears. The result is
cached on disk, keyed by a hash of the asserted triples and the rules, so a restart with the same
inputs reads it back instead of recomputing.
"""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import pyoxigraph as ox

from service.paths import QUERIES_DIR

log = logging.getLogger(__name__)

RULES_DIR = QUERIES_DIR / "inference"
#: A guard against a rule set that never reaches a fixpoint (ours does in a handful of rounds).
MAX_ROUNDS = 50


@dataclass(frozen=True)
class InferenceRule:
    """One CONSTRUCT rule, read from a .rq file."""

    name: str
    text: str


@dataclass(frozen=True)
class Materialisation:
    """The triples the rules added (none of them asserted), as N-Triples, and how it went."""

    ntriples: bytes
    triple_count: int
    rounds: int
    seconds: float
    from_cache: bool


def load_rules(directory: Path = RULES_DIR) -> list[InferenceRule]:
    """Read every rule file, in name order."""
    return [InferenceRule(path.stem, path.read_text(encoding="utf-8"))
            for path in sorted(directory.glob("*.rq"))]


def _fingerprint(asserted: Sequence[bytes], rules: Sequence[InferenceRule]) -> str:
    digest = hashlib.sha256()
    for part in asserted:
        digest.update(hashlib.sha256(part).digest())
    for rule in rules:
        digest.update(rule.name.encode() + b"\0" + rule.text.encode())
    return digest.hexdigest()[:24]


def _closure(asserted: Sequence[bytes], rules: Sequence[InferenceRule]) -> tuple[list[ox.Triple], int]:
    """Apply the rules to a fixpoint; return only the triples that were not asserted."""
    store = ox.Store()
    for data in asserted:
        store.bulk_load(data, ox.RdfFormat.N_TRIPLES)
    inferred: list[ox.Triple] = []
    for round_number in range(1, MAX_ROUNDS + 1):
        new: set[ox.Triple] = set()
        for rule in rules:
            for triple in store.query(rule.text):
                quad = ox.Quad(triple.subject, triple.predicate, triple.object, ox.DefaultGraph())
                if quad not in store:
                    new.add(triple)
        if not new:
            return inferred, round_number
        store.extend(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in new)
        inferred.extend(new)
    raise RuntimeError(f"inference did not reach a fixpoint in {MAX_ROUNDS} rounds")


def _serialise(triples: list[ox.Triple]) -> bytes:
    lines = sorted(f"{t.subject} {t.predicate} {t.object} .\n" for t in triples)
    return "".join(lines).encode("utf-8")


def materialise(asserted: Sequence[bytes], cache_dir: Path | None = None,
                rules: Sequence[InferenceRule] | None = None) -> Materialisation:
    """Return the entailed triples of the asserted N-Triples, from the cache when it is current."""
    rules = load_rules() if rules is None else rules
    started = time.perf_counter()
    cache_file = None
    if cache_dir is not None:
        cache_file = Path(cache_dir) / f"inferred-{_fingerprint(asserted, rules)}.nt"
        if cache_file.is_file():
            data = cache_file.read_bytes()
            return Materialisation(data, data.count(b"\n"), 0, time.perf_counter() - started, True)
    triples, rounds = _closure(asserted, rules)
    data = _serialise(triples)
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        # write then rename, so a reader never sees half a cache file
        with tempfile.NamedTemporaryFile(dir=cache_file.parent, delete=False) as handle:
            handle.write(data)
        os.replace(handle.name, cache_file)
    seconds = time.perf_counter() - started
    log.info("inferred %d triples in %d rounds (%.3f s)", len(triples), rounds, seconds)
    return Materialisation(data, len(triples), rounds, seconds, False)
