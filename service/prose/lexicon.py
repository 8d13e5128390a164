"""What sentences need to know about the graph's terms: labels, kinds, whose state a state is, sources.

Built once per graph version (``lexicon_for``) from the label index and the
``queries/internal/prose-*.rq`` queries; every sentence, summary and path list reads it.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from service.kg.catalog import read_query_file
from service.kg.labels import LabelIndex
from service.kg.vocabulary import LBP
from service.paths import QUERIES_DIR

MUSCLE_GROUP = LBP + "MuscleGroup"
#: The states named by their muscle and an adjective ("inhibited gluteus medius"); guarding and
#: tissue states keep their own names ("lumbar spinal compression"), which already read as nouns.
STATE_ADJECTIVES = {
    LBP + "TightState": "tight",
    LBP + "InhibitedState": "inhibited",
    LBP + "OverloadedState": "overloaded",
}
#: Endings of a group's label that make it plural ("lumbar extensors", "erector spinae"), and the
#: singular endings among them ("iliopsoas"): only groups are ever plural here.
_PLURAL_ENDINGS = ("s", "ae")
_SINGULAR_ENDINGS = ("ss", "as", "is", "us")


@lru_cache(maxsize=None)
def internal_query(name: str) -> str:
    """Return the text of queries/internal/<name>.rq (read once per process)."""
    return read_query_file(QUERIES_DIR / "internal" / f"{name}.rq")


@dataclass(frozen=True)
class Citation:
    """A source as a reader recognises it: title, author and year, and where to read about it."""

    iri: str
    title: str
    #: the curators' short name for it ("Key 2010: Janda's crossed syndromes"), for inline citations
    label: str
    author: str | None = None
    year: str | None = None
    #: a DOI or web address of the publication itself, when the graph records one
    link: str | None = None

    @property
    def short(self) -> str:
        """Return the short name before the label's colon ("Lau", "Key 2010"), for inline citations."""
        return self.label.split(":", 1)[0]

    @property
    def full(self) -> str:
        """Return "title, author, year" (whatever of them is known)."""
        return ", ".join(part for part in (self.title, self.author, self.year) if part)


@dataclass(frozen=True)
class Reference:
    """Who makes a claim and where: a source and the section of it (when the claim names one)."""

    citation: Citation
    section: str | None = None
    #: where a reader goes for the source: its page here, or its own address
    href: str | None = None


class Lexicon:
    """Labels, kinds and owners of the graph's terms, the relations' ancestry, and the sources."""

    def __init__(self, index: LabelIndex, owners: dict[str, str], parents: dict[str, set[str]],
                 citations: dict[str, Citation]):
        self.index = index
        self.owners = owners
        self.parents = parents
        self.citations = citations

    @classmethod
    def from_store(cls, store, index: LabelIndex) -> "Lexicon":
        """Read the lexicon of one graph version (three small queries over the asserted graphs)."""
        owners = {row["state"].value: row["owner"].value for row in store.query(internal_query("prose-states"))}
        parents: dict[str, set[str]] = {}
        for row in store.query(internal_query("prose-relation-parents")):
            parents.setdefault(row["relation"].value, set()).add(row["parent"].value)
        found: dict[str, dict[str, list[str]]] = {}
        for row in store.query(internal_query("prose-sources")):
            fields = found.setdefault(row["source"].value, {})
            for name in ("label", "title", "creator", "issued", "identifier"):
                if row[name] is not None and row[name].value not in fields.setdefault(name, []):
                    fields[name].append(row[name].value)
        citations = {iri: _citation(iri, fields) for iri, fields in found.items()}
        return cls(index, owners, parents, citations)

    def label(self, iri: str) -> str:
        entity = self.index.get(iri)
        return entity.label if entity else iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1]

    def types(self, iri: str) -> frozenset[str]:
        entity = self.index.get(iri)
        return entity.types if entity else frozenset()

    def owner(self, iri: str) -> str | None:
        """Return the muscle, group or structure ``iri`` is a state of, if it is a state."""
        return self.owners.get(iri)

    def state_adjective(self, iri: str) -> str | None:
        """Return "tight", "inhibited" or "overloaded" for a muscle's state of that kind, else None."""
        types = self.types(iri)
        return next((word for cls, word in STATE_ADJECTIVES.items() if cls in types), None)

    def is_plural(self, iri: str) -> bool:
        """Say whether the term's name is plural: a muscle group such as "lumbar extensors"."""
        if MUSCLE_GROUP not in self.types(iri):
            return False
        name = self.label(iri).lower()
        return name.endswith(_PLURAL_ENDINGS) and not name.endswith(_SINGULAR_ENDINGS)

    def ancestors(self, relation: str) -> list[str]:
        """Return the relation and the relations above it (rdfs:subPropertyOf), nearest first."""
        order, frontier = [relation], [relation]
        while frontier:
            frontier = [p for r in frontier for p in sorted(self.parents.get(r, ())) if p not in order]
            order.extend(dict.fromkeys(frontier))
        return order

    def citation(self, iri: str) -> Citation:
        """Return how to cite ``iri``: an lbp:Source's title, author and year, or a web page's site."""
        if iri in self.citations:
            return self.citations[iri]
        site = urlsplit(iri).hostname or iri
        site = site.removeprefix("www.")
        return Citation(iri=iri, title=site, label=site, link=iri)


def _citation(iri: str, fields: dict[str, list[str]]) -> Citation:
    first = {name: sorted(values)[0] for name, values in fields.items() if values}
    identifier = first.get("identifier")
    label = first.get("label") or first.get("title") or iri
    return Citation(iri=iri, title=first.get("title") or label, label=label,
                    author=first.get("creator"), year=(first.get("issued") or "")[:4] or None,
                    link=identifier if identifier and identifier.startswith("http") else None)


def lexicon_for(kb) -> Lexicon:
    """Return the lexicon of a knowledge base's graph version, built once for that version."""
    return kb.derived(("prose", "lexicon"), lambda: Lexicon.from_store(kb.store, kb.labels))
