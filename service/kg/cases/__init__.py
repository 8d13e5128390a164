"""Teaching cases: from a patient's findings to the likely drivers, a treatment plan and the reasons.

Everything in an answer is read from the graph by ``queries/internal/case-*.rq`` (and the public
``prognosis.rq``); nothing clinical is written here. What this module adds is the walk over the
graph's edges and a scoring that can be explained (docs/cases.md):

A finding evidences a state it ``lbp:indicates`` (weight 3) or that causes it (weight 2); states
upstream of an evidenced state by ``h`` causal edges share that support divided by ``1 + h``; a
state's score sums its findings' best supports. A driver leading to another state of the case is
upstream; the others are where the pattern shows ("the back is the victim rather than the cause").
The plan takes the targets whose muscle's state the case implicates, ranked targets first; a target
the source makes conditional (a "where ..." hedge) needs a finding that evidences its state
directly. A red flag stops the reasoning: the answer says to refer, with no plan. docs/cases.md
gives the rules in full, with a worked example.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Mapping

from service.kg.cases.prognosis import DURATION_IRIS, prognosis_note
from service.kg.cases.reading import curie as _id, rows as _rows, value as _v
from service.kg.cases.standing import evidence
from service.kg.labels import AmbiguousEntity, Entity, EntityNotFound, LabelIndex
from service.kg.vocabulary import LBP

DISCLAIMER = ("For teaching only: this is a reading of the graph's sources for a made-up case, not a "
              "diagnosis and not advice for a real patient, who needs a clinician's assessment.")
REFERRAL = ("A red flag is present: refer for urgent medical assessment. No treatment plan is given "
            "while a red flag stands.")

WEIGHT_INDICATES = 3.0
WEIGHT_EXPLAINS = 2.0
#: drivers for which toConfirm lists further findings
CONFIRM_TOP = 3
MAX_FINDINGS = 30
DURATIONS = tuple(DURATION_IRIS)

CLINICAL_FEATURE = LBP + "ClinicalFeature"
RED_FLAG = LBP + "RedFlag"
DYSFUNCTION_STATE = LBP + "DysfunctionState"
INDICATES = LBP + "indicates"
# The protocols of these two treatments are what the plan says about delivery: electro-
# stimulation's are the sequencing options, motor point acupuncture's the first-session note.
ELECTRO_STIMULATION = LBP + "electro-stimulation"
MOTOR_POINT_ACUPUNCTURE = LBP + "motor-point-acupuncture"



class CaseError(ValueError):
    """The case cannot be answered as asked; ``details`` says what to change."""

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.details = details


@dataclass(frozen=True)
class CaseRequest:
    """A case: the findings as typed, how long the pattern has lasted, whether acupuncture is new."""
    findings: tuple[str, ...]
    duration: str | None = None
    new_to_acupuncture: bool = False


def parse_case(body) -> CaseRequest:
    """Check a request body ({"findings": [...], "duration": ..., "newToAcupuncture": ...})."""
    if not isinstance(body, Mapping):
        raise CaseError("the body must be a JSON object with a 'findings' list")
    unknown = sorted(set(body) - {"findings", "duration", "newToAcupuncture"})
    if unknown:
        raise CaseError(f"unknown field(s): {', '.join(unknown)}", fields=unknown,
                        accepts=["findings", "duration", "newToAcupuncture"])
    findings = body.get("findings")
    if isinstance(findings, str):
        findings = [findings]
    if not isinstance(findings, list) or not all(isinstance(f, str) for f in findings):
        raise CaseError("'findings' must be a list of strings (labels, synonyms, CURIEs or IRIs)")
    if not (findings := [f.strip() for f in findings if f.strip()]):
        raise CaseError("no findings: give at least one in 'findings'")
    if len(findings) > MAX_FINDINGS:
        raise CaseError(f"at most {MAX_FINDINGS} findings per case", limit=MAX_FINDINGS)
    duration = body.get("duration")
    if duration is not None and duration not in DURATIONS:
        raise CaseError(f"'duration' must be one of {', '.join(DURATIONS)}", accepts=list(DURATIONS))
    new = body.get("newToAcupuncture", False)
    if not isinstance(new, bool):
        raise CaseError("'newToAcupuncture' must be true or false")
    return CaseRequest(tuple(findings), duration, new)


def resolve_findings(values, index: LabelIndex) -> list[Entity]:
    """Resolve each value to one clinical feature, as named-query parameters are; report all misses."""
    accepted = frozenset({CLINICAL_FEATURE})
    resolved: list[Entity] = []
    problems = []
    for value in values:
        try:
            entity = index.resolve(value, accepted)
        except EntityNotFound as err:
            problems.append({"value": value, "problem": "unknown", "message": str(err),
                             "suggestions": [e.summary() for e in err.suggestions]})
        except AmbiguousEntity as err:
            problems.append({"value": value, "problem": "ambiguous", "message": str(err),
                             "candidates": [e.summary() for e in err.candidates]})
        else:
            if entity.iri not in {e.iri for e in resolved}:
                resolved.append(entity)
    if problems:
        names = ", ".join(repr(p["value"]) for p in problems)
        raise CaseError(f"these findings name no single symptom, sign or red flag: {names}",
                        findings=problems, accepts=["lbp:ClinicalFeature"])
    return resolved


# --- reading the graph ------------------------------------------------------------------------


def _claim_json(claims: dict) -> list[dict]:
    return [{"source": _id(src), "sourceLabel": c["label"], "section": c["section"], "hedges": sorted(c["hedges"])}
            for src, c in sorted(claims.items())]


class _Graph:
    """The clinical edges, indexed both ways, with each edge's claims."""

    def __init__(self, kb):
        self.labels: dict[str, str] = {}
        self.edges: dict[tuple, dict] = {}
        self.out: dict[str, list[tuple]] = defaultdict(list)
        self.into: dict[str, list[tuple]] = defaultdict(list)
        for row in _rows(kb, "case-edges"):
            s, p, o = _v(row, "subject"), _v(row, "relation"), _v(row, "object")
            for iri, label in ((s, "subjectLabel"), (p, "relationLabel"), (o, "objectLabel")):
                self.labels.setdefault(iri, _v(row, label) or _id(iri))
            key = (s, p, o)
            if key not in self.edges:
                self.edges[key] = {}
                self.out[s].append(key)
                self.into[o].append(key)
            if source := _v(row, "source"):
                claim = self.edges[key].setdefault(source, {"label": _v(row, "sourceLabel"),
                                                            "section": _v(row, "section"), "hedges": set()})
                if _v(row, "hedge"):
                    claim["hedges"].add(_v(row, "hedge"))

    def edge_json(self, key) -> dict:
        s, p, o = key
        return {"subject": _id(s), "subjectLabel": self.labels[s], "relation": _id(p),
                "relationLabel": self.labels[p], "object": _id(o), "objectLabel": self.labels[o],
                "claims": _claim_json(self.edges[key])}

    def causal(self, key) -> bool:
        return key[1] != INDICATES

    def ancestors(self, start: str) -> dict[str, tuple]:
        """Each state upstream of ``start`` with its shortest causal path (edges, cause first)."""
        return self._walk(start, upstream=True)

    def descendants(self, start: str) -> dict[str, tuple]:
        """Each node downstream of ``start`` with its shortest causal path (edges, ``start`` first)."""
        return self._walk(start, upstream=False)

    def _walk(self, start: str, upstream: bool) -> dict[str, tuple]:
        # breadth first, nodes in IRI order: the shortest path, and the same one every time
        paths: dict[str, tuple] = {start: ()}
        frontier = [start]
        while frontier:
            following = []
            for node in sorted(frontier):
                for key in (self.into if upstream else self.out)[node]:
                    reached = key[0] if upstream else key[2]
                    if self.causal(key) and reached not in paths:
                        paths[reached] = (key,) + paths[node] if upstream else paths[node] + (key,)
                        following.append(reached)
            frontier = following
        return paths


def _graph(kb) -> _Graph:
    # one walkable copy per graph version: the knowledge base is rebuilt after every write
    if "cases.graph" not in kb.extras:
        kb.extras["cases.graph"] = _Graph(kb)
    return kb.extras["cases.graph"]


# --- reasoning ------------------------------------------------------------------------------


def _support(graph: _Graph, findings: list[Entity]):
    """Return {state: {finding: (weight, path)}} and the set of directly evidenced states."""
    support: dict[str, dict[str, tuple]] = defaultdict(dict)
    evidenced: set[str] = set()
    for finding in findings:
        f = finding.iri
        direct = [(k[2], WEIGHT_INDICATES, (k,)) for k in graph.out[f] if k[1] == INDICATES]
        direct += [(k[0], WEIGHT_EXPLAINS, (k,)) for k in graph.into[f] if graph.causal(k)]
        for state, base, first in direct:
            evidenced.add(state)
            for ancestor, path in graph.ancestors(state).items():
                hops = len(path)
                weight = base / (1 + hops)
                chain = path + first
                best = support[ancestor].get(f)
                if best is None or (-weight, len(chain), chain) < (-best[0], len(best[1]), best[1]):
                    support[ancestor][f] = (weight, chain)
    return support, evidenced


def _is_state(index: LabelIndex, iri: str) -> bool:
    entity = index.get(iri)
    return bool(entity and DYSFUNCTION_STATE in entity.types)


def _drivers(kb, graph, findings):
    support, evidenced = _support(graph, findings)
    scores = {s: sum(w for w, _ in by_finding.values()) for s, by_finding in support.items()
              if _is_state(kb.labels, s)}
    ranked = sorted(scores, key=lambda s: (-scores[s], -len(support[s]), graph.labels.get(s, s)))
    implicated = set(ranked) | {s for s in evidenced if _is_state(kb.labels, s)}
    labels = {f.iri: f.label for f in findings}
    drivers = []
    for rank, state in enumerate(ranked, 1):
        shows_as = sorted({k[2] for k in graph.out[state] if graph.causal(k) and not _is_state(kb.labels, k[2])
                           and CLINICAL_FEATURE in (kb.labels.get(k[2]).types if kb.labels.get(k[2]) else ())})
        drivers.append({
            "rank": rank, "state": _id(state), "iri": state, "label": graph.labels.get(state),
            "score": round(scores[state], 3), "findings": len(support[state]),
            "evidencedDirectly": state in evidenced,
            "showsAs": [{"feature": _id(s), "label": graph.labels.get(s)} for s in shows_as],
            "because": [{"finding": _id(f), "findingLabel": labels[f], "weight": round(w, 3),
                         "edges": [graph.edge_json(k) for k in chain]}
                        for f, (w, chain) in sorted(support[state].items(), key=lambda i: (-i[1][0], labels[i[0]]))],
        })
    return drivers, scores, evidenced


def _roles(graph, drivers, evidenced, plan_states):
    """Mark each driver upstream when it leads to another state of the case, else where it shows."""
    case_states = {d["iri"] for d in drivers} | set(evidenced) | set(plan_states)
    for driver in drivers:
        downstream = graph.descendants(driver["iri"])
        leads_to = sorted(s for s in case_states if s != driver["iri"] and s in downstream)
        driver["role"] = "upstream" if leads_to else "where it shows"
        driver["leadsTo"] = [{"state": _id(s), "label": graph.labels.get(s)} for s in leads_to]


def _plan(kb, graph, drivers, scores, evidenced):
    pattern: dict[str, tuple] = {}
    for state in sorted(evidenced):
        for node, path in graph.descendants(state).items():
            if _is_state(kb.labels, node) and (node not in pattern or len(path) < len(pattern[node])):
                pattern[node] = path
    for d in drivers:
        pattern.setdefault(d["iri"], ())
    targets: dict[str, dict] = {}
    for row in _rows(kb, "case-targets"):
        t = _v(row, "target")
        target = targets.setdefault(t, {
            "target": _id(t), "label": _v(row, "targetLabel"), "muscle": _id(_v(row, "muscle")),
            "muscleLabel": _v(row, "muscleLabel"), "state": _v(row, "state"),
            "condition": _v(row, "condition"), "conditionLabel": _v(row, "conditionLabel"),
            "priority": int(_v(row, "priority")) if _v(row, "priority") else None,
            "treatment": _id(_v(row, "treatment")), "treatmentLabel": _v(row, "treatmentLabel"),
            "indication": _v(row, "indication"), "hedges": set(), "motorPoints": {},
            "source": _id(_v(row, "source")), "sourceLabel": _v(row, "sourceLabel"), "section": _v(row, "section")})
        target["hedges"].update(filter(None, [_v(row, "hedge")]))
        if point := _v(row, "motorPoint"):
            target["motorPoints"][point] = {"motorPoint": _id(point), "label": _v(row, "motorPointLabel"),
                                            "muscle": _v(row, "pointMuscleLabel"), "location": _v(row, "location")}
    plan, left_out = [], []
    for target in targets.values():
        state = target.pop("state")
        hedges = sorted(target.pop("hedges"))
        target.update(hedges=hedges, motorPoints=sorted(target["motorPoints"].values(), key=lambda p: p["label"] or ""),
                      answers={"state": _id(state), "label": graph.labels.get(state) or _id(state)})
        conditional = [h for h in hedges if h.casefold().startswith("where")]
        if state not in pattern:
            left_out.append({**target, "reason": "no finding of this case implicates "
                             f"{graph.labels.get(state) or _id(state)}"})
        elif conditional and state not in evidenced:
            left_out.append({**target, "reason": f"the source treats this muscle only {conditional[0]}, and no "
                             f"finding of this case points to {graph.labels.get(state)} directly"})
        else:
            why = ("a finding of this case points to it directly" if state in evidenced
                   else "it lies upstream of what the findings show" if scores.get(state)
                   else "it lies downstream of a state the findings show")
            target["why"] = {"summary": why, "score": round(scores.get(state, 0.0), 3),
                             "edges": [graph.edge_json(k) for k in pattern[state]]}
            if conditional:
                target["conditionMet"] = f"{conditional[0]}: met, a finding points to {graph.labels.get(state)} directly"
            plan.append((target, state))
    plan.sort(key=lambda ts: (ts[0]["priority"] is None, ts[0]["priority"] or 0, -scores.get(ts[1], 0.0), ts[0]["label"]))
    left_out.sort(key=lambda t: t["label"])
    for target in left_out:
        del target["condition"]
    return [t for t, _ in plan], [s for _, s in plan], left_out


def _protocols(kb, new_to_acupuncture: bool):
    grouped: dict[str, dict] = {}
    for row in _rows(kb, "case-protocols"):
        p = _v(row, "protocol")
        entry = grouped.setdefault(p, {"treatment": _v(row, "treatment"), "protocol": _id(p),
                                       "label": _v(row, "protocolLabel"), "definition": _v(row, "definition"),
                                       "when": _v(row, "indication"), "hedges": [], "source": _id(_v(row, "source")),
                                       "sourceLabel": _v(row, "sourceLabel"), "section": _v(row, "section")})
        if _v(row, "hedge") and _v(row, "hedge") not in entry["hedges"]:
            entry["hedges"].append(_v(row, "hedge"))
    sequencing = [dict(e, treatment=_id(e["treatment"])) for e in grouped.values() if e["treatment"] == ELECTRO_STIMULATION]
    first = [dict(e, treatment=_id(e["treatment"]), applies=new_to_acupuncture)
             for e in grouped.values() if e["treatment"] == MOTOR_POINT_ACUPUNCTURE]
    return sequencing, first


def _to_confirm(kb, graph, drivers, findings):
    given = {f.iri for f in findings}
    assessments = defaultdict(list)
    for row in _rows(kb, "case-assessments"):
        assessments[_v(row, "finding")].append({"assessment": _id(_v(row, "assessment")), "label": _v(row, "assessmentLabel"),
                                                "source": _id(_v(row, "source")), "section": _v(row, "section")})
    out = []
    for driver in drivers[:CONFIRM_TOP]:
        state = driver["iri"]
        keys = [k for k in graph.into[state] if k[1] == INDICATES] + [k for k in graph.out[state] if graph.causal(k)]
        candidates: dict[str, dict] = {}
        for key in sorted(keys):
            feature = key[0] if key[1] == INDICATES else key[2]
            entity = kb.labels.get(feature)
            if feature in given or not entity or CLINICAL_FEATURE not in entity.types:
                continue
            candidate = candidates.setdefault(feature, {"finding": _id(feature), "label": graph.labels.get(feature),
                                                        "edges": [], "assessments": assessments.get(feature, [])})
            candidate["edges"].append(graph.edge_json(key))
        candidates = sorted(candidates.values(), key=lambda c: c["label"] or "")
        out.append({"driver": driver["state"], "label": driver["label"], "findings": candidates})
    return out


def _red_flags(kb, flags: list[Entity]):
    wanted = {f.iri for f in flags}
    out: dict[str, dict] = {}
    for row in _rows(kb, "case-red-flags"):
        flag = _v(row, "flag")
        if flag in wanted:
            entry = out.setdefault(flag, {"finding": _id(flag), "label": _v(row, "flagLabel"),
                                          "referral": _v(row, "referral"), "sources": []})
            if _v(row, "source"):
                entry["sources"].append({"source": _id(_v(row, "source")), "sourceLabel": _v(row, "sourceLabel"),
                                         "section": _v(row, "section")})
    return [out[f.iri] for f in flags if f.iri in out]


def finding_menu(kb) -> dict[str, list[dict]]:
    """The findings for the case page's checklist: red flags, history (symptoms), palpation and
    movement (signs an assessment of muscles or of movements reveals), and observation (the rest)."""
    groups: dict[str, dict[str, str]] = {name: {} for name in ("history", "movement", "palpation", "observation", "red flags")}
    for row in _rows(kb, "case-findings"):
        kind, examines = _v(row, "kind"), _v(row, "examinesKind") or ""
        group = ("red flags" if kind == RED_FLAG else "history" if kind.endswith("Symptom")
                 else "movement" if examines.endswith("Action") else "palpation" if examines else "observation")
        groups[group][_id(_v(row, "finding"))] = _v(row, "label")
    return {name: [{"id": i, "label": label} for i, label in items.items()] for name, items in groups.items()}


def answer_case(kb, request: CaseRequest) -> dict:
    """Answer a teaching case over ``kb`` (raises CaseError for findings that resolve badly)."""
    findings = resolve_findings(request.findings, kb.labels)
    flags = [f for f in findings if RED_FLAG in f.types]
    answer = {"disclaimer": DISCLAIMER,
              "redFlags": _red_flags(kb, flags),
              "findings": [{**f.summary(), "kind": f.type_label, "redFlag": RED_FLAG in f.types} for f in findings],
              "duration": request.duration, "newToAcupuncture": request.new_to_acupuncture}
    if flags:
        answer.update(referral=REFERRAL, drivers=[], plan=None, toConfirm=[], evidence=[])
        return answer
    graph = _graph(kb)
    drivers, scores, evidenced = _drivers(kb, graph, findings)
    targets, target_states, left_out = _plan(kb, graph, drivers, scores, evidenced)
    _roles(graph, drivers, evidenced, target_states)
    sequencing, first_session = _protocols(kb, request.new_to_acupuncture)
    condition = next((t["condition"] for t in targets), None)
    for target in targets:
        target.pop("condition")
    answer.update(referral=None, drivers=drivers, plan={
        "targets": targets, "leftOut": left_out, "stimulationSequencing": sequencing,
        "firstSession": first_session, "prognosis": prognosis_note(kb, condition, request.duration)},
        toConfirm=_to_confirm(kb, graph, drivers, findings), evidence=evidence(kb, drivers, targets))
    return answer
