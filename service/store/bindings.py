"""Bind query variables in the query text, for engines that take no substitutions of their own.

``bind_with_values`` binds a variable wherever pyoxigraph's substitution (SEP-0007) reaches: it
opens the query's WHERE clause with a one-row VALUES block, and the WHERE clause of every
subquery that projects the variable (by name or with ``SELECT *``) with the same block. A block
at the top alone would not do: SPARQL evaluates a subquery before joining it, so a subquery that
starts from its parameter (as the named queries do, to be fast on large graphs) would start from
the whole graph instead and keep an arbitrary row. A subquery that does not project the variable
has its own variable of that name, which stays free, as do the subqueries nested in it. The
block comes first, so the bound value is known before the rest of the pattern is evaluated; a
trailing VALUES clause would be joined only after grouping.

Terms are written in their N-Triples form by pyoxigraph, whose terms are validated when made: an
IRI cannot carry a ``>``, a space or a brace, and a literal's quotes and backslashes are escaped,
so a value can never change the query's structure. Keywords and braces are found with the grammar's
tokenizer (service.store.sparql_tokens), so a ``WHERE`` or a ``{`` inside a string, an IRI or a comment is never taken
for part of the query.
"""
from __future__ import annotations

from typing import Mapping, NamedTuple

import pyoxigraph as ox

from service.store.sparql_tokens import Token, tokenize

_FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}


class _Insertion(NamedTuple):
    at: int
    text: str


def _term(term) -> str:
    if isinstance(term, (ox.NamedNode, ox.Literal)):
        return str(term)
    raise TypeError(f"only IRIs and literals can be bound, not {type(term).__name__}")


def _is(token: Token, text: str) -> bool:
    """Whether ``token`` is the punctuation or keyword ``text`` (never part of a string or IRI)."""
    return token.is_punctuation(text) or token.is_word(text)


class _Binder:
    """Walk a query's groups, recording where each variable's VALUES block goes."""

    def __init__(self, tokens: list[Token], values: dict[str, str]):
        self.tokens = tokens
        self.values = values  # variable name -> the term written in SPARQL
        self.insertions: list[_Insertion] = []

    def where_clause(self) -> int | None:
        """Return the index of the ``{`` opening the query's WHERE clause; None for a bare DESCRIBE."""
        tokens = self.tokens
        form = next((i for i, t in enumerate(tokens) if t.kind == "name" and t.text.upper() in _FORMS), None)
        if form is None:
            raise ValueError("the query has no form (SELECT, ASK, CONSTRUCT or DESCRIBE)")
        at = form + 1
        if _is(tokens[form], "CONSTRUCT") and at < len(tokens) and _is(tokens[at], "{"):
            at = self.skip(at)  # the template comes before the WHERE clause
        depth = 0  # inside parentheses, a brace belongs to an expression (EXISTS) in the projection
        while at < len(tokens):
            token = tokens[at]
            if _is(token, "{") and depth == 0:
                return at
            if _is(token, "{"):
                at = self.skip(at)
                continue
            depth += _is(token, "(") - _is(token, ")")
            at += 1
        if _is(tokens[form], "DESCRIBE"):
            return None
        raise ValueError("the query has no WHERE clause to bind its parameters in")

    def skip(self, opening: int) -> int:
        """Return the index after the ``}`` closing the group opened at ``opening``, binding nothing."""
        return self.group(opening, ())

    def bind(self, opening: int, names: tuple[str, ...]) -> int:
        """Open the group at ``opening`` with a VALUES block binding ``names``; return the index after it."""
        variables = " ".join(f"?{name}" for name in names)
        terms = " ".join(self.values[name] for name in names)
        block = f"VALUES ({variables}) {{ ({terms}) }}"
        if not self._opens_subquery(opening):
            self.insertions.append(_Insertion(self.tokens[opening].end, f"\n  {block}\n"))
            return self.group(opening, names)
        # a group that is a subquery takes nothing beside it: the subquery becomes a group in it
        after = self.group(opening, names)
        self.insertions.append(_Insertion(self.tokens[opening].end, f" {block} {{"))
        self.insertions.append(_Insertion(self.tokens[after - 1].start, "} "))
        return after

    def group(self, opening: int, names: tuple[str, ...]) -> int:
        """Walk the group at ``opening``, in which ``names`` are bound; return the index after it."""
        if self._opens_subquery(opening):
            return self.subquery(opening, names)
        at = opening + 1
        while not _is(self.tokens[at], "}"):
            at = self.group(at, names) if _is(self.tokens[at], "{") else at + 1
        return at + 1

    def subquery(self, opening: int, names: tuple[str, ...]) -> int:
        """Walk ``{ SELECT ... }`` at ``opening``, binding the ``names`` it projects inside it."""
        tokens = self.tokens
        at, depth, projected, every = opening + 2, 0, set(), False
        while not (_is(tokens[at], "{") and depth == 0):
            token = tokens[at]
            if _is(token, "{"):
                at = self.skip(at)
                continue
            depth += _is(token, "(") - _is(token, ")")
            if depth == 0 and token.kind == "var":
                projected.add(token.text[1:])  # a variable named in (expression AS ?v) is depth 1
            every = every or (depth == 0 and _is(token, "*"))
            at += 1
        inner = tuple(name for name in names if every or name in projected)
        at = self.bind(at, inner) if inner else self.skip(at)
        while not _is(tokens[at], "}"):  # solution modifiers and a trailing VALUES clause
            at = self.skip(at) if _is(tokens[at], "{") else at + 1
        return at + 1

    def _opens_subquery(self, opening: int) -> bool:
        following = self.tokens[opening + 1] if opening + 1 < len(self.tokens) else None
        return following is not None and _is(following, "SELECT")


def bind_with_values(sparql: str, substitutions: Mapping[str, object]) -> str:
    """Return ``sparql`` with the variables (name -> pyoxigraph term) bound by VALUES blocks."""
    if not substitutions:
        return sparql
    values = {name: _term(term) for name, term in substitutions.items()}
    binder = _Binder(tokenize(sparql), values)
    try:
        opening = binder.where_clause()
        if opening is None:  # DESCRIBE ?x with no WHERE clause: give it one that binds ?x
            variables = " ".join(f"?{name}" for name in values)
            return f"{sparql.rstrip()}\nWHERE {{ VALUES ({variables}) {{ ({' '.join(values.values())}) }} }}\n"
        binder.bind(opening, tuple(values))
    except IndexError:
        raise ValueError("the query's braces are unbalanced; it cannot be bound") from None
    text, done = [], 0
    for insertion in sorted(binder.insertions, key=lambda insertion: insertion.at):
        text += [sparql[done:insertion.at], insertion.text]
        done = insertion.at
    return "".join(text) + sparql[done:]


def with_base(sparql: str, base_iri: str | None) -> str:
    """Return ``sparql`` resolving relative IRIs against ``base_iri`` (a BASE in the query wins)."""
    if not base_iri:
        return sparql
    return f"BASE {ox.NamedNode(base_iri)}\n{sparql}"
