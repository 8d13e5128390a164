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
