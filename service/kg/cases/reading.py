"""How the case modules read the graph: one query file per question, rows as plain values, IRIs as CURIEs."""
from __future__ import annotations

from pathlib import Path

from service.kg.catalog import read_query_file
from service.kg.vocabulary import compact_iri, prefixes
from service.paths import QUERIES_DIR

PREFIXES = prefixes()
INTERNAL = QUERIES_DIR / "internal"


def rows(kb, query: str | Path, substitutions=None) -> list:
    """Run one of the case's queries (a name in queries/internal/, or a path) over the asserted graphs."""
    text = read_query_file(INTERNAL / f"{query}.rq" if isinstance(query, str) else query)
    return list(kb.store.query(text, substitutions=substitutions))


def value(row, name: str) -> str | None:
    """Return the lexical value of a row's binding, or None where it is unbound."""
    return None if row[name] is None else row[name].value


def curie(iri: str | None) -> str | None:
    """Return an IRI as a CURIE where a prefix fits (lbp:psoas-tightness), else the IRI."""
    return compact_iri(iri, PREFIXES) if iri else None
