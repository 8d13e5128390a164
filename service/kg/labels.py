"""Find entities by what people call them: labels, synonyms, CURIEs, IRIs and external IDs.

The ``LabelIndex`` is built once per process from ``queries/internal/labels.rq`` and is read-only
afterwards, so request threads share it freely. Lookups never run SPARQL:

- ``resolve(value, types)`` turns one user-supplied value into exactly one entity, or raises
  ``EntityNotFound`` (with suggestions) or ``AmbiguousEntity`` (with the candidates). Tried in
  order, stopping at the first step that finds something of an accepted type: a full IRI, a CURIE
  (``lbp:gluteus-medius``) or an external ID matched through ``skos:exactMatch``
  (``UBERON:0001371``); then the label, an exact synonym, another synonym. Names compare
  case-insensitively, with hyphens, underscores and runs of spaces read as one space.
- ``search(q, limit, types)`` ranks entities for a search box: identifier, exact label, exact
  synonym, other synonym, label prefix, synonym prefix, label substring, synonym substring, all
  words as word prefixes ("glut med"). Within a rank, shorter names come first. It returns
  ``[{id, iri, label, type, typeLabel, matched, match}]``, best first, and examines at most
  ``LabelIndex.MAX_EXAMINED`` names however many match (see ``search_candidates``).
- ``suggest(text, types, limit)`` offers what a value that resolved to nothing may have meant: its
  search hits, then names spelt nearly like it (``service.kg.spelling.SpellingIndex``).
"""
from __future__ import annotations

import bisect
import itertools
import logging
import re
import threading
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from service.kg.catalog import read_query_file
from service.kg.vocabulary import compact_iri, expand_curie, prefixes
from service.paths import QUERIES_DIR
from service.kg.spelling import SpellingIndex
from service.store.oxigraph import cyclic_gc_paused

log = logging.getLogger(__name__)

LABELS_QUERY = QUERIES_DIR / "internal" / "labels.rq"
NAMED_INDIVIDUAL = "http://www.w3.org/2002/07/owl#NamedIndividual"
_KNOWN_PREFIXES = prefixes()
LBP = _KNOWN_PREFIXES["lbp"]

#: name kinds, in the order ``resolve`` tries them
NAME_KINDS = ("label", "exact-synonym", "synonym")
#: the synonym kinds of labels.rq, mapped to one string each (rather than one per row)
_SYNONYM_KINDS = {kind: kind for kind in NAME_KINDS[1:]}
#: search ranks, best first; the names are what a result's ``match`` says
MATCH_RANKS = ("identifier", "exact label", "exact synonym", "synonym", "label prefix", "synonym prefix",
               "label substring", "synonym substring", "word prefixes")
_SEPARATORS = re.compile(r"[\s_\-]+")


def normalise(text: str) -> str:
    """Return the comparison key of a name: case-folded, hyphens and spaces as single spaces."""
    return _SEPARATORS.sub(" ", text.casefold()).strip()


@dataclass(frozen=True, slots=True)
class Entity:
    """One named thing in the graph, as the index knows it."""

    iri: str
    label: str
    #: the asserted class shown to people (a CURIE), e.g. ``lbp:Muscle``
    type: str | None
    type_label: str | None
    #: every class it belongs to, superclasses included (IRIs)
    types: frozenset[str] = field(default_factory=frozenset)

    @property
    def curie(self) -> str:
        """The entity's CURIE (``lbp:gluteus-medius``), or its IRI when no known prefix fits."""
        return compact_iri(self.iri, _KNOWN_PREFIXES)

    def summary(self) -> dict:
        """Describe the entity in an API answer."""
        return {"id": self.curie, "iri": self.iri, "label": self.label,
                "type": self.type, "typeLabel": self.type_label}

    def fits(self, types: frozenset[str] | None) -> bool:
        """Say whether the entity is an instance of one of ``types`` (None accepts anything)."""
        return not types or not types.isdisjoint(self.types)


class EntityNotFound(LookupError):
    """No entity of an accepted type goes by the given value."""

    def __init__(self, value: str, suggestions: list[Entity], mismatched: list[Entity] | None = None):
        self.value = value
        self.suggestions = suggestions
        #: entities that go by the value but are not of an accepted type
        self.mismatched = mismatched or []
        if self.mismatched:
            kinds = ", ".join(f"{e.label} ({e.type_label or e.type})" for e in self.mismatched)
            message = f"{value!r} names {kinds}, which this parameter does not accept"
        else:
            message = f"no entity is called {value!r}"
        super().__init__(message)


class AmbiguousEntity(LookupError):
    """Several entities of the accepted types go by the given value."""

    def __init__(self, value: str, candidates: list[Entity]):
        self.value = value
        self.candidates = candidates
        super().__init__(f"{value!r} names {len(candidates)} entities; give a CURIE or IRI to choose one")


@dataclass(frozen=True, slots=True)
class _Name:
    key: str
    text: str
    kind: str
    iri: str


class LabelIndex:
    """An in-memory index of every entity's names and types (see the module docstring)."""

    #: names one search examines at most, however many match (the bundled ontology has some 540
    #: names, so a search of it examines every name that can match)
    MAX_EXAMINED = 2_000

    def __init__(self, entities: dict[str, Entity], names: list[_Name], exact_matches: dict[str, list[str]]):
        self._entities = entities
        self._names = names
        self._exact_matches = exact_matches
        buckets: dict[str, list[_Name]] = {}
        for name in names:
            buckets.setdefault(name.key, []).append(name)
        self._by_key = {key: tuple(bucket) for key, bucket in buckets.items()}
        self._spellings: SpellingIndex | None = None
        self._spellings_lock = threading.Lock()
        # every key on a line of its own: one str.find pass finds the names containing a text
        self._haystack = "\n".join(name.key for name in names)
        self._line_starts = array("q", itertools.accumulate((len(name.key) + 1 for name in names[:-1]), initial=0))
        self._prefix_keys: dict[bool, tuple[list[int], list[list[str]]]] | None = None
        self._prefix_keys_lock = threading.Lock()

    # -- building ---------------------------------------------------------------------------

    @classmethod
    @cyclic_gc_paused()
    def from_rows(cls, rows: Iterable[tuple[str, str, str]]) -> "LabelIndex":
        """Build the index from (entity IRI, kind, value) rows, as labels.rq returns them.

        Kinds: the name kinds (``NAME_KINDS``); "exact-match" (the value is an external IRI);
        "asserted-type" (a class the entity is asserted to be an instance of); "subclass-of" (the
        entity is a class, the value a direct superclass); "type" (a class it belongs to, taken as
        is). An entity's types are its asserted types, their superclasses and its "type" values.
        """
        labels: dict[str, list[str]] = {}
        synonyms: list[tuple[str, str, str]] = []
        exact_matches: dict[str, list[str]] = {}
        asserted: dict[str, set[str]] = {}
        given: dict[str, set[str]] = {}
        superclasses: dict[str, set[str]] = {}
        for iri, kind, value in rows:
            if kind == "label":
                labels.setdefault(iri, []).append(value)
            elif kind in _SYNONYM_KINDS:
                synonyms.append((iri, _SYNONYM_KINDS[kind], value))
            elif kind == "exact-match":
                exact_matches.setdefault(value, []).append(iri)
            elif kind == "asserted-type":
                asserted.setdefault(iri, set()).add(value)
            elif kind == "subclass-of":
                superclasses.setdefault(iri, set()).add(value)
            elif kind == "type":
                given.setdefault(iri, set()).add(value)
        first_label = {iri: min(values) for iri, values in labels.items()}
        # entities share their type facts: computed (and kept) once per distinct set of classes
        facts: dict[tuple[frozenset[str], frozenset[str]], tuple[str | None, str | None, frozenset[str]]] = {}
        entities: dict[str, Entity] = {}
        for iri, label in first_label.items():
            own, extra = frozenset(asserted.get(iri, ())), frozenset(given.get(iri, ()))
            shared = facts.get((own, extra))
            if shared is None:
                shown = _shown_type(own)
                shared = facts[(own, extra)] = (
                    compact_iri(shown, _KNOWN_PREFIXES) if shown else None,
                    first_label.get(shown) if shown else None,
                    _with_superclasses(own, superclasses) | extra,
                )
            entities[iri] = Entity(iri, label, *shared)
        names = [_name(v, "label", iri) for iri, values in labels.items() for v in values]
        names += [_name(v, kind, entities[iri].iri) for iri, kind, v in synonyms if iri in entities]
        names = [name for name in names if name.key]
        exact_matches = {ext: [entities[i].iri for i in iris if i in entities] for ext, iris in exact_matches.items()}
        return cls(entities, names, exact_matches)

    def to_record(self) -> dict:
        """Return the index as JSON-ready values, from which ``from_record`` rebuilds it quickly.

        Entities are numbered, and names and external IDs refer to them by number; entities of
        the same classes share one entry of type facts.
        """
        numbers = {iri: number for number, iri in enumerate(self._entities)}
        facts: dict[tuple[str | None, str | None, frozenset[str]], int] = {}
        entities = [[e.iri, e.label, facts.setdefault((e.type, e.type_label, e.types), len(facts))]
                    for e in self._entities.values()]
        return {
            "facts": [[shown, shown_label, sorted(types)] for shown, shown_label, types in facts],
            "entities": entities,
            # the key only when it differs from the text
            "names": [[numbers[n.iri], NAME_KINDS.index(n.kind), n.text, *([n.key] if n.key != n.text else [])]
                      for n in self._names],
            "exact_matches": {ext: [numbers[iri] for iri in iris] for ext, iris in self._exact_matches.items()},
        }

    @classmethod
    @cyclic_gc_paused()
    def from_record(cls, record: dict) -> "LabelIndex":
        """Rebuild an index from what ``to_record`` returned."""
        facts = [(shown, shown_label, frozenset(types)) for shown, shown_label, types in record["facts"]]
        entities = [Entity(iri, label, *facts[fact]) for iri, label, fact in record["entities"]]
        names = [_Name(key[0] if key else text, text, NAME_KINDS[kind], entities[number].iri)
                 for number, kind, text, *key in record["names"]]
        exact_matches = {ext: [entities[number].iri for number in numbers]
                         for ext, numbers in record["exact_matches"].items()}
        return cls({entity.iri: entity for entity in entities}, names, exact_matches)

    @classmethod
    def from_store(cls, store, query_file: Path = LABELS_QUERY) -> "LabelIndex":
        """Build the index by running ``labels.rq`` over a service store (OxigraphStore)."""
        solutions = store.query(read_query_file(query_file))
        return cls.from_rows((row["entity"].value, row["kind"].value, row["value"].value) for row in solutions)

    # -- looking up -------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._entities)

    def get(self, iri: str) -> Entity | None:
        """Return the entity with this IRI, or None."""
        return self._entities.get(iri)

    def resolve(self, value: str, types: Iterable[str] | None = None) -> Entity:
        """Return the one entity of the given types (class IRIs) that ``value`` names.

        Raises EntityNotFound (with suggestions) or AmbiguousEntity (with the candidates).
        """
        wanted = frozenset(types) if types else None
        text = value.strip()
        mismatched: list[Entity] = []
        steps = [self._by_identifier(text)] + [self._by_name(kind, normalise(text)) for kind in NAME_KINDS]
        for found in steps:
            fitting = [e for e in found if e.fits(wanted)]
            if len(fitting) == 1:
                return fitting[0]
            if len(fitting) > 1:
                raise AmbiguousEntity(value, sorted(fitting, key=lambda e: (e.label.casefold(), e.iri)))
            mismatched += [e for e in found if e not in mismatched]
        raise EntityNotFound(value, self.suggest(text, wanted), mismatched)

    def _by_identifier(self, text: str) -> list[Entity]:
        iri = self._identifier_iri(text)
        if iri is None:
            return []
        if iri in self._entities:
            return [self._entities[iri]]
        return [self._entities[i] for i in self._exact_matches.get(iri, ())]

    @staticmethod
    def _identifier_iri(text: str) -> str | None:
        if re.match(r"^[a-z][a-z0-9+.-]*:(//|[^\s]*$)", text, re.IGNORECASE) is None:
            return None
        return expand_curie(text, obo_ids=True) or text  # a CURIE, an OBO ID, or a full IRI

    def _by_name(self, kind: str, key: str) -> list[Entity]:
        iris = list(dict.fromkeys(name.iri for name in self._by_key.get(key, ()) if name.kind == kind))
        return [self._entities[iri] for iri in iris]

    def suggest(self, text: str, types: frozenset[str] | None = None, limit: int = 5) -> list[Entity]:
        """Return entities the user may have meant: search hits first, then near spellings."""
        found = [self._entities[hit["iri"]] for hit in self.search(text, limit=limit, types=types)]
        for key in self.spellings().close_matches(normalise(text), n=limit * 2):
            for kind in NAME_KINDS:
                for entity in self._by_name(kind, key):
                    if entity.fits(types) and entity not in found:
                        found.append(entity)
        return found[:limit]

    def spellings(self) -> "SpellingIndex":
        """Return the index of name spellings, built on first use (a second or so at a million triples)."""
        if self._spellings is None:
            with self._spellings_lock:
                if self._spellings is None:
                    self._spellings = SpellingIndex(self._by_key)
        return self._spellings

    def _keys_by_kind(self) -> dict[bool, tuple[list[int], list[list[str]]]]:
        """Return the label keys (True) and synonym keys (False) by length, as ``_keys_by_length`` does.

        Built on first use (80 ms and 1 MB at a million triples), so that reading an index stays quick.
        """
        if self._prefix_keys is None:
            with self._prefix_keys_lock:
                if self._prefix_keys is None:
                    self._prefix_keys = {
                        is_label: _keys_by_length(n.key for n in self._names if (n.kind == "label") == is_label)
                        for is_label in (True, False)}
        return self._prefix_keys

    def search(self, q: str, limit: int = 20, types: Iterable[str] | None = None) -> list[dict]:
        """Rank the entities whose identifier or names match ``q``, best first (see module docstring).

        The names are examined in rank order (``search_candidates``), so the ranks stay in order;
        within a rank the shortest names come first among those examined, which are all the names
        that match whenever fewer than ``MAX_EXAMINED`` names start with the query or contain its
        rarest word. It stops as soon as every name still to come ranks below a full page.
        """
        wanted = frozenset(types) if types else None
        key = normalise(q)
        if not key or limit <= 0:
            return []
        best: dict[str, tuple[int, int, str, str]] = {}
        placed = [0] * len(MATCH_RANKS)  # how many entities have each rank as their best

        def offer(iri: str, rank: int, matched: str) -> None:
            entity = self._entities[iri]
            if not entity.fits(wanted):
                return
            candidate = (rank, len(matched), entity.label.casefold(), matched)
            if iri not in best or candidate < best[iri]:
                if iri in best:
                    placed[best[iri][0]] -= 1
                placed[rank] += 1
                best[iri] = candidate

        for entity in self._by_identifier(q.strip()):
            offer(entity.iri, 0, q.strip())
        words = key.split()
        for name in self._candidates(key, words):
            rank = _rank(name, key, words)
            if rank is None:
                continue
            if sum(placed[:_STAGE_FLOOR[rank]]) >= limit:
                break  # this name and every one after it rank below a full page
            offer(name.iri, rank, name.text)
        ranked = sorted(best.items(), key=lambda item: (item[1][:3], item[0]))[:limit]
        return [{**self._entities[iri].summary(), "matched": matched, "match": MATCH_RANKS[rank]}
                for iri, (rank, _, _, matched) in ranked]

    def search_candidates(self, q: str) -> Iterator[_Name]:
        """Yield the names ``search`` examines for ``q``, in rank order, ``MAX_EXAMINED`` at most.

        The names equal to the query; then the labels starting with it and then the synonyms
        starting with it, each shortest first (then in key order); then the names containing its
        rarest word, in index order: substrings and word prefixes are among them, as each contains
        every word of the query (names already yielded come again, and count again).
        """
        key = normalise(q)
        return self._candidates(key, key.split()) if key else iter(())

    def _candidates(self, key: str, words: list[str]) -> Iterator[_Name]:
        in_rank_order = itertools.chain(self._by_key.get(key, ()), self._starting_with(key, is_label=True),
                                        self._starting_with(key, is_label=False), self._containing_rarest(words))
        return itertools.islice(in_rank_order, self.MAX_EXAMINED)

    def _starting_with(self, key: str, is_label: bool) -> Iterator[_Name]:
        """Yield each label (or synonym) longer than ``key`` that starts with it, shortest first."""
        lengths, keys_of_length = self._keys_by_kind()[is_label]
        for keys in keys_of_length[bisect.bisect_right(lengths, len(key)):]:
            at = bisect.bisect_left(keys, key)
            while at < len(keys) and keys[at].startswith(key):
                yield from (name for name in self._by_key[keys[at]] if (name.kind == "label") == is_label)
                at += 1

    def _containing_rarest(self, words: list[str]) -> Iterator[_Name]:
        """Yield each name containing the rarest of the words (the longest, of equally rare ones)."""
        # the fewest names to go through; a generator, so that words are only counted when reached
        rarest = min(dict.fromkeys(words), key=lambda word: (_sampled_count(self._haystack, word), -len(word)))
        yield from self._containing(rarest)

    def _containing(self, text: str) -> Iterator[_Name]:
        """Yield each name whose key contains ``text`` (normalised, so on one line), in index order."""
        at = self._haystack.find(text)
        while at != -1:
            line = bisect.bisect_right(self._line_starts, at) - 1
            yield self._names[line]
            end = self._haystack.find("\n", at)
            at = -1 if end == -1 else self._haystack.find(text, end + 1)


#: for a name of each rank, the best rank a name examined after it can newly earn: the names come
#: exact names first, then label prefixes, synonym prefixes, substrings and word prefixes
_STAGE_FLOOR = (0, 1, 1, 1, 4, 5, 6, 6, 6)


def _rank(name: _Name, key: str, words: list[str]) -> int | None:
    """Return the search rank (index in ``MATCH_RANKS``) of a name for the key, None if it does not match."""
    is_label = name.kind == "label"
    if name.key == key:
        return 1 if is_label else 2 if name.kind == "exact-synonym" else 3
    if name.key.startswith(key):
        return 4 if is_label else 5
    if key in name.key:
        return 6 if is_label else 7
    if len(words) > 1 and all(any(w.startswith(word) for w in name.key.split()) for word in words):
        return 8
    return None


#: a word's occurrences are counted in this many evenly spread slices of the haystack, of this many
#: characters: a fraction of a millisecond however long the haystack is
_SAMPLES, _SAMPLE_LENGTH = 16, 16_384


def _sampled_count(haystack: str, word: str) -> int:
    """Return how often ``word`` occurs in evenly spread slices of ``haystack`` (all of a short one)."""
    if len(haystack) <= _SAMPLES * _SAMPLE_LENGTH:
        return haystack.count(word)
    step = len(haystack) // _SAMPLES
    return sum(haystack.count(word, start, start + _SAMPLE_LENGTH) for start in range(0, step * _SAMPLES, step))


def _keys_by_length(keys: Iterable[str]) -> tuple[list[int], list[list[str]]]:
    """Return the distinct lengths of the keys, ascending, and the keys of each length, sorted."""
    by_length: dict[int, list[str]] = {}
    for key in sorted(set(keys)):
        by_length.setdefault(len(key), []).append(key)
    lengths = sorted(by_length)
    return lengths, [by_length[length] for length in lengths]


def _name(text: str, kind: str, iri: str) -> _Name:
    key = normalise(text)
    return _Name(text if key == text else key, text, kind, iri)  # most names are their own key: keep one string


def _with_superclasses(classes: frozenset[str], superclasses: dict[str, set[str]]) -> frozenset[str]:
    found, pending = set(classes), list(classes)
    while pending:
        for parent in superclasses.get(pending.pop(), ()):
            if parent not in found:
                found.add(parent)
                pending.append(parent)
    return frozenset(found)


def _shown_type(asserted: frozenset[str]) -> str | None:
    # Prefer the project's own classes; owl:NamedIndividual says nothing to a reader.
    candidates = sorted(t for t in asserted if t != NAMED_INDIVIDUAL)
    own = [t for t in candidates if t.startswith(LBP)]
    return (own or candidates or [None])[0]
