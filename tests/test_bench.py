"""The benchmark harness: the data it generates, the servers it starts, the load tools, the ratios it tabulates."""
from __future__ import annotations

import gzip
import http.server
import json
import os
import re
import shutil
import threading
import types
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from bench import generate, load, remote_engines, report, run, servers
from bench.workloads import Workload, service_workloads
from service.kg.catalog import Catalog
from service.paths import ONTOLOGY_DIR, PROJECT_ROOT, QUERIES_DIR

LBP = "https://w3id.org/lbp-kg/id/"
DECLARED_PROPERTY_TYPES = (OWL.ObjectProperty, OWL.AnnotationProperty, OWL.DatatypeProperty)
#: Predicates of the RDF/OWL syntax itself, which no module declares.
SYNTAX_PREDICATES = {RDF.type, RDFS.label, OWL.annotatedSource, OWL.annotatedProperty, OWL.annotatedTarget}


@pytest.fixture(scope="module")
def vocabulary() -> Graph:
    """The core vocabulary and sources modules: the terms a synthetic module may use."""
    graph = Graph()
    for name in ("core.ttl", "sources.ttl"):
        graph.parse(ONTOLOGY_DIR / "modules" / name, format="turtle")
    return graph


@pytest.fixture(scope="module")
def synthetic_10k() -> Graph:
    return Graph().parse(data="".join(generate.generate_triples(10_000, seed=0)), format="nt")


def test_the_generator_yields_the_same_lines_for_the_same_seed():
    assert list(generate.generate_triples(5_000, seed=7)) == list(generate.generate_triples(5_000, seed=7))


def test_a_different_seed_changes_the_random_choices():
    assert list(generate.generate_triples(5_000, seed=1)) != list(generate.generate_triples(5_000, seed=2))


@pytest.mark.parametrize("target", [500, 10_000, 12_345, 100_000])
def test_the_generator_yields_the_requested_number_of_triples_within_one_percent(target):
    count = sum(1 for _ in generate.generate_triples(target))
    assert abs(count - target) <= target / 100


def test_the_output_parses_as_n_triples_without_duplicate_lines(synthetic_10k):
    assert len(synthetic_10k) == 10_000


def test_every_predicate_is_declared_in_the_real_vocabulary(vocabulary, synthetic_10k):
    declared = {s for t in DECLARED_PROPERTY_TYPES for s in vocabulary.subjects(RDF.type, t)}
    undeclared = set(synthetic_10k.predicates()) - declared - SYNTAX_PREDICATES
    assert undeclared == set()


def test_every_class_used_is_a_class_of_the_real_vocabulary(vocabulary, synthetic_10k):
    classes = set(vocabulary.subjects(RDF.type, OWL.Class)) | {OWL.NamedIndividual, OWL.Ontology, OWL.Axiom}
    assert set(synthetic_10k.objects(None, RDF.type)) - classes == set()


@pytest.mark.parametrize("local_name", ["stateOf", "inhibits", "overloads", "causes", "indicates",
                                        "targetMuscle", "atMotorPoint", "motorPointOf", "memberOf"])
def test_the_shape_uses_the_ontologys_main_relations(synthetic_10k, local_name):
    assert next(synthetic_10k.triples((None, URIRef(LBP + local_name), None)), None) is not None


def test_every_causal_edge_carries_an_axiom_annotation_with_a_source(synthetic_10k):
    causal = [URIRef(LBP + p) for p in ("causes", "inhibits", "overloads", "indicates")]
    edges = [(s, p, o) for p in causal for s, o in synthetic_10k.subject_objects(p)]
    annotated = {
        (synthetic_10k.value(ax, OWL.annotatedSource), synthetic_10k.value(ax, OWL.annotatedProperty),
         synthetic_10k.value(ax, OWL.annotatedTarget))
        for ax in synthetic_10k.subjects(RDF.type, OWL.Axiom)
        if synthetic_10k.value(ax, URIRef("http://purl.org/dc/terms/source")) is not None
    }
    assert edges and set(edges) <= annotated


def test_every_lbp_subject_is_a_synthetic_term_that_cannot_collide_with_a_real_one(synthetic_10k):
    subjects = {str(s) for s in synthetic_10k.subjects() if str(s).startswith(LBP)}
    assert subjects and all(s.startswith(LBP + "syn-") for s in subjects)


def test_every_referenced_synthetic_entity_has_a_label(synthetic_10k):
    referenced = {o for o in synthetic_10k.objects() if isinstance(o, URIRef) and str(o).startswith(LBP + "syn-")}
    unlabelled = {o for o in referenced if not isinstance(synthetic_10k.value(o, RDFS.label), Literal)}
    assert unlabelled == set()


def test_the_module_declares_its_own_ontology_iri(synthetic_10k):
    assert (URIRef(generate.ontology_iri("10k")), RDF.type, OWL.Ontology) in synthetic_10k


@pytest.mark.parametrize("text, triples", [("10k", 10_000), ("100k", 100_000), ("1m", 1_000_000),
                                           ("1M", 1_000_000), ("2.5k", 2_500), ("25000", 25_000)])
def test_sizes_are_read_from_short_names(text, triples):
    assert generate.parse_size(text) == triples


@pytest.mark.parametrize("text", ["ten", "10x", "100"])
def test_a_size_that_is_not_a_usable_number_is_refused(text):
    with pytest.raises(ValueError):
        generate.parse_size(text)


def test_the_extension_is_written_once_and_reused_from_the_cache(tmp_path: Path):
    path = generate.write_extension(tmp_path, 1_000, seed=0)
    first = path.stat().st_mtime_ns
    assert generate.write_extension(tmp_path, 1_000, seed=0) == path
    assert path.stat().st_mtime_ns == first
    assert len(path.read_text(encoding="utf-8").splitlines()) == 1_000


def test_each_size_has_a_directory_holding_only_its_own_module(tmp_path: Path):
    generate.write_extension(tmp_path, 1_000, seed=0)
    path = generate.write_extension(tmp_path, 1_000, seed=3)
    assert list(path.parent.glob("*.nt")) == [path]


# --- the table ----------------------------------------------------------------------------------


def _row(workload, server, rps, *, group="named", p50=1.0, p99=2.0, errors=0, requests=1000, fresh=False):
    return {"workload": workload, "group": group, "server": server, "error": None, "fresh": fresh,
            "measurement": {"requests_per_second": rps, "p50_ms": p50, "p99_ms": p99, "errors": errors,
                            "requests": requests, "seconds": 2.0}}


def _size(name, rows, **servers):
    return {"size": name, "rows": rows, "servers": servers}


def test_ratios_divide_the_service_rate_by_the_floor_and_each_peer():
    size = _size("100k", [
        _row(report.FLOOR_WORKLOAD, report.FLOOR, 4000.0, group="floor"),
        _row("named compensators", report.SERVICE, 3000.0),
        _row("named compensators", report.OXIGRAPH, 6000.0),
        _row("named compensators", report.RDFLIB_ENDPOINT, 2.0),
    ])
    [line] = report.compare(size)
    assert line["floor_ratio"] == pytest.approx(0.75)
    assert line["oxigraph_ratio"] == pytest.approx(0.5)
    assert line["rdflib_ratio"] == pytest.approx(1500.0)


def test_a_ratio_is_missing_when_the_peer_was_not_measured():
    size = _size("100k", [_row(report.FLOOR_WORKLOAD, report.FLOOR, 4000.0, group="floor"),
                          _row("sparql label-lookup", report.SERVICE, 1000.0, group="sparql")])
    [line] = report.compare(size)
    assert line["oxigraph_ratio"] is None and line["rdflib_ratio"] is None


def test_a_run_whose_every_answer_was_an_error_has_no_rate():
    size = _size("100k", [_row(report.FLOOR_WORKLOAD, report.FLOOR, 4000.0, group="floor"),
                          _row("named x", report.SERVICE, 3000.0, errors=1000, requests=1000)])
    [line] = report.compare(size)
    assert line["floor_ratio"] is None


def test_ratio_of_nothing_is_none_not_zero():
    assert report.ratio(5.0, 0.0) is None
    assert report.ratio(None, 2.0) is None
    assert report.ratio(3.0, 2.0) == 1.5


def test_a_run_in_which_no_request_finished_has_no_rate_rather_than_a_rate_of_zero():
    assert report.rps(_row("named slow", report.SERVICE, 0.0, requests=0)) is None


def test_the_cached_and_the_no_cache_reading_of_a_workload_each_compare_with_the_same_peer_row():
    size = _size("100k", [_row(report.FLOOR_WORKLOAD, report.FLOOR, 1000.0, group="floor"),
                          _row("named a", report.SERVICE, 900.0), _row("named a", report.SERVICE, 500.0, fresh=True),
                          _row("named a", report.OXIGRAPH, 1000.0)])
    warm, fresh = report.compare(size)
    assert (warm["fresh"], fresh["fresh"]) == (False, True)
    assert (warm["floor_ratio"], fresh["floor_ratio"]) == (pytest.approx(0.9), pytest.approx(0.5))
    assert warm["oxigraph"] is fresh["oxigraph"]


def test_the_saved_table_holds_each_workload_s_rates_and_ratios_and_the_json_every_figure(tmp_path: Path):
    results = {"settings": {"sizes": "100k"}, "sizes": [_size("100k", [
        _row(report.FLOOR_WORKLOAD, report.FLOOR, 4000.0, group="floor"),
        _row("named compensators", report.SERVICE, 3000.0),
        _row("named compensators", report.OXIGRAPH, 6000.0),
        _row("named compensators", report.RDFLIB_ENDPOINT, 2.0),
    ])]}
    run.write_results(results, tmp_path / "RESULTS.md")
    table = (tmp_path / "RESULTS.md").read_text(encoding="utf-8")
    row = next(l for l in table.splitlines() if l.startswith("| named compensators"))
    cells = {cell.strip() for cell in row.split("|")}
    assert {"3,000.0", "75%", "6,000.0", "50%", "2.000", "1,500x"} <= cells
    assert json.loads((tmp_path / "RESULTS.json").read_text(encoding="utf-8")) == results


# --- what is asked, and of whom -------------------------------------------------------------------


@pytest.fixture(scope="module")
def workloads() -> list[Workload]:
    return service_workloads()


def test_every_named_query_is_asked_with_its_example_values_and_given_to_the_peers_bound(workloads):
    named = {w.path.split("?")[0].removeprefix("/queries/"): w for w in workloads if w.group == "named" and not w.fresh}
    catalog = Catalog.load(QUERIES_DIR)
    assert sorted(named) == sorted(query.name for query in catalog)
    for query in catalog:
        workload = named[query.name]
        for parameter, value in query.examples:
            assert f"{parameter}={quote(value)}" in workload.path
        assert workload.sparql is not None
        if query.parameters:  # the peers take no substitutions: the IRIs are in the text
            assert "VALUES" in workload.sparql and "https://w3id.org/lbp-kg/id/" in workload.sparql


def test_every_query_is_asked_both_as_served_and_evaluated_every_time(workloads):
    queries = [w for w in workloads if w.group in ("named", "sparql")]
    assert {w.name for w in queries if w.fresh} == {w.name for w in queries if not w.fresh}
    assert all(w.headers["Cache-Control"] == "no-cache" for w in queries if w.fresh)


def test_the_service_answers_every_workload_and_the_peers_text_gives_the_same_rows(client, workloads, tmp_path):
    """What the benchmark asks lbp-kg and what it asks the peers (over the same triples) are the same questions."""
    store = ox.Store()
    store.bulk_load(path=str(run.export_core_ntriples(tmp_path)), format=ox.RdfFormat.N_TRIPLES)
    for workload in workloads:
        if workload.fresh:
            continue
        response = client.get(workload.path, headers=workload.headers)
        assert response.status_code == 200, (workload.name, response.get_data(as_text=True)[:300])
        if workload.sparql is None:
            continue
        served = response.get_json(force=True)["results"]["bindings"]
        peer = json.loads(store.query(workload.sparql).serialize(format=ox.QueryResultsFormat.JSON))
        assert _shape(served) == _shape(peer["results"]["bindings"]), workload.name


def _shape(bindings: list[dict]) -> tuple[int, set[str]]:
    """The number of rows and every IRI in them (GROUP_CONCAT's order is the store's own)."""
    return len(bindings), {term["value"] for row in bindings for term in row.values() if term["type"] == "uri"}


# --- servers and load ------------------------------------------------------------------------------


def test_a_server_started_under_gunicorn_answers_and_is_gone_after_stop(tmp_path: Path):
    port = servers.free_port()
    server = servers.start(report.FLOOR, servers.gunicorn_command("bench.hello:create_app()", port, 1),
                           tmp_path / "floor.log", port=port)
    try:
        servers.wait_until_ready(server, "/health", timeout=60)
        answer = load.probe(server.base_url + "/hello", {"Accept": "application/json"})
        assert answer.ok and answer.body_start == '{"hello":"world"}\n'
        assert servers.worker_memory(server) and all(m["rss"] > 0 for m in servers.worker_memory(server))
    finally:
        servers.stop(server)
    assert server.process.poll() is not None
    with pytest.raises(OSError):
        load.probe(server.base_url + "/hello", {}, timeout=2)


def test_the_load_tools_refuse_any_host_but_loopback():
    with pytest.raises(ValueError, match="only loads 127.0.0.1"):
        load.probe("http://example.org/hello", {})


def test_every_documented_option_of_lbp_kg_bench_is_accepted():
    readme = (PROJECT_ROOT / "bench" / "README.md").read_text(encoding="utf-8")
    readme = readme.split("## What the service adds over its engine")[0]  # bench.remote_engines has its own
    documented = set(re.findall(r"`(--[a-z-]+)", readme))
    accepted = {option for action in run.build_parser()._actions for option in action.option_strings}
    assert documented and documented <= accepted
    args = run.build_parser().parse_args(["--sizes", "10k", "--size-env", "1m:LBP_KG_X=1", "--service-env",
                                          "LBP_KG_Y=2", "--size-peers", "1m:oxigraph", "--accept-encoding", ""])
    assert run._size_envs(args.size_env) == {"1m": {"LBP_KG_X": "1"}} and args.service_env == [("LBP_KG_Y", "2")]


def test_the_probe_records_a_compressed_answer_and_reads_its_start():
    class Compressing(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = gzip.compress(b'{"head": {"vars": []}}')
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Compressing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        answer = load.probe(f"http://127.0.0.1:{server.server_port}/x", {"Accept-Encoding": "gzip"})
    finally:
        server.shutdown()
        server.server_close()
    assert answer.content_encoding == "gzip"
    assert answer.body_start == '{"head": {"vars": []}}' and answer.bytes < 60


def test_size_peers_narrow_the_peers_measured_at_one_size_only():
    from bench import run

    settings = {"peers": ["oxigraph", "rdflib-endpoint"], "size_peers": run.DEFAULT_SIZE_PEERS}
    assert run.peers_at("1m", settings) == ["oxigraph"]
    assert run.peers_at("1000000", settings) == ["oxigraph"]  # the same size, spelt as a number
    assert run.peers_at("100k", settings) == ["oxigraph", "rdflib-endpoint"]
    assert run.peers_at("1m", {**settings, "peers": []}) == []  # --skip-peers wins


@pytest.mark.parametrize("text, expected", [("1m:", ("1m", [])), ("10k:rdflib-endpoint", ("10k", ["rdflib-endpoint"])),
                                            ("100000:oxigraph,rdflib-endpoint", ("100k", ["oxigraph", "rdflib-endpoint"]))])
def test_a_size_peers_option_names_a_size_and_its_peers(text, expected):
    from bench import run

    assert run._size_peers_pair(text) == expected


@pytest.mark.parametrize("text", ["oxigraph", "1m:fuseki", "huge:oxigraph"])
def test_a_size_peers_option_without_a_size_or_with_an_unknown_peer_is_refused(text):
    import argparse

    from bench import run

    with pytest.raises((argparse.ArgumentTypeError, ValueError)):
        run._size_peers_pair(text)


class _RecordingServer:
    """A loopback HTTP/1.1 server that answers 200 and records each request's method, type and body."""

    def __init__(self):
        seen = self.seen = []

        class Recording(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                seen.append((self.command, self.headers.get("Content-Type"), self.rfile.read(length)))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recording)
        self.url = f"http://127.0.0.1:{self.server.server_port}/query"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_a_probe_and_a_capped_run_given_a_body_post_it():
    form = b"query=" + b"ASK%20%7B%7D" * 1000  # a 12 kB query: too long for a peer's GET URL
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    with _RecordingServer() as server:
        assert load.probe(server.url, headers, body=form).ok
        measurement = load.run_capped(server.url, headers, max_requests=3, max_seconds=5, body=form)
    assert measurement.requests == 3 and measurement.errors == 0
    assert server.seen == [("POST", "application/x-www-form-urlencoded", form)] * 4


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("wrk"), reason="wrk is not installed (apt-get install wrk; make bench does)")
def test_wrk_given_a_body_posts_it_on_every_request():
    form = b"query=" + b"ASK%20%7B%7D" * 1000
    with _RecordingServer() as server:
        measurement = load.run_wrk(server.url, {"Content-Type": "application/x-www-form-urlencoded"}, duration=1,
                                   threads=1, connections=1, body=form)
    assert measurement.requests > 0 and measurement.errors == 0
    assert {entry for entry in server.seen} == {("POST", "application/x-www-form-urlencoded", form)}
    assert load.WRK_BODY_VARIABLE not in os.environ  # the body file is wrk's alone, and gone afterwards


def test_peers_get_a_query_too_long_for_a_url_as_a_post(monkeypatch):
    from bench import run

    calls = []
    monkeypatch.setattr(run, "measure", lambda server, workload, path, **kw: calls.append((path, kw.get("form"))) or
                        {"error": None, "measurement": {"errors": 0}})
    monkeypatch.setattr(run.servers, "start", lambda *a, **kw: types.SimpleNamespace(ready_seconds=0.1))
    monkeypatch.setattr(run.servers, "wait_until_ready", lambda *a, **kw: None)
    monkeypatch.setattr(run.servers, "stop", lambda *a, **kw: None)
    monkeypatch.setattr(run.servers, "worker_memory", lambda *a, **kw: [])
    workloads = [Workload("named short", "named", "/q/short", "application/json", sparql="ASK {}"),
                 Workload("named long", "named", "/q/long", "application/json", sparql="ASK {}" + " " * 9000)]
    run.serve_peer("oxigraph", ["oxigraph"], "/query", "/query", Path("/dev/null"), workloads,
                   {"peer_timeout": 1, "load_timeout": 1}, capped=False, port=1)
    (short_path, short_form), (long_path, long_form) = calls
    assert short_path == "/query?query=ASK%20%7B%7D" and short_form is None
    assert long_path == "/query" and long_form.startswith("query=ASK%20%7B%7D%20%20")


def test_every_documented_option_of_the_engines_run_is_accepted():
    readme = (PROJECT_ROOT / "bench" / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`(--[a-z-]+)", readme.split("## What the service adds over its engine")[1]))
    accepted = {option for action in remote_engines.build_parser()._actions for option in action.option_strings}
    assert documented and documented <= accepted
    args = remote_engines.build_parser().parse_args(["--embedded-size", "none", "--size", "10k"])
    assert (args.embedded_size, args.size, args.engines) == ("none", "10k", "oxigraph,virtuoso")
