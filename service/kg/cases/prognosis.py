"""The prognosis note of a teaching case: what to expect, for how long the pattern has stood.

The graph holds one prognosis statement that holds whatever the duration and one per duration
(``lbp:forDuration``, care.ttl), each with its source, section and hedge, read by the public
``prognosis`` query. A case gives the general statement and the one for its duration; with no
duration given, both durations' statements, so the reader sees what the answer turns on.
"""
from __future__ import annotations

import pyoxigraph as ox

from service.kg.cases.reading import curie, rows, value
from service.kg.vocabulary import LBP
from service.paths import QUERIES_DIR

#: the durations a case may give, and the graph's individual for each
DURATION_IRIS = {"recent": LBP + "duration-recent", "long-standing": LBP + "duration-long-standing"}


def _statements(kb, condition: str) -> list[dict]:
    """Every prognosis statement for the condition, in the query's order (general first)."""
    found: dict[str, dict] = {}
    for row in rows(kb, QUERIES_DIR / "prognosis.rq", {ox.Variable("condition"): ox.NamedNode(condition)}):
        iri = value(row, "prognosis")
        statement = found.setdefault(iri, {
            "prognosis": curie(iri), "label": value(row, "prognosisLabel"), "statement": value(row, "statement"),
            "forDuration": value(row, "durationLabel"), "durationIri": value(row, "duration"),
            "hedges": [], "notes": [], "source": curie(value(row, "source")),
            "sourceLabel": value(row, "sourceLabel"), "section": value(row, "section")})
        for key, name in (("hedges", "hedge"), ("notes", "note")):
            if value(row, name) and value(row, name) not in statement[key]:
                statement[key].append(value(row, name))
    return list(found.values())


def prognosis_note(kb, condition: str | None, duration: str | None) -> dict | None:
    """Return the case's prognosis: the statement for ``duration`` (or the general one when none is
    given) at the top level, and under ``statements`` every statement that applies."""
    if not condition or not (statements := _statements(kb, condition)):
        return None
    general = [s for s in statements if s["durationIri"] is None]
    wanted = DURATION_IRIS.get(duration)
    specific = [s for s in statements if s["durationIri"] is not None and (wanted is None or s["durationIri"] == wanted)]
    chosen = (specific if wanted and specific else general or statements)[0]
    for statement in statements:
        statement.pop("durationIri")
    top = {key: chosen[key] for key in ("prognosis", "label", "statement", "hedges", "notes", "source",
                                        "sourceLabel", "section")}
    return {**top, "duration": duration, "statements": general + specific}
