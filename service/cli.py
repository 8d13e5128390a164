"""The ``lbp-kg`` command line: validate the knowledge graph and run the reasoner.

Heavy imports (pySHACL, owlready2, the ontology loader) happen inside the commands, so
``lbp-kg --help`` stays fast and importing this module never imports the Flask app.

Exit codes: 0 the graph passes; 1 problems were found (shape violations, an inconsistent
ontology or unsatisfiable classes); 2 input could not be read (RDF syntax error, missing
module, bad option); 3 the reasoner could not run (no Java, or HermiT failed).
"""
from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click


EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_BAD_INPUT = 2
EXIT_REASONER_UNAVAILABLE = 3

DEFAULT_INFERRED_OUTPUT = Path("build") / "lbp-inferred.ttl"

_FILES = click.argument(
    "files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path),
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="Log progress to stderr (-v info, -vv debug).")
def main(verbose: int) -> None:
    """lbp-kg: the musculoskeletal low back pain knowledge graph.

    Check the bundled ontology (plus your own RDF files) against the SHACL shapes and the
    HermiT reasoner, and build the inferred graph.
    """
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def _load_graph(files: tuple[Path, ...]):
    """Load the bundled ontology, its extensions directory and the given files as one graph."""
    from service.kg import ontology
    from service.paths import EXTENSIONS_DIR
    from service.kg.rdf_files import RdfSyntaxError

    extras = [*ontology.extension_files(EXTENSIONS_DIR), *files]
    try:
        return ontology.load_ontology(extensions=extras)
    except RdfSyntaxError as err:
        raise click.exceptions.Exit(_fail(f"Cannot parse RDF: {err}", EXIT_BAD_INPUT))
    except ontology.OntologyLoadError as err:
        raise click.exceptions.Exit(_fail(f"Cannot load the ontology: {err}", EXIT_BAD_INPUT))
    except OSError as err:
        raise click.exceptions.Exit(_fail(f"Cannot read {err.filename}: {err.strerror}", EXIT_BAD_INPUT))


def _fail(message: str, code: int) -> int:
    click.echo(message, err=True)
    return code


def _run_reasoner(graph):
    """Run HermiT, turning a missing Java or a Java failure into a message and exit code 3."""
    from service.curation.reasoning import JavaNotFoundError, ReasonerError, reason

    try:
        return reason(graph)
    except (JavaNotFoundError, ReasonerError) as err:
        raise click.exceptions.Exit(_fail(str(err), EXIT_REASONER_UNAVAILABLE))


@main.command()
@_FILES
@click.option("--reason", "run_reasoner", is_flag=True,
              help="Also run the HermiT reasoner (needs Java); fail if the ontology is inconsistent "
                   "or has unsatisfiable classes.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="How to print the results.")
def validate(files: tuple[Path, ...], run_reasoner: bool, output_format: str) -> None:
    """Check the ontology, merged with FILES, against the lbp-kg SHACL shapes.

    FILES are extra RDF files (Turtle, RDF/XML, N-Triples, JSON-LD) validated together with the
    bundled ontology and ontology/extensions/. Each problem is printed with the term, its
    label and the missing or wrong property. Exit status: 0 conforms, 1 problems found,
    2 a file cannot be parsed (file and line are printed), 3 the reasoner cannot run.
    """
    from service.curation.validation import validate_graph

    graph = _load_graph(files)
    report = validate_graph(graph)
    reasoning = _run_reasoner(graph) if run_reasoner else None

    if output_format == "json":
        data = report.as_dict()
        if reasoning is not None:
            data["reasoning"] = {
                "consistent": reasoning.consistent,
                "unsatisfiable_classes": reasoning.unsatisfiable_classes,
                "explanation": reasoning.explanation,
                "seconds": round(reasoning.seconds, 2),
            }
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(report.as_text())
        if reasoning is not None:
            click.echo(reasoning.describe())

    passed = report.conforms and (reasoning is None or reasoning.ok)
    sys.exit(EXIT_OK if passed else EXIT_PROBLEMS)


@main.command()
@_FILES
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              default=DEFAULT_INFERRED_OUTPUT, show_default=True,
              help="Where to write the asserted plus inferred triples, as Turtle.")
def reason(files: tuple[Path, ...], output: Path) -> None:
    """Run the HermiT reasoner and write the inferred graph as Turtle.

    Loads the bundled ontology (with ontology/extensions/ and any FILES), checks that it is
    consistent and that every class can have members, and writes the asserted triples plus
    HermiT's inferences (types, subclasses, property values) to OUTPUT. Needs Java. Exit
    status: 0 consistent, 1 inconsistent or unsatisfiable classes, 2 unreadable input,
    3 no Java.
    """
    from service.curation.reasoning import inferred_graph

    graph = _load_graph(files)
    result = _run_reasoner(graph)
    click.echo(result.describe())
    if not result.consistent:
        sys.exit(EXIT_PROBLEMS)
    output.parent.mkdir(parents=True, exist_ok=True)
    inferred_graph(graph, result).serialize(destination=output, format="turtle", encoding="utf-8")
    click.echo(f"Wrote {output} ({len(result.inferred)} inferred triples).")
    sys.exit(EXIT_OK if result.ok else EXIT_PROBLEMS)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["nquads", "trig", "turtle"]), default="nquads",
              show_default=True, help="nquads and trig keep every graph's name; turtle holds one graph "
                                      "(name it with --graph).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (replaced whole, only once the export succeeded). Default: stdout.")
@click.option("--graph", "graphs", multiple=True, metavar="IRI",
              help="Export only this graph (repeatable). Default: every module and the inferred graph.")
@click.option("--extensions", "extensions_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Directory of extension modules to load next to the core "
                                 "(default: ontology/extensions, or LBP_KG_EXTENSIONS_DIR), as `serve` does.")
def export(fmt: str, output: Path | None, graphs: tuple[str, ...], extensions_dir: Path | None) -> None:
    """Write the graphs a SPARQL engine must hold for LBP_KG_BACKEND=remote.

    Every module goes in a named graph called by its ontology IRI, the inferred triples in
    https://w3id.org/lbp-kg/graph/inferred: what the embedded store holds, built from the same
    files and settings (LBP_KG_CONFIG, LBP_KG_* variables) as `lbp-kg serve`. Load the export
    into the engine (docs/deployment.md). Exit status: 0 written, 2 bad option, unreadable
    ontology or unwritable output.
    """
    import os

    from service.curation.export import ExportError, write_export

    data = _load_data(extensions_dir)
    try:
        if output is None:
            count = write_export(data, fmt, sys.stdout.buffer, graphs)
        else:
            count = _write_replacing(output, lambda handle: write_export(data, fmt, handle, graphs))
    except ExportError as err:
        raise click.exceptions.Exit(_fail(f"Cannot export: {err}", EXIT_BAD_INPUT))
    except BrokenPipeError:
        # the reader of stdout stopped early (| head): not an error of the export
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(EXIT_OK)
    except OSError as err:
        raise click.exceptions.Exit(_fail(f"Cannot write {output or 'stdout'}: {err.strerror}", EXIT_BAD_INPUT))
    if output is not None:
        click.echo(f"Wrote {output} ({count} triples, {fmt}).", err=True)


def _load_data(extensions_dir: Path | None):
    """Load the knowledge base's graphs as `serve` would, turning bad input into exit code 2."""
    from service.config import load_config
    from service.kg import ontology
    from service.kg.knowledge import load_data
    from service.kg.rdf_files import RdfSyntaxError

    overrides = {"extensions_dir": str(extensions_dir.resolve())} if extensions_dir is not None else None
    try:
        return load_data(load_config(overrides))[1]
    except RdfSyntaxError as err:
        raise click.exceptions.Exit(_fail(f"Cannot parse RDF: {err}", EXIT_BAD_INPUT))
    except ontology.OntologyLoadError as err:
        raise click.exceptions.Exit(_fail(f"Cannot load the ontology: {err}", EXIT_BAD_INPUT))
    except (OSError, ValueError) as err:
        raise click.exceptions.Exit(_fail(f"Cannot load the ontology: {err}", EXIT_BAD_INPUT))


def _write_replacing(path: Path, write):
    """Write ``path`` through a temporary file beside it, so a failed export leaves no half file."""
    import os
    import tempfile

    with tempfile.NamedTemporaryFile("wb", dir=path.parent, prefix=f".{path.name}.", delete=False) as handle:
        try:
            result = write(handle)
        except BaseException:
            handle.close()
            os.unlink(handle.name)
            raise
    os.replace(handle.name, path)
    return result


@main.command()
@click.option("--version", "version", default=None, metavar="X.Y.Z",
              help="The version to release (default: owl:versionInfo of ontology/lbp.ttl).")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The directory to write the artefacts to (default: build/release/<version>, "
                   "where `lbp-kg serve` finds released versions).")
def release(version: str | None, output: Path | None) -> None:
    """Build a release: lbp-kg.owl, lbp-kg.ttl, lbp-kg-base.owl, lbp-kg.json (OBO Graphs), lbp-kg.obo.

    Merges the bundled modules under one ontology header carrying the version IRI, adds what
    HermiT infers (needs Java), and writes each artefact. Exit status: 0 written, 1 the ontology
    is inconsistent, 2 a bad version, 3 no Java. See docs/releasing.md.
    """
    from service.curation.reasoning import JavaNotFoundError, ReasonerError
    from service.curation.release import ReleaseError, build_release, check_version
    from service.kg.ontology import load_core_modules
    from service.paths import RELEASES_DIR

    try:
        version = check_version(version or load_core_modules()[0].version or "")
    except ReleaseError as err:
        sys.exit(_fail(f"Cannot release: {err}", EXIT_BAD_INPUT))
    try:
        built = build_release(version, output or RELEASES_DIR / version)
    except (JavaNotFoundError, ReasonerError) as err:
        sys.exit(_fail(str(err), EXIT_REASONER_UNAVAILABLE))
    except ReleaseError as err:
        sys.exit(_fail(f"Cannot release: {err}", EXIT_PROBLEMS))
    for path in built.files:
        click.echo(f"Wrote {path}")
    click.echo(f"Released lbp-kg {built.version} ({built.inferred_triples} inferred triples).")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on (use 0.0.0.0 to accept connections from other machines).")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535),
              help="TCP port to listen on.")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Run under gunicorn with this many worker processes (production mode). "
                   "Without it, Werkzeug's threaded development server is used.")
@click.option("--extensions", "extensions_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Directory of extension modules to load next to the core "
                                 "(default: ontology/extensions, or LBP_KG_EXTENSIONS_DIR).")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A gunicorn configuration file (with --workers), e.g. deploy/gunicorn.conf.py.")
def serve(host: str, port: int, workers: int | None, extensions_dir: Path | None,
          config_file: str | None) -> None:
    """Serve the bundled ontology over HTTP: SPARQL, named queries, entity pages, validation."""
    import os

    from service.web import serving

    if extensions_dir is not None:
        os.environ["LBP_KG_EXTENSIONS_DIR"] = str(extensions_dir.resolve())
    if workers is None:
        serving.serve_development(host, port)
    else:
        serving.serve_production(host, port, workers, config_file)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="How to print the report (json for CI).")
@click.option("--extensions", "extensions_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Installed extensions the files are checked alongside "
                                 "(default: ontology/extensions).")
def check(files: tuple[Path, ...], output_format: str, extensions_dir: Path | None) -> None:
    """Gate extension FILES before they join the knowledge graph.

    FILES are extension modules (Turtle, RDF/XML, or .owl as Protégé saves it). Five stages:
    Parse (file and line of syntax errors), Shapes (SHACL results about the extension's terms),
    Reasoner (HermiT: consistency, unsatisfiable classes and the axioms that clash), Conventions
    (names, labels, definitions, sources, no redefined core terms, no duplicate labels) and
    Competency questions (how each named query's answer changes). Progress goes to stderr.
    Exit status: 0 passed, 1 failed, 2 a file cannot be read or parsed, 3 no Java for HermiT.
    See docs/extending.md.
    """
    from service.curation.gate import run_gate
    from service.paths import EXTENSIONS_DIR

    report = run_gate(list(files), extensions_dir=extensions_dir or EXTENSIONS_DIR,
                      progress=lambda message: click.echo(message, err=True))
    if output_format == "json":
        click.echo(json.dumps(report.as_dict(), indent=2))
    else:
        click.echo(report.as_text())
    sys.exit(report.exit_code)


@main.command()
@click.option("--finding", "findings", multiple=True, required=True, metavar="TEXT",
              help="A symptom, sign or red flag (label, synonym, CURIE or IRI); repeat for each.")
@click.option("--duration", type=click.Choice(["recent", "long-standing"]), default=None,
              help="How long the pattern has been present.")
@click.option("--new-to-acupuncture", is_flag=True, help="The patient has not had acupuncture before.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text for people; json is the answer of POST /cases.")
def case(findings: tuple[str, ...], duration: str | None, new_to_acupuncture: bool, output_format: str) -> None:
    """A teaching case: from FINDINGS to the likely drivers, a plan and the reasons (docs/cases.md).

    Exit status: 0 answered (a red flag is an answer: refer), 2 a finding names no single symptom,
    sign or red flag (each is listed with suggestions).
    """
    from service.config import load_config
    from service.kg.cases import CaseError, CaseRequest, answer_case
    from service.kg.knowledge import KnowledgeBase

    kb = KnowledgeBase.load(load_config())
    try:
        answer = answer_case(kb, CaseRequest(tuple(findings), duration, new_to_acupuncture))
    except CaseError as err:
        if output_format == "json":
            click.echo(json.dumps({"error": str(err), **err.details}, indent=2))
        else:
            click.echo(f"error: {err}", err=True)
            for problem in err.details.get("findings", []):
                offered = problem.get("suggestions") or problem.get("candidates") or []
                click.echo(f"  {problem['value']!r}: {problem['problem']}; try: "
                           + (", ".join(e["label"] for e in offered) or "(nothing close)"), err=True)
        sys.exit(EXIT_BAD_INPUT)
    click.echo(json.dumps(answer, indent=2) if output_format == "json" else _case_text(answer))


def _edge_text(edge: dict) -> str:
    sources = "; ".join(f"{c['sourceLabel'] or c['source']}, {c['section'] or 'no section'}" for c in edge["claims"])
    return f"{edge['subjectLabel']} {edge['relationLabel']} {edge['objectLabel']} [{sources or 'no source'}]"


def _case_text(answer: dict) -> str:
    """The case's answer for people: red flags first, then drivers, plan, what to confirm, standing."""
    lines = []
    if answer["redFlags"]:
        lines.append(answer["referral"])
        lines += [f"  RED FLAG {flag['label']}: {flag['referral']}" for flag in answer["redFlags"]]
    lines.append("Findings: " + "; ".join(f"{f['label']} ({f['kind']})" for f in answer["findings"]))
    for driver in answer["drivers"]:
        lines.append(f"{driver['rank']}. {driver['label']}  score {driver['score']}  ({driver['role']})")
        for reason in driver["because"]:
            lines.append(f"     because {reason['findingLabel']} (weight {reason['weight']}):")
            lines += [f"       - {_edge_text(edge)}" for edge in reason["edges"]]
    plan = answer["plan"]
    if plan:
        lines.append("Plan:")
        for target in plan["targets"]:
            rank = f"#{target['priority']}" if target["priority"] else "unranked"
            points = ", ".join(p["label"] for p in target["motorPoints"])
            lines.append(f"  {target['label']} ({rank}) at {points}: {target['why']['summary']} "
                         f"[{target['sourceLabel']}, {target['section']}]")
        lines += [f"  left out: {t['label']}: {t['reason']}" for t in plan["leftOut"]]
        lines += [f"  stimulation: {p['label']}: {p['definition']} {p['when']}" for p in plan["stimulationSequencing"]]
        lines += [f"  first session{'' if p['applies'] else ' (not new to acupuncture)'}: {p['label']}: {p['when']}"
                  for p in plan["firstSession"]]
        if plan["prognosis"]:
            lines.append(f"  prognosis ({answer['duration'] or 'duration not given'}): {plan['prognosis']['statement']}")
    for item in answer["toConfirm"]:
        found = "; ".join(f"{f['label']} ({', '.join(a['label'] for a in f['assessments']) or 'no assessment in the graph reveals it'})"
                          for f in item["findings"]) or "nothing further in the graph"
        lines.append(f"To confirm {item['label']}: {found}")
    for item in answer["evidence"]:
        stances = ", ".join(f"{n} {stance}" for stance, n in item["stances"].items()) or item["note"]
        lines.append(f"Standing of {item['label']}: {stances}")
    lines.append(answer["disclaimer"])
    return "\n".join(lines)


@main.command()
@click.argument("old", type=click.Path(exists=True, path_type=Path))
@click.argument("new", type=click.Path(exists=True, path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="How to print the differences.")
def diff(old: Path, new: Path, output_format: str) -> None:
    """List what changed between two versions of the ontology.

    OLD and NEW are each an RDF file or a directory of them (read recursively). Prints the terms
    added, removed and changed (label, definition, types) and the assertions added and removed,
    with CURIEs and labels. Exit status: 0 compared (whether or not anything differs),
    2 a file cannot be read or parsed.
    """
    from service.curation.ontology_diff import diff_ontologies, load_side
    from service.kg.rdf_files import RdfSyntaxError

    try:
        old_graph, new_graph = load_side(old), load_side(new)
    except RdfSyntaxError as err:
        raise click.exceptions.Exit(_fail(f"Cannot parse RDF: {err}", EXIT_BAD_INPUT))
    except OSError as err:
        raise click.exceptions.Exit(_fail(f"Cannot read: {err}", EXIT_BAD_INPUT))
    result = diff_ontologies(old_graph, new_graph)
    click.echo(json.dumps(result.as_dict(), indent=2) if output_format == "json" else result.as_text())
    sys.exit(EXIT_OK)


@main.command(context_settings={"ignore_unknown_options": True, "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def bench(args: tuple[str, ...]) -> None:
    """Benchmark the service against its floor and peers (bench/README.md; `bench --help`).

    Generates synthetic extensions (10k, 100k, 1M triples), serves each under gunicorn, loads it
    with wrk, and compares with a Flask hello-world, `oxigraph serve` and rdflib-endpoint.
    Needs the bench extra (pip install -e '.[bench]') and wrk (apt-get install wrk).
    """
    try:
        from bench.run import main as run_benchmark
    except ImportError as err:
        raise click.exceptions.Exit(_fail(
            f"the benchmark cannot start: {err}. Run it from a checkout with the bench extra "
            "installed: pip install -e '.[bench]'", EXIT_BAD_INPUT))
    sys.exit(run_benchmark(list(args)))


if __name__ == "__main__":  # pragma: no cover - after every command is defined, so --help lists them all
    main()
