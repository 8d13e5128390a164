"""Ask a named question: resolve each argument to one entity, bind it, run the query.

The one path from "compensators, muscle=glute med" to an answer. The web view, the gate's
comparison of answers before and after an extension, the tests and the benchmark all call it:
``resolve_arguments`` turns user-supplied values into entity IRIs (service.kg.labels), and ``ask``
runs the query with them bound as terms (never pasted into the text) over the asserted graphs,
since named queries report sourced claims. Before that, for a search box: ``exactly_named`` tells
whether a text is one term's name, and ``suggest_questions`` which catalogue questions a typed
question seems to ask, with the terms it names as arguments.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Iterable, Mapping

from service.kg.catalog import MissingParameter, NamedQuery, Parameter
from service.kg.labels import AmbiguousEntity, Entity, EntityNotFound, LabelIndex


class UnknownParameters(ValueError):
    """Arguments named parameters the query does not have."""

    def __init__(self, query: NamedQuery, names: list[str]):
        self.query = query
        self.names = names
        super().__init__(f"query {query.name!r} has no parameter {', '.join(map(repr, names))}")


class UnresolvedArgument(LookupError):
    """One argument named no entity of an accepted type, or several; ``cause`` says which."""

    def __init__(self, parameter: Parameter, value: str, cause: EntityNotFound | AmbiguousEntity):
        self.parameter = parameter
        self.value = value
        self.cause = cause
        super().__init__(f"{parameter.name}: {cause}")


def resolve_arguments(query: NamedQuery, arguments: Mapping[str, str], index: LabelIndex,
                      ignored: Iterable[str] = ()) -> dict[str, str]:
    """Return each parameter's entity IRI, resolved from ``arguments`` (labels, synonyms, CURIEs, IRIs).

    Names in ``ignored`` are not parameters and are passed over (``format`` on the web). Raises
    UnknownParameters, MissingParameter or UnresolvedArgument.
    """
    unknown = sorted(set(arguments) - {p.name for p in query.parameters} - set(ignored))
    if unknown:
        raise UnknownParameters(query, unknown)
    iris: dict[str, str] = {}
    for parameter in query.parameters:
        value = (arguments.get(parameter.name) or "").strip()
        if not value:
            raise MissingParameter(query, parameter)
        try:
            iris[parameter.name] = index.resolve(value, parameter.type_iris or None).iri
        except (EntityNotFound, AmbiguousEntity) as err:
            raise UnresolvedArgument(parameter, value, err) from None
    return iris


def ask(kb, query: NamedQuery, arguments: Mapping[str, str]):
    """Answer a named query over a knowledge base's asserted graphs, in pyoxigraph's result shapes."""
    iris = resolve_arguments(query, arguments, kb.labels)
    return kb.store.query(query.text, substitutions=query.bind(iris) if iris else None)


# -- from a typed question to a named query -------------------------------------------------------
#
# A person types "which muscles compensate when gluteus medius is inhibited" into a search box.
# The terms it names are found as the longest runs of words that are exactly some entity's name;
# the other words are compared, by their stems, with each catalogue question's title and
# description, rarer words counting more. A question whose parameters the named terms fill, in
# the order typed, is offered ready to ask; one that lacks a term is offered as a blank form.

#: words that say nothing about which question is meant
_FILLER_WORDS = frozenset(
    "a about an and any are as at be by can could do does for from has have how i in into is it its me "
    "my of on or should that the their them there these this those to was were what when where which "
    "who whom why will with would".split())
#: search ranks that mean a run of words is exactly the entity's name (service.kg.labels.MATCH_RANKS)
_EXACT_RANKS = frozenset({"identifier", "exact label", "exact synonym", "synonym"})
#: the longest run of words tried as a name, and the most words of a question read at all, so that
#: the work per request stays bounded however long the text
_LONGEST_NAME, _MOST_WORDS = 6, 30
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


@dataclass(frozen=True)
class Mention:
    """A run of typed words that is exactly the name of one or more entities."""

    start: int
    end: int
    text: str
    entities: tuple[Entity, ...]


@dataclass(frozen=True)
class SuggestedQuestion:
    """A catalogue question a typed text seems to ask, with the terms it named as arguments."""

    query: NamedQuery
    #: parameter name -> the entity the text named for it (parameters left blank are absent)
    arguments: dict[str, Entity]
    #: how well the words matched the question (higher is better; only comparable within one text)
    score: float

    @property
    def complete(self) -> bool:
        """Whether every parameter has an argument, so the question can be asked as it stands."""
        return len(self.arguments) == len(self.query.parameters)


def exactly_named(text: str, index: LabelIndex) -> Entity | None:
    """Return the one entity ``text`` names exactly, else None (nothing, or several of a kind).

    As ``LabelIndex.resolve`` reads a name: an identifier before a label, a label before a synonym.
    """
    hits = [hit for hit in index.search(text, limit=3) if hit["match"] in _EXACT_RANKS]
    best = [hit for hit in hits if hit["match"] == hits[0]["match"]] if hits else []
    return index.get(best[0]["iri"]) if len(best) == 1 else None


def _stem(word: str) -> str:
    """A crude stem, enough to match "inhibited" with "inhibits" and "compensate" with "compensators"."""
    word = word[:-1] if len(word) > 3 and word.endswith("s") else word
    return word[:5]


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())[:_MOST_WORDS]


def mentions(text: str, index: LabelIndex) -> list[Mention]:
    """Return the runs of words in ``text`` that are entity names, longest first, not overlapping; in text order."""
    words = _words(text)
    taken = [False] * len(words)
    found: list[Mention] = []
    for length in range(min(_LONGEST_NAME, len(words)), 0, -1):
        for start in range(len(words) - length + 1):
            span = words[start:start + length]
            if any(taken[start:start + length]) or all(word in _FILLER_WORDS for word in span):
                continue
            phrase = " ".join(span)
            hits = [h for h in index.search(phrase, limit=5) if h["match"] in _EXACT_RANKS]
            if hits:
                found.append(Mention(start, start + length, phrase, tuple(index.get(h["iri"]) for h in hits)))
                taken[start:start + length] = [True] * length
    return sorted(found, key=lambda mention: mention.start)


def _question_stems(query: NamedQuery) -> set[str]:
    return {_stem(word) for word in _words(f"{query.title} {query.description}") if word not in _FILLER_WORDS}


def _fill(query: NamedQuery, named: list[Mention]) -> tuple[dict[str, Entity], set[int]]:
    """Give each parameter, in header order, the first unused mention naming an entity it accepts.

    Returns the arguments and the word positions of the mentions used.
    """
    arguments: dict[str, Entity] = {}
    used: set[int] = set()
    for parameter in query.parameters:
        accepted = frozenset(parameter.type_iris) or None
        for mention in named:
            fitting = [entity for entity in mention.entities if entity.fits(accepted)]
            if mention.start not in used and fitting:
                arguments[parameter.name] = fitting[0]
                used.update(range(mention.start, mention.end))
                break
    return arguments, used


def suggest_questions(text: str, queries: Iterable[NamedQuery], index: LabelIndex,
                      limit: int = 3) -> list[SuggestedQuestion]:
    """Return the catalogue questions ``text`` seems to ask, best first: ready ones (the more terms
    they take, the better) before blank forms.

    A question is offered only when some word of the text, besides the terms it takes as
    arguments, is a word of the question's title or description, and only when it matches at
    least half as well as the best. Words inside a term's name
    count as question words when the question does not take that term ("inhibits" names a
    relation, and asks for the inhibitors).
    """
    queries = list(queries)
    words = _words(text)
    named = mentions(text, index)
    stems = {query.name: _question_stems(query) for query in queries}
    typed = {_stem(word) for word in words if word not in _FILLER_WORDS}
    # a word found in few questions tells them apart better than one found in many ("muscle")
    weight = {stem: math.log(1 + len(queries) / sum(stem in own for own in stems.values()))
              for stem in typed if any(stem in own for own in stems.values())}
    offered = []
    for query in queries:
        arguments, used = _fill(query, named)
        asked = {_stem(word) for position, word in enumerate(words)
                 if position not in used and word not in _FILLER_WORDS}
        score = sum(weight.get(stem, 0.0) for stem in asked & stems[query.name])
        if score > 0:
            # of questions matching as well, the one with fewest other words is nearest the text
            offered.append(SuggestedQuestion(query, arguments, score + score / (score + len(stems[query.name]))))
    # a question matching less than half as well as the best is noise beside it
    best = max((s.score for s in offered), default=0.0)
    offered = [s for s in offered if s.score >= best / 2]
    offered.sort(key=lambda s: (not s.complete, -len(s.arguments), -s.score, s.query.name))
    return offered[:limit]
