"""Queries run in worker processes that are killed at the deadline; the pool recovers."""
from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph

from service.engine.executor import QueryExecutor, QueryJob
from service.store.errors import QueryError, QuerySyntaxError, QueryTimeout, QueryTooCostly
from service.kg.ontology import Module
from service.store import OxigraphStore

TIMEOUT = 1.5

TINY_ANATOMY = """
@prefix lbp: <https://w3id.org/lbp-kg/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
lbp:psoas-major a lbp:Muscle ; rdfs:label "psoas major"@en .
lbp:iliacus a lbp:Muscle ; rdfs:label "iliacus"@en .
"""

LABEL_OF = "SELECT ?term ?label WHERE { ?term <http://www.w3.org/2000/01/rdf-schema#label> ?label }"
# 5 triples to the 40th power: never finishes, yields no row to stop at
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { " + " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(40)) + " }"


def tiny_store() -> OxigraphStore:
    graph = Graph().parse(data=TINY_ANATOMY, format="turtle")
    return OxigraphStore.from_modules([Module(iri="https://w3id.org/lbp-kg/test/anatomy",
                                              path=Path("anatomy.ttl"), graph=graph, version=None)])


@pytest.fixture(scope="module")
def executor(tmp_path_factory):
    pool = QueryExecutor(store=tiny_store(), cache_dir=str(tmp_path_factory.mktemp("cache")),
                         timeout=TIMEOUT, max_rows=100, workers=2)
    yield pool
    pool.close()


def labels(result) -> list[str]:
    return sorted(b["label"]["value"] for b in json.loads(result.body)["results"]["bindings"])


def test_no_worker_starts_until_the_first_query(tmp_path):
    pool = QueryExecutor(store=tiny_store(), cache_dir=str(tmp_path), timeout=TIMEOUT)
    assert pool.live_workers == 0 and not (tmp_path / "query-store").exists()
    pool.close()


def test_a_query_runs_in_a_worker_and_comes_back_serialised(executor):
    result = executor.run(QueryJob(LABEL_OF))
    assert result.media_type == "application/sparql-results+json"
    assert labels(result) == ["iliacus", "psoas major"]


def test_substitutions_cross_the_process_boundary(executor):
    job = QueryJob(LABEL_OF, substitutions=(("term", ox.NamedNode("https://w3id.org/lbp-kg/id/iliacus")),))
    assert labels(executor.run(job)) == ["iliacus"]


def test_a_syntax_error_reports_line_and_column(executor):
    with pytest.raises(QuerySyntaxError) as error:
        executor.run(QueryJob("SELECT *\nWHERE { ?s ?p }"))
    assert (error.value.line, error.value.column) == (2, 16)


@pytest.mark.slow
def test_a_runaway_query_is_killed_at_the_deadline_and_the_pool_recovers(executor):
    executor.start()
    before = {worker.process.pid for worker in executor.pool._idle}
    killed = executor.stats["killed"]
    with pytest.raises(QueryTimeout, match="time limit; simplify it or add LIMIT"):
        executor.run(QueryJob(RUNAWAY))
    assert executor.stats["killed"] == killed + 1
    after = {worker.process.pid for worker in executor.pool._idle}
    assert len(before - after) == 1, "the worker that ran it is gone"
    assert labels(executor.run(QueryJob(LABEL_OF))) == ["iliacus", "psoas major"]


@pytest.mark.slow
def test_other_queries_are_answered_while_one_runs_away(executor):
    executor.start()
    outcome = {}

    def run_away():
        try:
            executor.run(QueryJob(RUNAWAY))
        except QueryTimeout as err:
            outcome["timeout"] = err

    runaway = threading.Thread(target=run_away)
    runaway.start()
    time.sleep(0.2)
    assert labels(executor.run(QueryJob(LABEL_OF))) == ["iliacus", "psoas major"]
    assert runaway.is_alive(), "answered while the runaway was still running"
    runaway.join()
    assert "timeout" in outcome


@pytest.mark.slow
def test_a_query_waiting_for_the_only_worker_is_answered_once_the_runaway_is_killed(tmp_path):
    pool = QueryExecutor(store=tiny_store(), cache_dir=str(tmp_path), timeout=TIMEOUT, workers=1)
    pool.start()
    stuck = threading.Thread(target=pytest.raises, args=(QueryTimeout, pool.run, QueryJob(RUNAWAY)))
    stuck.start()
    time.sleep(0.3)
    assert pool.stats["killed"] == 0
    assert labels(pool.run(QueryJob(LABEL_OF))) == ["iliacus", "psoas major"]
    assert pool.stats["killed"] == 1, "it was answered by the worker started after the runaway was killed"
    stuck.join()
    pool.close()


def test_a_worker_cannot_reach_the_network_even_if_a_service_call_slips_past_the_guard(executor):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.5)
    port = server.getsockname()[1]
    try:
        with pytest.raises(QueryError, match="Operation not permitted"):
            executor.run(QueryJob(f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}"))
        with pytest.raises(socket.timeout):
            server.accept()
    finally:
        server.close()


def test_the_snapshot_is_written_once_per_store_version(tmp_path):
    store = tiny_store()
    first = store.write_snapshot(tmp_path)
    marker = first / "written-once"
    marker.write_text("")
    assert store.write_snapshot(tmp_path) == first and marker.exists()
    assert first.name == store.version


def test_closing_the_pool_stops_its_workers(tmp_path):
    pool = QueryExecutor(store=tiny_store(), cache_dir=str(tmp_path), timeout=TIMEOUT, workers=1)
    pool.run(QueryJob(LABEL_OF))
    process = pool.pool._idle[0].process
    pool.close()
    assert pool.live_workers == 0 and not process.is_alive()


# --- which jobs run where ---------------------------------------------------------------------

LABEL_LOOKUP = 'SELECT ?term WHERE { ?term <http://www.w3.org/2000/01/rdf-schema#label> "%s"@en }'


def terms(result) -> list[str]:
    return [b["term"]["value"] for b in json.loads(result.body)["results"]["bindings"]]


@pytest.fixture()
def fresh_pool(tmp_path):
    pool = QueryExecutor(store=tiny_store(), cache_dir=str(tmp_path), timeout=TIMEOUT, workers=1)
    yield pool
    pool.close()


def test_the_service_s_own_queries_run_in_process_without_starting_a_worker(fresh_pool):
    assert labels(fresh_pool.run(QueryJob(LABEL_OF, trusted=True))) == ["iliacus", "psoas major"]
    assert fresh_pool.live_workers == 0 and fresh_pool.runs_in_process == 1


def test_a_client_query_always_runs_in_a_worker_however_often_its_like_has_answered_quickly(fresh_pool):
    for _ in range(5):
        assert terms(fresh_pool.run(QueryJob(LABEL_LOOKUP % "iliacus"))) == ["https://w3id.org/lbp-kg/id/iliacus"]
    assert terms(fresh_pool.run(QueryJob(LABEL_LOOKUP % "psoas major"))) == ["https://w3id.org/lbp-kg/id/psoas-major"]
    assert fresh_pool.live_workers == 1 and fresh_pool.runs_in_process == 0


def crowded_store(members: int = 3000) -> OxigraphStore:
    store = ox.Store()
    store.bulk_load("\n".join(f"<https://example.org/m{i}> <https://example.org/in> <https://example.org/C> ."
                              for i in range(members)).encode(), ox.RdfFormat.N_TRIPLES)
    return OxigraphStore(store=store, module_graphs=[], version="crowded")


# the same text but for one value: no row for "nobody" (at once), 27 billion rows for C
CHEAP_LOOKING = ("SELECT (COUNT(*) AS ?n) WHERE { ?x <https://example.org/in> <https://example.org/%s> . "
                 "?a <https://example.org/in> ?c . ?b <https://example.org/in> ?c . ?d <https://example.org/in> ?c }")


def test_a_query_that_looked_cheap_with_one_value_is_still_cut_off_with_another(tmp_path):
    pool = QueryExecutor(store=crowded_store(), cache_dir=str(tmp_path), timeout=0.5, workers=1)
    try:
        for _ in range(3):
            assert pool.run(QueryJob(CHEAP_LOOKING % "nobody")).body
        with pytest.raises(QueryTimeout):
            pool.run(QueryJob(CHEAP_LOOKING % "C"))
        assert pool.stats["killed"] == 1
        assert pool.run(QueryJob(CHEAP_LOOKING % "nobody")).body, "a fresh worker answers the next query"
    finally:
        pool.close()


# 2^27 copies of one character: 128 MiB as UTF-8, more while it is built
DOUBLINGS = 27
MEMORY_HOG = ("SELECT (STRLEN(?s%d) AS ?n) WHERE { BIND(\"x\" AS ?s0) " % DOUBLINGS
              + " ".join(f"BIND(CONCAT(?s{i}, ?s{i}) AS ?s{i + 1})" for i in range(DOUBLINGS)) + " }")


def test_a_query_needing_more_memory_than_a_worker_may_use_is_stopped_and_the_worker_replaced(tmp_path):
    pool = QueryExecutor(store=tiny_store(), cache_dir=str(tmp_path), timeout=10, workers=1, memory_mb=256)
    try:
        with pytest.raises(QueryTooCostly, match="256 MiB"):
            pool.run(QueryJob(MEMORY_HOG))
        assert labels(pool.run(QueryJob(LABEL_OF))) == ["iliacus", "psoas major"]
    finally:
        pool.close()
