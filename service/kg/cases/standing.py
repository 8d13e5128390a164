"""The standing of a teaching case's drivers and targets: what other sources say of the claims
about them, and plainly where the guidelines stand.

Read from ``queries/internal/case-standing.rq`` (the evidence model of ontology/README.md, "The
standing of a claim"): every claim weighed by an evidence statement, with the statement's stance,
source and the source's kind. A claim is about a driver when the driver is its subject or object;
about a target when it is the target node itself or the edge "its treatment treats its muscle's
state", which is where the guidelines' positions on needling are recorded.
"""
from __future__ import annotations

from collections import defaultdict

from service.kg.cases.reading import PREFIXES, curie, rows, value
from service.kg.vocabulary import LBP, expand_curie

CLINICAL_GUIDELINE = LBP + "source-kind-clinical-guideline"
NO_STANDING = "the graph records no other source's view of the claims about this"
NO_GUIDELINE = "no guideline position is recorded in the graph"
#: how the guidelines' stances add up, in plain words
POSITIONS = {"supports": "guidelines support it", "disputes": "guidelines dispute it",
             "mixed": "guidelines give a mixed view", "no evidence found": "guidelines found no evidence"}


def _claims_of(drivers, plan) -> tuple[dict, dict]:
    """Return what each item is (kind, label) and which claim ends make a claim about it."""
    items = {d["iri"]: ("driver", d["label"]) for d in drivers}
    edges = {}
    for target in plan:
        iri = expand_curie(target["target"], PREFIXES)
        items[iri] = ("target", target["label"])
        edges[(expand_curie(target["treatment"], PREFIXES), expand_curie(target["answers"]["state"], PREFIXES))] = iri
    return items, edges


def _about(row, items, edges) -> set[str]:
    subject, obj = value(row, "subject"), value(row, "object")
    about = {end for end in (subject, obj) if end in items}
    if (subject, obj) in edges:
        about.add(edges[(subject, obj)])
    return about


def _claim_text(kb, row) -> str:
    def label(iri):
        entity = kb.labels.get(iri) if iri else None
        return entity.label if entity else curie(iri)
    if value(row, "relation") is None:
        return label(value(row, "subject"))
    return f"{label(value(row, 'subject'))} {value(row, 'relationLabel') or curie(value(row, 'relation'))} {label(value(row, 'object'))}"


def guideline_position(entries: list[dict]) -> dict:
    """Sum up the guideline statements weighing an item: the position, in words, and who says what."""
    by_stance: dict[str, dict] = {}
    for entry in entries:
        stance = by_stance.setdefault(entry["stanceLabel"], {"stance": entry["stance"], "stanceLabel": entry["stanceLabel"],
                                                             "sources": []})
        if (entry["statement"], entry["source"]) not in [(s["statement"], s["source"]) for s in stance["sources"]]:
            stance["sources"].append({k: entry[k] for k in ("source", "sourceLabel", "statement", "label", "certainty", "claims")})
    stances = sorted(by_stance)
    if not stances:
        position, words = "none", NO_GUIDELINE
    elif len(stances) == 1:
        position, words = stances[0], POSITIONS.get(stances[0], f"guidelines: {stances[0]}")
    else:
        position, words = "divided", "guidelines are divided"
    summary = words + "".join(
        f"; {stance}: " + ", ".join(s["sourceLabel"] for s in by_stance[stance]["sources"]) for stance in stances)
    return {"position": position, "summary": summary, "byStance": [by_stance[s] for s in stances]}


def evidence(kb, drivers: list[dict], plan: list[dict]) -> list[dict]:
    """For each driver and target of a case: the statements weighing the claims about it, a count per
    stance, and where the guidelines stand (``guidelines``)."""
    items, edges = _claims_of(drivers, plan)
    statements = defaultdict(dict)
    guidelines = defaultdict(dict)
    for row in rows(kb, "case-standing"):
        for iri in _about(row, items, edges):
            key = (value(row, "statement"), value(row, "subject"), value(row, "relation"), value(row, "object"))
            statements[iri][key] = {
                "statement": curie(value(row, "statement")), "label": value(row, "statementLabel"),
                "stance": curie(value(row, "stance")), "stanceLabel": value(row, "stanceLabel"),
                "source": curie(value(row, "statementSource")), "sourceLabel": value(row, "statementSourceLabel"),
                "certainty": value(row, "certainty"),
                "claim": {"subject": curie(value(row, "subject")), "relation": curie(value(row, "relation")),
                          "relationLabel": value(row, "relationLabel"), "object": curie(value(row, "object")),
                          "source": curie(value(row, "claimSource"))}}
            if value(row, "statementSourceKind") == CLINICAL_GUIDELINE:
                entry = guidelines[iri].setdefault((value(row, "statement"), value(row, "statementSource")), {
                    **{k: statements[iri][key][k] for k in ("statement", "label", "stance", "stanceLabel", "source",
                                                           "sourceLabel", "certainty")}, "claims": []})
                if (text := _claim_text(kb, row)) not in entry["claims"]:
                    entry["claims"].append(text)
    out = []
    for iri, (kind, label) in items.items():
        found = sorted(statements[iri].values(), key=lambda s: (s["stanceLabel"] or "", s["label"] or "", s["claim"]["relation"] or ""))
        stances = defaultdict(int)
        for s in found:
            stances[s["stanceLabel"]] += 1
        positions = sorted(guidelines[iri].values(), key=lambda e: (e["stanceLabel"] or "", e["sourceLabel"] or ""))
        out.append({"about": curie(iri), "label": label, "kind": kind, "stances": dict(sorted(stances.items())),
                    "statements": found, "guidelines": guideline_position(positions),
                    "note": None if found else NO_STANDING})
    return out
