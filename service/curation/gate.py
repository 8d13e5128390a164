"""The extension gate behind ``lbp-kg check``: may these extension files join the knowledge graph?

Five stages, each reporting problems that name the term (or the file and line), the property,
what is wrong and how to fix it:

1. Parse: every file parses (Turtle, RDF/XML or Protégé's .owl); syntax errors give the line.
2. Shapes: the extension merged with the base passes the SHACL shapes; only results about the
   extension's own nodes count against it.
3. Reasoner: HermiT finds the merge consistent with no unsatisfiable class; the clash is named
   (disjoint superclasses of an unsatisfiable class, individuals typed with disjoint classes).
4. Conventions: new terms and additions to existing terms follow service.curation.conventions.
5. Competency questions: every named query is answered over the base and over base plus
   extension, and the changed answers are listed (see service.curation.question_changes); only a
   question that can no longer be answered fails the gate.

The *base* is the core ontology plus the extensions already installed in ``ontology/extensions/``
(other than the files being checked). Exit codes follow the CLI: 0 passed, 1 failed, 2 a file
could not be read or parsed, 3 the reasoner could not run.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Callable

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS

from service.curation import conventions
from service.kg import ontology
from service.paths import EXTENSIONS_DIR
from service.kg.rdf_files import RdfSyntaxError
from service.curation.validation import CurieMaker, label_of

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_REASONER_UNAVAILABLE = 0, 1, 2, 3

STAGES = ("parse", "shapes", "reasoner", "conventions", "questions")
STAGE_TITLES = {"parse": "Parse", "shapes": "Shapes", "reasoner": "Reasoner", "conventions": "Conventions",
                "questions": "Competency questions"}

#: how to fix a shape result, by the property it concerns (the shapes' messages say what is wrong)
SHAPE_FIXES = {
    "rdfs:label": 'Give the term exactly one rdfs:label "plain name"@en.',
    "obo:IAO_0000115": 'Add obo:IAO_0000115 "a definition in your own words"@en.',
    "obo:RO_0002372": "Add obo:RO_0002372 (has muscle origin) pointing to an lbp:BonySite.",
    "obo:RO_0002373": "Add obo:RO_0002373 (has muscle insertion) pointing to an lbp:BonySite.",
    "obo:RO_0002005": "Add obo:RO_0002005 (innervated by) pointing to an lbp:Nerve.",
    "obo:BFO_0000050": "State the one lbp:Bone the site is part of with obo:BFO_0000050.",
    "rdf:type": "Declare the term (rdf:type) or correct the spelling of its IRI.",
    "dcterms:source": "Cite an lbp:Source with dcterms:source.",
}
DEFAULT_SHAPE_FIX = "Follow the message; the shape is in ontology/shapes/lbp-shapes.ttl."

Progress = Callable[[str], None]


@dataclass
class Problem:
    """One reason the gate fails: the check, the term or file and line, what is wrong, how to fix it."""

    check: str
    message: str
    fix: str = ""
    term: str | None = None
    label: str | None = None
    property: str | None = None
    file: str | None = None
    line: int | None = None

    def as_dict(self) -> dict:
        """Return the problem as JSON-ready data."""
        return dict(self.__dict__)

    def as_text(self) -> str:
        """Return the problem as indented lines: where, what, how to fix."""
        where = [f"{self.file}:{self.line}" if self.file and self.line else self.file or ""]
        if self.term:
            where.insert(0, self.term + (f' "{self.label}"' if self.label else ""))
        if self.property:
            where.append(f"[{self.property}]")
        head = " ".join(part for part in where if part)
        lines = [f"  - {head}" if head else "  -", f"    {self.message}"]
        if self.fix:
            lines.append(f"    fix: {self.fix}")
        return "\n".join(lines)


@dataclass
class StageReport:
    """The outcome of one stage: passed, failed, skipped or not run, with its problems and notes."""

    name: str
    status: str = "skipped"
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    details: list[dict] = field(default_factory=list)

    @property
    def title(self) -> str:
        return STAGE_TITLES[self.name]

    def as_dict(self) -> dict:
        """Return the stage as JSON-ready data."""
        return {"stage": self.name, "title": self.title, "status": self.status, "seconds": round(self.seconds, 2),
                "problems": [p.as_dict() for p in self.problems], "notes": self.notes, "details": self.details}


@dataclass
class GateReport:
    """The gate's verdict on a set of extension files."""

    files: list[str]
    stages: dict[str, StageReport]

    @property
    def exit_code(self) -> int:
        """0 passed, 1 failed, 2 unreadable input, 3 the reasoner could not run."""
        if self.stages["parse"].status == "failed":
            return EXIT_BAD_INPUT
        if self.stages["reasoner"].status == "not run":
            return EXIT_REASONER_UNAVAILABLE
        return EXIT_FAILED if any(s.status == "failed" for s in self.stages.values()) else EXIT_OK

    @property
    def passed(self) -> bool:
        return self.exit_code == EXIT_OK

    def as_dict(self) -> dict:
        """Return the report as JSON-ready data (for CI)."""
        return {"passed": self.passed, "exit_code": self.exit_code, "files": self.files,
                "stages": [stage.as_dict() for stage in self.stages.values()]}

    def as_text(self) -> str:
        """Return the report as readable sections, one per stage."""
        out = [f"lbp-kg check: {', '.join(self.files)}", ""]
        for stage in self.stages.values():
            count = f", {len(stage.problems)} problem(s)" if stage.problems else ""
            out.append(f"{stage.title} {'.' * (26 - len(stage.title))} {stage.status.upper()}{count} "
                       f"({stage.seconds:.1f} s)")
            out += [f"  {note}" for note in stage.notes]
            out += [problem.as_text() for problem in stage.problems]
        verdict = {EXIT_OK: "PASSED", EXIT_FAILED: "FAILED", EXIT_BAD_INPUT: "FAILED: unreadable input",
                   EXIT_REASONER_UNAVAILABLE: "NOT CHECKED: the reasoner could not run"}[self.exit_code]
        out += ["", verdict]
        return "\n".join(out)


class TermLocator:
    """Find the file and line where an extension first mentions a term (best effort, by text)."""

    def __init__(self, modules: list[ontology.Module]):
        self._files = [(m.path, m.path.read_text(encoding="utf-8").splitlines(), dict(m.graph.namespaces()))
                       for m in modules]

    def locate(self, term) -> tuple[str | None, int | None]:
        """Return (file, line) of the first line that mentions the term as a subject, else anywhere."""
        if not isinstance(term, URIRef):
            return None, None
        iri = str(term)
        needles = [f"<{iri}>", f'"{iri}"']
        for prefix, namespace in self._all_namespaces():
            if iri.startswith(str(namespace)) and len(iri) > len(str(namespace)):
                local = iri[len(str(namespace)):]
                needles += [f"{prefix}:{local}", f"&{prefix};{local}"]
        for at_start in (True, False):
            for path, lines, _ in self._files:
                for number, line in enumerate(lines, start=1):
                    if any(_mentions(line, needle, at_start) for needle in needles):
                        return str(path), number
        return None, None

    def _all_namespaces(self):
        for _, _, namespaces in self._files:
            yield from ((prefix, ns) for prefix, ns in namespaces.items() if prefix)


def _mentions(line: str, needle: str, at_start: bool) -> bool:
    text = line.strip() if at_start else line
    start = 0 if at_start else text.find(needle)
    if start < 0 or not text.startswith(needle, start):
        return False
    after = text[start + len(needle):start + len(needle) + 1]
    return not (after.isalnum() or after in "-_")


def run_gate(paths: list[Path], extensions_dir: Path = EXTENSIONS_DIR, progress: Progress | None = None) -> GateReport:
    """Check the extension files against the base ontology, stage by stage (see the module docstring)."""
    say = progress or (lambda message: None)
    report = GateReport(files=[str(p) for p in paths], stages={name: StageReport(name) for name in STAGES})

    with _timed(report.stages["parse"], say, "parsing the extension files and the base ontology"):
        loaded = _parse_stage(paths, extensions_dir, report.stages["parse"])
    if loaded is None:
        return report
    base_modules, extension_modules = loaded
    base = ontology.merge(base_modules)
    extension = ontology.merge(extension_modules)
    merged = ontology.merge([*base_modules, *extension_modules])
    curie = CurieMaker()
    locator = TermLocator(extension_modules)
    terms = conventions.new_terms(base, extension)
    report.stages["parse"].notes += [
        f"{m.path.name}: {len(m.graph)} triples, ontology <{m.iri}>, version {m.version or '(none)'}"
        for m in extension_modules] + [f"{len(terms)} new term(s): " + ", ".join(curie(t) for t in terms)]

    with _timed(report.stages["shapes"], say, f"validating {len(merged)} triples against the SHACL shapes"):
        _shapes_stage(merged, extension, report.stages["shapes"], curie, locator)
    with _timed(report.stages["reasoner"], say, "running HermiT (consistency, unsatisfiable classes)"):
        _reasoner_stage(merged, report.stages["reasoner"], curie, locator)
    with _timed(report.stages["conventions"], say, "checking names, labels, definitions and sources"):
        for problem in conventions.check_extension(base, extension, merged):
            file, line = locator.locate(problem.term)
            report.stages["conventions"].problems.append(Problem(
                check=problem.check, message=problem.message, fix=problem.fix, term=curie(problem.term),
                label=label_of(merged, problem.term) if any(merged.objects(problem.term, RDFS.label)) else None,
                property=curie(problem.property) if problem.property is not None else None, file=file, line=line))
        report.stages["conventions"].status = "failed" if report.stages["conventions"].problems else "passed"
    with _timed(report.stages["questions"], say, "answering the competency questions with and without the extension"):
        _questions_stage(base_modules, extension_modules, terms, report.stages["questions"])
    return report


class _timed:
    """Time a stage and report its start and end through the progress callback."""

    def __init__(self, stage: StageReport, say: Progress, doing: str):
        self.stage, self.say, self.doing = stage, say, doing

    def __enter__(self):
        self.say(f"{self.stage.title}: {self.doing} ...")
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc_info):
        self.stage.seconds = time.perf_counter() - self.started
        self.say(f"{self.stage.title}: {self.stage.status} ({self.stage.seconds:.1f} s)")
        return False


def _parse_stage(paths, extensions_dir: Path, stage: StageReport):
    extension_modules: list[ontology.Module] = []
    for path in paths:
        try:
            extension_modules += ontology.load_extension_modules([path])
        except RdfSyntaxError as err:
            stage.problems.append(Problem(
                check="syntax", message=err.message, file=str(path), line=err.line,
                fix=(f"Correct the syntax at line {err.line} (or just before it: a missing '.', ';' or ',' "
                     "usually shows on the next line)" if err.line else "Correct the syntax")
                    + "; Protégé can re-save the file as Turtle or RDF/XML."))
        except OSError as err:
            stage.problems.append(Problem(check="unreadable", message=f"cannot read the file: {err.strerror}",
                                          file=str(path), fix="Give the path of an existing, readable file."))
    checked = {Path(p).resolve() for p in paths}
    installed = [p for p in ontology.extension_files(Path(extensions_dir)) if p.resolve() not in checked]
    try:
        base_modules = ontology.load_core_modules() + ontology.load_extension_modules(installed)
    except (RdfSyntaxError, ontology.OntologyLoadError) as err:
        stage.problems.append(Problem(check="base", message=f"the base ontology does not load: {err}",
                                      fix="Fix or remove the installed extension named in the message."))
    stage.status = "failed" if stage.problems else "passed"
    if stage.problems:
        return None
    stage.notes.append(f"base: {len(base_modules)} module(s) ({len(installed)} installed extension(s))")
    return base_modules, extension_modules


def _shapes_stage(merged: Graph, extension: Graph, stage: StageReport, curie: CurieMaker, locator) -> None:
    from service.curation.validation import validate_graph

    own_nodes = set(extension.subjects()) | {o for o in extension.objects() if not isinstance(o, Literal)}
    elsewhere = 0
    for result in validate_graph(merged).results:
        if result.focus_node not in own_nodes and result.value not in own_nodes:
            elsewhere += 1
            continue
        focus = result.focus_node
        subject = merged.value(focus, OWL.annotatedSource) if isinstance(focus, BNode) else focus
        file, line = locator.locate(subject)
        path = curie(result.path) if isinstance(result.path, URIRef) else None
        stage.problems.append(Problem(
            check="shape", message=result.message, fix=SHAPE_FIXES.get(path, DEFAULT_SHAPE_FIX),
            term=curie(focus) if isinstance(focus, URIRef) else f"axiom annotation on {curie(subject)}",
            label=result.focus_label if isinstance(focus, URIRef) else None, property=path, file=file, line=line))
    if elsewhere:
        stage.notes.append(f"{elsewhere} shape result(s) about terms this extension does not touch are not "
                           "counted (run lbp-kg validate to see them).")
    stage.status = "failed" if stage.problems else "passed"


def _reasoner_stage(merged: Graph, stage: StageReport, curie: CurieMaker, locator) -> None:
    from service.curation.reasoning import JavaNotFoundError, ReasonerError, explain_inconsistency, reason

    try:
        result = reason(merged, infer_property_values=False)
    except (JavaNotFoundError, ReasonerError) as err:
        stage.status = "not run"
        stage.notes.append(str(err))
        return
    stage.notes.append(f"HermiT took {result.seconds:.1f} s.")
    if not result.consistent:
        stage.problems.append(Problem(
            check="inconsistent", message="HermiT found the ontology with the extension inconsistent. "
                                          + explain_inconsistency(merged).replace("\n", " "),
            fix="Type each individual with classes that are not disjoint (see the core's owl:AllDisjointClasses); "
                "check functional properties given two values."))
    for iri in result.unsatisfiable_classes:
        term = URIRef(iri)
        file, line = locator.locate(term)
        stage.problems.append(Problem(
            check="unsatisfiable-class", term=curie(term), label=label_of(merged, term), file=file, line=line,
            message="The class can have no members (it is unsatisfiable). " + explain_unsatisfiable(merged, term, curie),
            fix="Remove the disjointness axiom or the superclass that clashes (a class cannot be disjoint with "
                "its own ancestor, nor a subclass of two disjoint classes)."))
    stage.status = "failed" if stage.problems else "passed"


def _questions_stage(base_modules, extension_modules, terms, stage: StageReport) -> None:
    from service.curation.question_changes import compare_answers

    changes = compare_answers(base_modules, extension_modules, terms)
    for change in changes:
        stage.details.append(change.as_dict())
        if change.error:
            stage.problems.append(Problem(
                check="question", term=change.query, message=f"{change.heading}: {change.error}",
                fix="Make sure the extension's labels do not shadow the example value, and that the query "
                    "still runs with the extension loaded."))
        elif change.changed:
            stage.notes.append(change.as_text())
    unchanged = sum(1 for c in changes if not c.changed and not c.error and not c.skipped)
    skipped = [c.heading for c in changes if c.skipped]
    stage.notes.append(f"{unchanged} answer(s) unchanged" + (f"; skipped (no example): {', '.join(skipped)}" if skipped else ""))
    stage.status = "failed" if stage.problems else "passed"


def disjoint_axioms(graph: Graph) -> list[tuple[URIRef, URIRef, str]]:
    """Return every pair of classes declared disjoint, with the axiom that says so."""
    pairs = [(left, right, "owl:disjointWith") for left, right in graph.subject_objects(OWL.disjointWith)]
    for group in graph.subjects(RDF.type, OWL.AllDisjointClasses):
        members = graph.value(group, OWL.members)
        if members is not None:
            pairs += [(left, right, "owl:AllDisjointClasses") for left, right in combinations(Collection(graph, members), 2)]
    return pairs


def explain_unsatisfiable(graph: Graph, cls: URIRef, curie: CurieMaker) -> str:
    """Name the asserted superclasses of a class and the disjointness axioms among them."""
    ancestors = [a for a in graph.transitive_objects(cls, RDFS.subClassOf) if isinstance(a, URIRef)]
    parents = sorted(curie(p) for p in graph.objects(cls, RDFS.subClassOf) if isinstance(p, URIRef))
    clashes = [f"{curie(left)} and {curie(right)} are disjoint ({axiom})"
               for left, right, axiom in disjoint_axioms(graph) if left in ancestors and right in ancestors]
    text = f"Asserted superclasses: {', '.join(parents) or 'none'}; ancestors: {', '.join(curie(a) for a in ancestors[1:]) or 'none'}."
    if clashes:
        return text + " It is a subclass of both members of a disjoint pair: " + "; ".join(sorted(set(clashes))) + "."
    return text + (" No disjoint pair among its ancestors: look at owl:equivalentClass, restrictions and "
                   "domains or ranges that involve it (Protégé: Explain unsatisfiability).")
