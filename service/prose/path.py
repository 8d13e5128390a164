"""The explained path from one term to another, as sentences grouped by their distance from the start.

Read from the public ``explain`` named query (one row per hop and source, with ?step: hops with
the same step are parallel branches, queries/explain.rq). Each hop becomes one true sentence
(service.prose.sentences) with its sources and sections; hops of the same step are listed
together, and the steps are numbered 1, 2, 3 ... in the order the query gives them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

from service.kg import ask
from service.kg.catalog import NamedQuery
from service.prose.lexicon import Reference, lexicon_for
from service.prose.sentences import Sentence, edge_sentence


@dataclass(frozen=True)
class PathLink:
    """One hop of the path: the sentence, who says so (source and section), and the curators' note."""

    sentence: Sentence
    references: tuple[Reference, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class PathStep:
    """The hops at one distance from the start: one hop, or several side by side."""

    number: int
    links: tuple[PathLink, ...]


@dataclass(frozen=True)
class ExplainedPath:
    """The path from ``start`` to ``end`` (their labels), step by step; no steps: no causal path."""

    start: str
    end: str
    steps: tuple[PathStep, ...]


def explain_path(kb, explain: NamedQuery, arguments: Mapping[str, str],
                 href_for: Callable[[str], str]) -> ExplainedPath:
    """Answer ``explain`` for ``arguments`` (from, to) and arrange its hops as numbered steps.

    Raises what ``service.kg.ask.ask`` raises when an argument names no term or several.
    """
    lexicon = lexicon_for(kb)
    hops: dict[tuple[str, str, str], dict] = {}
    start = end = ""
    for row in ask.ask(kb, explain, arguments):
        start, end = lexicon.label(row["from"].value), lexicon.label(row["to"].value)
        edge = (row["subject"].value, row["relation"].value, row["object"].value)
        hop = hops.setdefault(edge, {"step": int(row["step"].value), "references": [], "notes": []})
        if row["source"] is not None:
            reference = Reference(lexicon.citation(row["source"].value),
                                  row["section"].value if row["section"] is not None else None,
                                  href_for(row["source"].value))
            if reference not in hop["references"]:
                hop["references"].append(reference)
        if row["evidence"] is not None and row["evidence"].value not in hop["notes"]:
            hop["notes"].append(row["evidence"].value)
    by_step: dict[int, list[PathLink]] = {}
    for (subject, relation, object_), hop in hops.items():
        by_step.setdefault(hop["step"], []).append(PathLink(
            sentence=edge_sentence(lexicon, subject, relation, object_, href_for),
            references=tuple(hop["references"]), notes=tuple(hop["notes"])))
    steps = tuple(PathStep(number, tuple(sorted(links, key=lambda link: link.sentence.text)))
                  for number, (_, links) in enumerate(sorted(by_step.items()), start=1))
    return ExplainedPath(start=start, end=end, steps=steps)
