"""Keep queries off the network: refuse SERVICE, updates and foreign FROM graphs before evaluation.

Oxigraph evaluates ``SERVICE <url>`` by making the HTTP request, so a query naming a service
must never reach it. ``inspect_query`` reads the query's tokens (service.store.sparql_tokens, the
grammar's own terminals: a keyword inside a string, an IRI, an escaped local name or a comment is
not a keyword) without parsing it; the parser itself runs later, in a query worker. The guard
also refuses what would crash or stall a parser (nesting deeper than ``MAX_NESTING``) and names
an undeclared prefix, so the client gets a message it can act on.

The guard is the first line, not the only one: every client query is evaluated in a worker
process that service.engine.network_lock has locked out of the network (service.engine.sandbox).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin

from service.store.sparql_tokens import VALUE_KINDS, Token, nesting_depth, pname_parts, tokenize

log = logging.getLogger(__name__)

UPDATE_KEYWORDS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD"})
NETWORK_KEYWORDS = frozenset({"SERVICE", "LOAD"})
#: braces, parentheses and brackets nested deeper than this are refused before any parser runs
#: (the deepest named query, explain, nests 10; 5,000 nested OPTIONALs crash a parser's stack)
MAX_NESTING = 64


class QueryRefused(ValueError):
    """The query asks for something this service never does (remote calls, updates), or cannot be read."""


@dataclass(frozen=True)
class QueryInspection:
    """What the guard learnt from a query's text: the graphs its FROM and FROM NAMED clauses name."""

    from_graphs: tuple[str, ...] = ()
    from_named_graphs: tuple[str, ...] = ()

    @property
    def names_dataset(self) -> bool:
        """Whether the query itself names its dataset (FROM or FROM NAMED)."""
        return bool(self.from_graphs or self.from_named_graphs)


def where(token: Token) -> str:
    """Say where a token is, for messages: ``line 2, column 7``."""
    return f"line {token.line}, column {token.column}"


def iri_of(token: Token, prefixes: dict[str, str], base: str | None) -> str | None:
    """Return the IRI an IRIREF or a prefixed name stands for (None for anything else)."""
    if token.kind == "iri":
        iri = token.text[1:-1]
        return urljoin(base, iri) if base and ":" not in iri.split("/", 1)[0] else iri
    if token.kind == "pname":
        prefix, local = pname_parts(token)
        if prefix in prefixes:
            return prefixes[prefix] + local
    return None


def declarations(tokens: list[Token]) -> tuple[dict[str, str], str | None]:
    """Return the prefixes the text declares (PREFIX p: <iri>) and its last BASE."""
    prefixes: dict[str, str] = {}
    base = None
    for index, token in enumerate(tokens):
        following = tokens[index + 1:index + 3]
        if token.is_word("PREFIX") and len(following) == 2 and following[0].kind == "pname" \
                and following[0].text.endswith(":") and following[1].kind == "iri":
            prefixes[following[0].text[:-1]] = following[1].text[1:-1]
        elif token.is_word("BASE") and following and following[0].kind == "iri":
            base = following[0].text[1:-1]
    return prefixes, base


def refuse_network_and_updates(tokens: list[Token], *, allow_updates: bool = False) -> None:
    """Raise QueryRefused if any reading of the text has SERVICE, LOAD or (unless allowed) an update.

    Inside parentheses ``<`` after a value may be "less than" rather than the start of an IRI
    (``FILTER(?a<?b)SERVICE?s#>``): the parser reads it so, and a ``#`` further on then starts a
    comment. Such an "IRI" is therefore read as query text too, and refused if it hides a keyword.
    """
    for token in _every_reading(tokens):
        if token.kind != "name":
            continue
        word = token.upper
        if word == "SERVICE":
            raise QueryRefused(f"SERVICE is not allowed ({where(token)}): this endpoint answers from its "
                               "own graphs only and never calls other endpoints")
        if word in UPDATE_KEYWORDS and not allow_updates:
            raise QueryRefused(f"{word} is SPARQL Update ({where(token)}); this endpoint is read-only and "
                               "answers queries (SELECT, ASK, CONSTRUCT, DESCRIBE) only")
        if word in NETWORK_KEYWORDS:
            raise QueryRefused(f"{word} is not allowed ({where(token)}): it fetches a document from the "
                               "network; send the triples themselves")


def _every_reading(tokens: list[Token]):
    depth = 0
    previous: Token | None = None
    for token in tokens:
        yield token
        if token.kind == "other":
            depth += token.text == "("
            depth -= token.text == ")" and depth > 0
        elif (token.kind == "iri" and depth and previous is not None
              and (previous.kind in VALUE_KINDS or previous.is_punctuation(")"))):
            for inner in tokenize(token.text[1:-1]):
                yield Token(inner.kind, inner.text, token.start + 1 + inner.start, token.line,
                            token.column + 1 + inner.start)
        previous = token


def refuse_deep_nesting(tokens: list[Token]) -> None:
    """Raise QueryRefused if braces, parentheses or brackets nest deeper than MAX_NESTING."""
    depth, token = nesting_depth(tokens)
    if depth > MAX_NESTING:
        raise QueryRefused(f"the text nests braces, parentheses or brackets {depth} deep (deeper than "
                           f"{MAX_NESTING} at {where(token)}); flatten the query")


def refuse_undeclared_prefixes(tokens: list[Token], prefixes: dict[str, str]) -> None:
    """Raise QueryRefused naming the first prefixed name whose prefix is never declared."""
    for token in tokens:
        if token.kind == "pname":
            prefix = token.text.split(":", 1)[0]
            if prefix not in prefixes:
                raise QueryRefused(f"unknown prefix {prefix}: in {token.text} ({where(token)}); declare it "
                                   f"first, e.g. PREFIX {prefix}: <https://example.org/ns#>")


@lru_cache(maxsize=1024)  # clients repeat the same queries; tokenizing one costs ~100 us
def inspect_query(sparql: str, base_iri: str | None = None) -> QueryInspection:
    """Refuse what must never be evaluated (QueryRefused); return the graphs FROM clauses name.

    ``base_iri`` resolves relative IRIs in FROM clauses when the query declares no BASE.
    """
    tokens = tokenize(sparql)
    refuse_deep_nesting(tokens)
    refuse_network_and_updates(tokens)
    prefixes, base = declarations(tokens)
    refuse_undeclared_prefixes(tokens, prefixes)
    base = base or base_iri
    from_graphs: list[str] = []
    from_named: list[str] = []
    for index, token in enumerate(tokens):
        if not token.is_word("FROM"):
            continue
        following = tokens[index + 1:index + 3]
        named = bool(following) and following[0].is_word("NAMED")
        target = following[1] if named and len(following) > 1 else following[0] if following else token
        iri = iri_of(target, prefixes, base)
        if iri is None:
            raise QueryRefused(f"cannot read the graph named after FROM{' NAMED' if named else ''} "
                               f"({target.text}, {where(target)}); name it with a full IRI such as <https://...>")
        (from_named if named else from_graphs).append(iri)
    return QueryInspection(tuple(from_graphs), tuple(from_named))


#: The kind of answer each query form gives (the names engine.results uses).
_FORM_KINDS = {"SELECT": "solutions", "ASK": "boolean", "CONSTRUCT": "graph", "DESCRIBE": "graph"}


@lru_cache(maxsize=1024)
def answer_kind(sparql: str) -> str | None:
    """Return the kind of answer the query gives ("solutions", "boolean", "graph"), None if unknown.

    The query form is the first of SELECT, ASK, CONSTRUCT, DESCRIBE after the prologue (a
    subquery's SELECT comes later, inside the WHERE clause), so negotiation can offer exactly
    what this query can be served as.
    """
    for token in tokenize(sparql):
        if token.kind == "name" and token.upper in _FORM_KINDS:
            return _FORM_KINDS[token.upper]
    return None
