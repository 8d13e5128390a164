"""The benchmark harness: the synthetic data generator and the report's ratios (nothing here is timed)."""
from __future__ import annotations

import gzip
import http.server
import os
import shutil
import threading
import types
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from bench import generate, load, report, targets
from service.paths import ONTOLOGY_DIR

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


# --- report -------------------------------------------------------------------------------------


def _row(workload, server, rps, *, group="named", p50=1.0, p99=2.0, errors=0, requests=1000, peer=True,
         fresh=False):
    return {"workload": workload, "group": group, "server": server, "peer_query": peer, "error": None, "fresh": fresh,
            "measurement": {"requests_per_second": rps, "p50_ms": p50, "p99_ms": p99, "errors": errors,
                            "requests": requests}}


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


def _verdict(results, starts_with):
    return next(v for v in report.verdicts(results) if v["target"].startswith(starts_with))


def test_the_floor_target_is_met_only_when_every_headline_workload_reaches_sixty_percent():
    rows = [_row(report.FLOOR_WORKLOAD, report.FLOOR, 1000.0, group="floor"),
            _row("named a", report.SERVICE, 700.0, fresh=True),
            _row("sparql label-lookup", report.SERVICE, 590.0, group="sparql", fresh=True),
            _row("sparql aggregate", report.SERVICE, 10.0, group="sparql", fresh=True)]  # not a headline workload
    verdict = _verdict({"sizes": [_size("100k", rows)]}, "100k: named queries and label lookup")
    assert verdict["met"] is False
    assert verdict["measured"] == "59% .. 70%"
    rows[2]["measurement"]["requests_per_second"] = 600.0
    assert _verdict({"sizes": [_size("100k", rows)]}, "100k: named queries and label lookup")["met"] is True


def test_the_p99_target_compares_each_headline_latency_with_five_milliseconds():
    rows = [_row(report.FLOOR_WORKLOAD, report.FLOOR, 1000.0, group="floor"),
            _row("named a", report.SERVICE, 700.0, p99=4.9, fresh=True),
            _row("named b", report.SERVICE, 700.0, p99=5.0, fresh=True)]
    assert _verdict({"sizes": [_size("100k", rows)]}, "100k: ... every request evaluated (no-cache), p99")["met"] is False


def test_the_first_targets_judge_evaluated_answers_and_the_cached_target_judges_replayed_ones():
    rows = [_row(report.FLOOR_WORKLOAD, report.FLOOR, 1000.0, group="floor"),
            _row("named a", report.SERVICE, 900.0),              # caches warm
            _row("named a", report.SERVICE, 500.0, fresh=True),  # every request evaluated
            _row("named a", report.OXIGRAPH, 1000.0)]
    results = {"sizes": [_size("100k", rows)]}
    first = _verdict(results, "100k: named queries and label lookup")
    assert first["met"] is False and first["measured"] == "50%"
    cached = _verdict(results, "100k: a repeated named query")
    assert cached["met"] is True and cached["measured"] == "90%"
    warm, fresh = report.compare(results["sizes"][0])
    assert (warm["oxigraph_ratio"], fresh["oxigraph_ratio"]) == (pytest.approx(0.9), pytest.approx(0.5))


def test_large_size_load_and_memory_targets_read_the_service_figures():
    service = {"ready_seconds": 4.2, "load_seconds": 3.9,
               "memory_after": [{"rss": 300.0, "tree_rss": 450.0}, {"rss": 310.0, "tree_rss": 520.0}]}
    results = {"sizes": [_size("1m", [_row("named a", report.SERVICE, 100.0, p50=4.0, fresh=True)],
                               **{report.SERVICE: service})]}
    assert _verdict(results, "1m: load")["met"] is True
    memory = _verdict(results, "1m: RSS")
    assert memory["met"] is False and "520 MiB" in memory["measured"]
    assert _verdict(results, "1m: named query p50")["met"] is True


def test_a_size_that_was_not_run_leaves_its_targets_unknown():
    assert all(v["met"] is None for v in report.verdicts({"sizes": []}))


def test_the_markdown_table_shows_rates_and_ratios():
    size = _size("100k", [
        _row(report.FLOOR_WORKLOAD, report.FLOOR, 4000.0, group="floor"),
        _row("named compensators", report.SERVICE, 3000.0),
        _row("named compensators", report.OXIGRAPH, 6000.0),
        _row("named compensators", report.RDFLIB_ENDPOINT, 2.0),
    ])
    table = report.render_size(size)
    line = next(l for l in table.splitlines() if l.startswith("| named compensators"))
    assert "3,000.0" in line and "75%" in line and "50%" in line and "1,500x" in line


def test_a_run_in_which_no_request_finished_has_no_rate_rather_than_a_rate_of_zero():
    row = _row("named slow", report.SERVICE, 0.0, requests=0)
    row["measurement"]["seconds"] = 2.0
    assert report.rps(row) is None
    assert report.render_size(_size("100k", [row])).count("none finished in 2 s") == 1

def test_a_target_is_missed_when_one_measured_value_fails_even_if_others_were_not_measured():
    rows = [_row(report.FLOOR_WORKLOAD, report.FLOOR, 1000.0, group="floor"),
            _row("named a", report.SERVICE, 100.0, fresh=True),
            {**_row("named b", report.SERVICE, 0.0, fresh=True), "measurement": None, "error": "HTTP 503"}]
    assert _verdict({"sizes": [_size("100k", rows)]}, "100k: named queries and label lookup")["met"] is False



def test_the_summary_compares_the_label_lookup_on_every_server_as_the_issue_s_table_does():
    rows = [_row(report.FLOOR_WORKLOAD, report.FLOOR, 4000.0, group="floor"),
            _row("sparql label-lookup", report.OXIGRAPH, 9000.0, group="sparql", p50=0.5),
            _row("sparql label-lookup", report.SERVICE, 2500.0, group="sparql", p50=1.5, fresh=True),
            _row("sparql label-lookup", report.SERVICE, 4200.0, group="sparql", p50=1.0)]
    summary = report.render_summary({"sizes": [_size("100k", rows)]}).splitlines()
    assert summary[0] == "| label lookup | 100k req/s | p50 |"
    assert "| lbp-kg, every request evaluated (no-cache) | 2,500.0 | 1.50 ms |" in summary
    assert "| lbp-kg, repeated (answer cache) | 4,200.0 | 1.00 ms |" in summary
    assert "| rdflib-endpoint | - | - |" in summary


def test_the_first_targets_are_judged_on_evaluated_and_on_repeated_answers_alike():
    rows = [_row(report.FLOOR_WORKLOAD, report.FLOOR, 1000.0, group="floor"),
            _row("named a", report.SERVICE, 900.0, p99=3.0),
            _row("named a", report.SERVICE, 500.0, p99=9.0, fresh=True)]
    results = {"sizes": [_size("100k", rows)]}
    assert _verdict(results, "100k: named queries and label lookup, every request evaluated")["met"] is False
    assert _verdict(results, "100k: named queries and label lookup, as served, repeated")["met"] is True
    assert _verdict(results, "100k: ... every request evaluated (no-cache), p99")["met"] is False
    assert _verdict(results, "100k: ... as served, repeated (answer cache), p99")["met"] is True


def test_a_share_of_a_peer_that_even_the_floor_misses_is_called_out_of_reach():
    rows = [_row(report.FLOOR_WORKLOAD, report.FLOOR, 1000.0, group="floor"),
            _row("sparql label-lookup", report.SERVICE, 180.0, group="sparql", fresh=True),
            _row("sparql label-lookup", report.OXIGRAPH, 5000.0, group="sparql"),   # floor: 20% of it
            _row("named a", report.SERVICE, 900.0, fresh=True),
            _row("named a", report.OXIGRAPH, 1000.0)]                               # floor: 100% of it
    target = "100k: ... every request evaluated (no-cache), >= 30%"
    verdict = _verdict({"sizes": [_size("100k", rows)]}, target)
    assert verdict["met"] is False and verdict["measured"] == "4% .. 90%"
    assert verdict["note"] == ("out of reach for 1 of 2 workloads: on them even the floor "
                               "(which does no work) reaches only 20%")
    assert verdict["missed_within_reach"] == []
    rows[2]["measurement"]["requests_per_second"] = 2000.0
    verdict = _verdict({"sizes": [_size("100k", rows)]}, target)
    assert verdict["note"] == "" and verdict["missed_within_reach"] == ["sparql label-lookup"]


def test_a_replayed_answer_is_bounded_by_the_bare_wsgi_floor_not_by_flask():
    # the answer cache replays in front of Flask: the Flask floor bounds nothing there
    rows = [_row(report.FLOOR_WORKLOAD, report.FLOOR, 1000.0, group="floor", p99=7.0),
            _row("sparql label-lookup", report.SERVICE, 1200.0, group="sparql", p99=6.0),
            _row("sparql label-lookup", report.OXIGRAPH, 5000.0, group="sparql")]
    share = "100k: ... as served, repeated (answer cache), >= 30%"
    p99 = "100k: ... as served, repeated (answer cache), p99"
    verdict = _verdict({"sizes": [_size("100k", rows)]}, share)
    assert verdict["note"] == "" and verdict["missed_within_reach"] == ["sparql label-lookup"]
    assert _verdict({"sizes": [_size("100k", rows)]}, p99)["missed_within_reach"] == ["sparql label-lookup"]
    rows.append(_row(report.BARE_FLOOR_WORKLOAD, report.BARE_FLOOR, 1400.0, group="floor", p99=8.0))
    verdict = _verdict({"sizes": [_size("100k", rows)]}, share)
    assert verdict["note"] == ("out of reach for 1 of 1 workloads: on them even the bare WSGI floor "
                               "(which does no work) reaches only 28%")
    assert verdict["missed_within_reach"] == []
    verdict = _verdict({"sizes": [_size("100k", rows)]}, p99)
    assert verdict["note"] == "the bare WSGI floor's own p99 is 8.00 ms" and verdict["missed_within_reach"] == []


def test_the_p99_target_notes_a_floor_whose_own_p99_misses_it():
    rows = [_row(report.FLOOR_WORKLOAD, report.FLOOR, 1000.0, group="floor", p99=12.5),
            _row("named a", report.SERVICE, 700.0, p99=6.0, fresh=True)]
    verdict = _verdict({"sizes": [_size("100k", rows)]}, "100k: ... every request evaluated (no-cache), p99")
    assert verdict["met"] is False and verdict["note"] == "the floor's own p99 is 12.50 ms"
    assert "| the floor's own p99 is 12.50 ms |" in report.render_verdicts({"sizes": [_size("100k", rows)]})


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


def test_an_evaluated_workload_the_engine_alone_answers_too_slowly_is_called_out_of_reach():
    rows = [_row(report.FLOOR_WORKLOAD, report.FLOOR, 1000.0, group="floor"),
            _row("named slow", report.SERVICE, 300.0, fresh=True),
            _row("named slow", report.OXIGRAPH, 400.0),     # the engine alone: 40% of the floor
            _row("named quick", report.SERVICE, 700.0, fresh=True),
            _row("named quick", report.OXIGRAPH, 9000.0)]
    verdict = _verdict({"sizes": [_size("100k", rows)]}, "100k: named queries and label lookup, every request")
    assert verdict["met"] is False
    assert verdict["note"] == ("out of reach for 1 of 2 workloads: on them oxigraph serve, the engine alone, "
                               "reaches only 40% of the floor's rate")
    assert _verdict({"sizes": [_size("100k", rows)]}, "100k: named queries and label lookup, as served")["note"] == ""


def test_the_large_p50_target_notes_queries_the_engine_itself_answers_slowly_or_not_at_all():
    timed_out = {**_row("named c", report.OXIGRAPH, 0.0), "measurement": None, "error": "no answer: timed out"}
    refused = {**_row("named d", report.OXIGRAPH, 0.0), "measurement": None, "error": "HTTP 400: headers too large"}
    rows = [_row("named a", report.SERVICE, 100.0, p50=8.0, fresh=True), _row("named a", report.OXIGRAPH, 900.0, p50=6.0),
            _row("named b", report.SERVICE, 100.0, p50=3.0, fresh=True), _row("named b", report.OXIGRAPH, 900.0, p50=1.0),
            _row("named c", report.SERVICE, 100.0, p50=9.0, fresh=True), timed_out,
            _row("named d", report.SERVICE, 100.0, p50=2.0, fresh=True), refused]
    verdict = _verdict({"sizes": [_size("1m", rows)]}, "1m: named query p50 < 5 ms, every request evaluated")
    assert verdict["met"] is False
    assert verdict["note"].startswith("out of reach for 2 of 3 named queries: oxigraph serve's own p50")


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
    workloads = [targets.Workload("named short", "named", "/q/short", "application/json", sparql="ASK {}"),
                 targets.Workload("named long", "named", "/q/long", "application/json", sparql="ASK {}" + " " * 9000)]
    run.serve_peer("oxigraph", ["oxigraph"], "/query", "/query", Path("/dev/null"), workloads,
                   {"peer_timeout": 1, "load_timeout": 1}, capped=False, port=1)
    (short_path, short_form), (long_path, long_form) = calls
    assert short_path == "/query?query=ASK%20%7B%7D" and short_form is None
    assert long_path == "/query" and long_form.startswith("query=ASK%20%7B%7D%20%20")


def test_a_miss_is_within_reach_only_where_neither_the_floor_nor_the_engine_alone_misses_too():
    rows = [_row(report.FLOOR_WORKLOAD, report.FLOOR, 1000.0, group="floor"),
            _row("named engine-bound", report.SERVICE, 300.0, fresh=True),
            _row("named engine-bound", report.OXIGRAPH, 400.0),   # the engine alone: 40% of the floor
            _row("named ours", report.SERVICE, 500.0, fresh=True),
            _row("named ours", report.OXIGRAPH, 9000.0),          # the engine alone is fast: our miss
            _row("named fine", report.SERVICE, 700.0, fresh=True),
            _row("named fine", report.OXIGRAPH, 9000.0)]
    verdict = _verdict({"sizes": [_size("100k", rows)]}, "100k: named queries and label lookup, every request")
    assert verdict["met"] is False and verdict["missed_within_reach"] == ["named ours"]
    rows[3]["measurement"]["requests_per_second"] = 650.0
    verdict = _verdict({"sizes": [_size("100k", rows)]}, "100k: named queries and label lookup, every request")
    assert verdict["met"] is False and verdict["missed_within_reach"] == []
    table = report.render_verdicts({"sizes": [_size("100k", rows)]})
    assert "| **no** | out of reach for 1 of 3 workloads: on them oxigraph serve, the engine alone, reaches only 40% " \
           "of the floor's rate | none |" in table


def test_no_p99_miss_is_within_reach_when_the_floor_s_own_p99_misses_the_target():
    rows = [_row(report.FLOOR_WORKLOAD, report.FLOOR, 1000.0, group="floor", p99=4.0),
            _row("named a", report.SERVICE, 700.0, p99=6.0, fresh=True),
            _row("named a", report.OXIGRAPH, 9000.0, p99=1.0)]
    target = "100k: ... every request evaluated (no-cache), p99"
    assert _verdict({"sizes": [_size("100k", rows)]}, target)["missed_within_reach"] == ["named a"]
    rows[0]["measurement"]["p99_ms"] = 7.0
    assert _verdict({"sizes": [_size("100k", rows)]}, target)["missed_within_reach"] == []


def test_an_rdflib_endpoint_that_never_answered_bounds_the_multiple_from_below():
    timed_out = {**_row("named slow", report.RDFLIB_ENDPOINT, 0.0), "measurement": None, "error": "no answer: timed out"}
    rows = [_row(report.FLOOR_WORKLOAD, report.FLOOR, 1000.0, group="floor"),
            _row("named slow", report.SERVICE, 200.0, fresh=True), timed_out,
            _row("named slow", report.OXIGRAPH, 400.0)]
    # nothing back from one request in 30 s, 2 in flight at most: under 1/15 req/s, so 200 req/s is > 3,000x
    assert report.rate_bound(timed_out, 30.0) == pytest.approx(2 / 30)
    results = {"settings": {"peer_timeout": 30.0}, "sizes": [_size("100k", rows)]}
    verdict = _verdict(results, "100k: ... every request evaluated (no-cache), >= 1,000x")
    assert verdict["met"] is True
    assert verdict["measured"] == "3,000x (1 of them lower bounds: rdflib-endpoint gave no answer within its time limit)"
    # a bound below the target says nothing: the multiple is unknown, not missed
    results["settings"]["peer_timeout"] = 5.0
    verdict = _verdict(results, "100k: ... every request evaluated (no-cache), >= 1,000x")
    assert verdict["met"] is None and verdict["missed_within_reach"] == []
    assert report.rate_bound(_row("named a", report.RDFLIB_ENDPOINT, 3.0), 30.0) is None  # it has a rate


def test_the_repeated_share_target_names_every_query_that_misses_it():
    rows = [_row(report.FLOOR_WORKLOAD, report.FLOOR, 1000.0, group="floor"),
            _row("named big", report.SERVICE, 240.0), _row("named small", report.SERVICE, 2000.0)]
    verdict = _verdict({"sizes": [_size("100k", rows)]}, "100k: a repeated named query")
    assert verdict["met"] is False and verdict["missed_within_reach"] == ["named big"]


def test_the_cost_ceiling_adds_the_query_s_own_cpu_to_the_floor_s_cost_per_request():
    # 1,000 req/s on 2 cores: 2 ms of CPU per floor request; a 2 ms query halves the best rate
    assert report.cost_ceiling("named a", 1000.0, 2, {"named a": 2.0}) == pytest.approx(0.5)
    assert report.cost_ceiling("named b", 1000.0, 2, {"named a": 2.0}) is None  # not timed
    assert report.cost_ceiling("named a", None, 2, {"named a": 2.0}) is None


def test_an_evaluated_query_whose_own_cost_rules_out_the_floor_target_is_out_of_reach_not_missed():
    rows = [_row(report.FLOOR_WORKLOAD, report.FLOOR, 1000.0, group="floor"),
            _row("named dear", report.SERVICE, 300.0, fresh=True),
            _row("named dear", report.OXIGRAPH, 9000.0),   # oxigraph serve is fast: the engine alone allows it
            _row("named cheap", report.SERVICE, 500.0, fresh=True),
            _row("named cheap", report.OXIGRAPH, 9000.0)]
    size = {**_size("100k", rows), "engine_ms": {"named dear": 2.0, "named cheap": 0.1}}
    results = {"machine": {"nproc": 2}, "sizes": [size]}
    verdict = _verdict(results, "100k: named queries and label lookup, every request")
    assert verdict["missed_within_reach"] == ["named cheap"]  # its ceiling is 95%: the rest is lbp-kg's own work
    assert verdict["note"] == ("out of reach for 1 of 2 workloads: the floor's request plus the query's own "
                               "evaluation in process leaves at most 50% of the floor's rate")
    assert "Each named query's own evaluation in process" in report.render_size(size)


def test_engine_costs_time_each_named_workload_with_its_bindings_over_the_ontology(tmp_path: Path):
    from bench import named_queries

    gluteus = "https://w3id.org/lbp-kg/id/gluteus-medius"
    workloads = [targets.Workload("named actions (muscle=gluteus medius)", "named", "/queries/actions", "application/json",
                                  query="actions", bindings=(("muscle", gluteus),)),
                 targets.Workload("named actions (muscle=gluteus medius)", "named", "/queries/actions", "application/json",
                                  query="actions", bindings=(("muscle", gluteus),), fresh=True),  # same query: once
                 targets.Workload("named unresolved", "named", "/queries/actions", "application/json", query="actions"),
                 targets.Workload("sparql label-lookup", "sparql", "/sparql", "application/json")]
    costs = named_queries.engine_costs(workloads, 0, tmp_path, runs=3)
    assert list(costs) == ["named actions (muscle=gluteus medius)"]
    assert 0 < costs["named actions (muscle=gluteus medius)"] < 1000


def test_the_bare_wsgi_floor_answers_a_tiny_json_document_without_a_framework():
    from bench import hello

    seen = []
    body = b"".join(hello.bare_app({"PATH_INFO": "/hello", "REQUEST_METHOD": "GET"}, lambda *a: seen.append(a)))
    assert body == b'{"hello":"world"}'
    assert seen == [("200 OK", [("Content-Type", "application/json"), ("Content-Length", "17")])]
