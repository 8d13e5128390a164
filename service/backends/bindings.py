"""Bind query variables in the query text, for engines that take no substitutions of their own.

``bind_with_values`` opens the query's WHERE clause with a one-row VALUES block, so the bound
value is known before the rest of the pattern is evaluated, as pyoxigraph's substitutions are.
(A trailing VALUES clause would be joined only after grouping.) Terms are written in their
N-Triples form by pyoxigraph, whose terms are validated when made: an IRI cannot carry a ``>``,
a space or a brace, and a literal's quotes and backslashes are escaped, so a value can never
change the query's structure. Keywords are found with the query guard's tokenizer, so a
``WHERE`` inside a string, an IRI or a comment is never taken for the clause.
"""
from __future__ import annotations

from typing import Mapping

import pyoxigraph as ox

from service.query_guard import _TOKEN

_OPENING_FORMS = {"SELECT", "ASK"}  # the forms whose WHERE keyword is optional


def _term(term) -> str:
    if isinstance(term, (ox.NamedNode, ox.Literal)):
        return str(term)
    raise TypeError(f"only IRIs and literals can be bound, not {type(term).__name__}")


def _group_opening(sparql: str) -> int | None:
    """Return the offset just after the ``{`` opening the WHERE clause; None for a bare DESCRIBE."""
    seen_where, form = False, None
    for match in _TOKEN.finditer(sparql):
        kind, text = match.lastgroup, match.group()
        if kind == "name":
            word = text.upper()
            if word == "WHERE":
                seen_where = True
            elif form is None and word in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
                form = word
        elif kind == "other" and text == "{" and (seen_where or form in _OPENING_FORMS):
            return match.end()
    if form == "DESCRIBE":
        return None
    raise ValueError("the query has no WHERE clause to bind its parameters in")


def bind_with_values(sparql: str, substitutions: Mapping[str, object]) -> str:
    """Return ``sparql`` with the variables (name -> pyoxigraph term) bound by a VALUES block."""
    if not substitutions:
        return sparql
    variables = " ".join(f"?{name}" for name in substitutions)
    values = " ".join(_term(term) for term in substitutions.values())
    block = f"VALUES ({variables}) {{ ({values}) }}"
    at = _group_opening(sparql)
    if at is None:  # DESCRIBE ?x with no WHERE clause: give it one that binds ?x
        return f"{sparql.rstrip()}\nWHERE {{ {block} }}\n"
    return f"{sparql[:at]}\n  {block}\n{sparql[at:]}"


def with_base(sparql: str, base_iri: str | None) -> str:
    """Return ``sparql`` resolving relative IRIs against ``base_iri`` (a BASE in the query wins)."""
    if not base_iri:
        return sparql
    return f"BASE {ox.NamedNode(base_iri)}\n{sparql}"
