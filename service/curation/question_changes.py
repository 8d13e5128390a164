"""Compare the answers to the competency questions (queries/*.rq) with and without an extension.

Each named query is run over two stores, the base and the base plus the extension: once with the
values of its ``# example:`` header lines (a query without parameters needs none) and, for a
query with one parameter, once for each new term the parameter accepts, so that the answers
about the extension's own terms are shown too. Rows are compared as sets, with blank nodes
(which differ between stores) read as one value, and shown by the labels of their entities.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

import pyoxigraph as ox

from service.kg.catalog import Catalog, NamedQuery
from service.kg.ask import UnresolvedArgument, ask
from service.kg.knowledge import KnowledgeBase
from service.kg.labels import AmbiguousEntity, EntityNotFound, LabelIndex
from service.kg.vocabulary import compact_iri
from service.kg.ontology import Module
from service.store import OxigraphStore

#: new terms a query is asked about, at most (the rest are counted in a note)
MAX_NEW_TERM_RUNS = 5
#: added or removed rows shown in text, per answer
MAX_ROWS_SHOWN = 8


@dataclass
class AnswerChange:
    """How one answer (a query with given arguments) differs between the base and the extension."""

    query: str
    title: str
    arguments: dict[str, str] = field(default_factory=dict)
    before: int | None = None
    after: int | None = None
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    error: str | None = None
    skipped: bool = False

    @property
    def heading(self) -> str:
        """The query name with its arguments, e.g. ``attachments (muscle=psoas minor)``."""
        shown = ", ".join(f"{name}={value}" for name, value in self.arguments.items())
        return f"{self.query} ({shown})" if shown else self.query

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)

    def as_dict(self) -> dict:
        """Return the change as JSON-ready data."""
        return {"query": self.query, "title": self.title, "arguments": self.arguments, "rows_before": self.before,
                "rows_after": self.after, "added": self.added, "removed": self.removed, "error": self.error,
                "skipped": self.skipped}

    def as_text(self) -> str:
        """Return a heading with the row counts, then the added (+) and removed (-) rows."""
        before = "no such term in the base" if self.before is None else f"{self.before} row(s)"
        lines = [f"{self.heading}: {before} -> {self.after} row(s), +{len(self.added)} -{len(self.removed)}"]
        for sign, rows in (("+", self.added), ("-", self.removed)):
            lines += [f"    {sign} {row}" for row in rows[:MAX_ROWS_SHOWN]]
            if len(rows) > MAX_ROWS_SHOWN:
                lines.append(f"    {sign} ... {len(rows) - MAX_ROWS_SHOWN} more")
        return "\n  ".join(lines)


def compare_answers(base_modules: list[Module], extension_modules: list[Module], new_terms: Iterable,
                    catalog: Catalog | None = None) -> list[AnswerChange]:
    """Answer every named query over the base and over base plus extension; return the differences."""
    catalog = catalog if catalog is not None else Catalog.load()
    before = KnowledgeBase(base_modules, OxigraphStore.from_modules(base_modules))
    extended = [*base_modules, *extension_modules]
    after = KnowledgeBase(extended, OxigraphStore.from_modules(extended))
    changes = []
    for query in catalog:
        for arguments in _argument_sets(query, after.labels, new_terms):
            change = AnswerChange(query=query.name, title=query.title, arguments=arguments or {})
            if arguments is None:
                change.skipped = True
            else:
                _compare(change, query, before, after)
            changes.append(change)
    return changes


def _argument_sets(query: NamedQuery, index: LabelIndex, new_terms: Iterable):
    if not query.parameters:
        yield {}
        return
    examples = dict(query.examples)
    yield examples if set(examples) == {p.name for p in query.parameters} else None
    if len(query.parameters) == 1:
        parameter = query.parameters[0]
        accepted = frozenset(parameter.type_iris) or None
        fitting = [entity for entity in map(index.get, map(str, new_terms)) if entity and entity.fits(accepted)]
        for entity in fitting[:MAX_NEW_TERM_RUNS]:
            yield {parameter.name: _name_for(entity, index, accepted)}


def _name_for(entity, index: LabelIndex, accepted) -> str:
    """Return the entity's label when it names the entity alone, else its CURIE."""
    try:
        return entity.label if index.resolve(entity.label, accepted).iri == entity.iri else entity.curie
    except (EntityNotFound, AmbiguousEntity):
        return entity.curie


def _compare(change: AnswerChange, query: NamedQuery, before, after) -> None:
    after_rows, after_error = _answer(query, change.arguments, after)
    before_rows, before_error = _answer(query, change.arguments, before)
    if after_error and before_error:
        change.skipped = True
        change.error = None
        return
    if after_error:
        change.error = f"answered before the extension, but now: {after_error}"
        return
    index = after.labels
    before_count, after_count = Counter(before_rows or []), Counter(after_rows)
    change.before = None if before_error else len(before_rows)
    change.after = len(after_rows)
    change.added = sorted(_row_text(row, query.columns, index) for row in (after_count - before_count).elements())
    change.removed = sorted(_row_text(row, query.columns, index) for row in (before_count - after_count).elements())


def _answer(query: NamedQuery, arguments: dict, kb):
    """Return (rows, None) or (None, why the arguments could not be resolved)."""
    try:
        result = ask(kb, query, arguments)
    except UnresolvedArgument as err:
        return None, str(err)
    if isinstance(result, ox.QuerySolutions):
        return [tuple(_term_key(solution[v]) for v in result.variables) for solution in result], None
    if isinstance(result, ox.QueryBoolean):
        return [(("literal", str(bool(result)), None),)], None
    return [tuple(_term_key(t) for t in (triple.subject, triple.predicate, triple.object)) for triple in result], None


def _term_key(term) -> tuple | None:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return ("iri", term.value)
    if isinstance(term, ox.Literal):
        return ("literal", term.value, term.language)
    return ("blank",)  # blank node identifiers differ between the two stores


def _row_text(row: tuple, columns: tuple[str, ...], index: LabelIndex) -> str:
    """Show a row as ``column: value`` pairs, entities by label, leaving out the xLabel columns."""
    names = columns or tuple(f"column{i + 1}" for i in range(len(row)))
    parts = []
    for name, key in zip(names, row):
        if key is None or (name.endswith("Label") and name[:-5] in names):
            continue
        if key[0] == "iri":
            entity = index.get(key[1])
            value = entity.label if entity else compact_iri(key[1])
        elif key[0] == "literal":
            value = key[1]
        else:
            value = "[]"
        parts.append(f"{name}: {value}")
    return "; ".join(parts)
