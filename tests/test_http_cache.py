"""HTTP caching: ETags from the graph version and the request, 304s, Cache-Control, the result cache."""
from __future__ import annotations

import threading
import time

import pytest

from service import create_app
from service.web.http_cache import ResultCache
from service.web.query_response import query_executor
from tests.conftest import stop_query_workers

COMPENSATORS = "/queries/compensators?muscle=gluteus%20medius"
SPARQL_GET = "/sparql?query=ASK%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D"
ENTITY = "/id/psoas-major"
STATIC_FILE = "graph.js"


@pytest.fixture(scope="module")
def cache_app():
    application = create_app({"http_max_age": 120, "query_timeout": 5.0})
    application.config["TESTING"] = True
    yield application
    stop_query_workers(application)


@pytest.fixture()
def client(cache_app):
    return cache_app.test_client()


@pytest.mark.parametrize("path", [COMPENSATORS, SPARQL_GET, ENTITY])
def test_get_answers_carry_an_etag_cache_control_and_vary_accept(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["ETag"]
    assert response.headers["Cache-Control"] == "public, max-age=120"
    assert "Accept" in response.headers["Vary"]


@pytest.mark.parametrize("path", [COMPENSATORS, SPARQL_GET, ENTITY])
def test_a_matching_if_none_match_is_answered_304_without_a_body(client, path):
    etag = client.get(path).headers["ETag"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag and again.headers["Cache-Control"] == "public, max-age=120"


def test_the_etag_depends_on_the_query_string_and_the_negotiated_media_type(client):
    json = client.get(COMPENSATORS).headers["ETag"]
    csv = client.get(COMPENSATORS, headers={"Accept": "text/csv"}).headers["ETag"]
    other = client.get("/queries/compensators?muscle=psoas%20major").headers["ETag"]
    assert len({json, csv, other}) == 3
    stale = client.get(COMPENSATORS, headers={"If-None-Match": csv})
    assert stale.status_code == 200 and stale.headers["ETag"] == json


def test_the_etag_changes_with_the_graph_version(client, cache_app, monkeypatch):
    before = client.get(ENTITY).headers["ETag"]
    monkeypatch.setattr(cache_app.extensions["lbp_kg"].store, "version", "another-version")
    response = client.get(ENTITY, headers={"If-None-Match": before})
    assert response.status_code == 200 and response.headers["ETag"] != before


def test_post_and_error_answers_are_not_marked_cacheable(client):
    posted = client.post("/sparql", data={"query": "ASK { ?s ?p ?o }"})
    assert posted.status_code == 200 and "ETag" not in posted.headers
    missing = client.get("/queries/compensators?muscle=no%20such%20muscle")
    assert missing.status_code == 404 and "ETag" not in missing.headers and "Cache-Control" not in missing.headers


def answer_cache(app):
    return app.wsgi_app  # service.web.answer_cache.AnswerCache, in front of the Flask app


def test_a_repeated_get_is_replayed_from_the_answer_cache_without_running_the_query(client, cache_app):
    executor = query_executor(cache_app.extensions["lbp_kg"])
    first = client.get(COMPENSATORS, headers={"Accept": "text/tab-separated-values"})
    hits, runs = answer_cache(cache_app).entries.hits, executor.runs_in_process
    second = client.get(COMPENSATORS, headers={"Accept": "text/tab-separated-values"})
    assert answer_cache(cache_app).entries.hits == hits + 1 and executor.runs_in_process == runs
    assert second.data == first.data and second.mimetype == first.mimetype
    assert second.headers["ETag"] == first.headers["ETag"]
    assert second.headers["Access-Control-Allow-Origin"] == "*"


def test_no_cache_in_the_request_makes_the_query_run_again(client, cache_app):
    executor = query_executor(cache_app.extensions["lbp_kg"])
    first = client.get(COMPENSATORS)
    runs = executor.runs_in_process
    fresh = client.get(COMPENSATORS, headers={"Cache-Control": "no-cache"})
    assert executor.runs_in_process == runs + 1
    assert fresh.data == first.data and fresh.headers["ETag"] == first.headers["ETag"]


def test_the_answer_cache_keeps_no_error_and_no_post(client, cache_app):
    entries = len(answer_cache(cache_app).entries)
    assert client.get("/queries/compensators?muscle=nothing%20like%20this").status_code == 404
    assert client.post("/sparql", data={"query": "ASK { ?s ?p ?o }"}).status_code == 200
    assert len(answer_cache(cache_app).entries) == entries


def test_the_result_cache_forgets_the_least_recently_used_entry_first():
    cache = ResultCache(max_entries=2, max_entry_bytes=100)
    cache.put("a", "A", 1)
    cache.put("b", "B", 1)
    assert cache.get("a") == "A"  # a is now more recent than b
    cache.put("c", "C", 1)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == ("A", None, "C")


def test_the_result_cache_evicts_the_least_recent_entries_to_stay_within_its_total_bytes():
    cache = ResultCache(max_entries=10, max_entry_bytes=100, max_total_bytes=150)
    cache.put("a", "A", 60)
    cache.put("b", "B", 60)
    cache.put("c", "C", 60)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (None, "B", "C")
    assert cache.total_bytes == 120


def test_the_result_cache_skips_results_larger_than_an_entry_may_be():
    cache = ResultCache(max_entries=10, max_entry_bytes=100)
    cache.put("big", "x" * 101, 101)
    assert cache.get("big") is None and len(cache) == 0


def test_max_age_zero_asks_clients_to_revalidate_every_time(make_app):
    app = make_app(http_max_age=0)
    response = app.test_client().get("/id/psoas-major", headers={"Accept": "text/turtle"})
    assert response.headers["Cache-Control"] == "no-cache"


def test_threads_missing_the_same_entry_at_once_compute_it_once_and_share_it():
    cache = ResultCache(max_entries=10, max_entry_bytes=100)
    release, calls, answers = threading.Event(), [], []

    def compute():
        calls.append(threading.current_thread().name)
        assert release.wait(5)
        return "A"

    def ask():
        answers.append(cache.get_or_compute("a", compute, len))

    threads = [threading.Thread(target=ask, name=f"asker-{i}") for i in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 5
    while cache.misses < 4 and time.monotonic() < deadline:  # all four have missed, one computes
        time.sleep(0.001)
    release.set()
    for thread in threads:
        thread.join(5)
    assert len(calls) == 1 and answers == ["A"] * 4
    assert cache.get("a") == "A"


def test_when_the_computation_fails_every_waiting_thread_gets_the_error_and_nothing_is_kept():
    cache = ResultCache(max_entries=10, max_entry_bytes=100)
    release, outcomes = threading.Event(), []

    def compute():
        assert release.wait(5)
        raise ValueError("query failed")

    def ask():
        try:
            outcomes.append(cache.get_or_compute("a", compute, len))
        except ValueError as err:
            outcomes.append(str(err))

    threads = [threading.Thread(target=ask) for _ in range(3)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 5
    while cache.misses < 3 and time.monotonic() < deadline:
        time.sleep(0.001)
    release.set()
    for thread in threads:
        thread.join(5)
    assert outcomes == ["query failed"] * 3 and len(cache) == 0
    assert cache.get_or_compute("a", lambda: "B", len) == "B"  # the next request tries again


def test_an_entry_computed_once_is_then_served_without_computing():
    cache = ResultCache(max_entries=10, max_entry_bytes=100)
    calls = []
    assert cache.get_or_compute("a", lambda: calls.append(1) or "A", len) == "A"
    assert cache.get_or_compute("a", lambda: calls.append(1) or "B", len) == "A"
    assert calls == [1] and cache.hits == 1


def test_the_answer_cache_keeps_only_tagged_answers_not_static_files(client, cache_app):
    entries = len(answer_cache(cache_app).entries)
    with client.get("/static/" + STATIC_FILE) as static:
        assert static.status_code == 200 and static.headers["ETag"]
    assert len(answer_cache(cache_app).entries) == entries
    assert client.get(ENTITY, headers={"Accept": "application/n-triples"}).status_code == 200
    assert len(answer_cache(cache_app).entries) == entries + 1


def test_concurrent_identical_misses_are_evaluated_once_and_shared():
    from service.web.answer_cache import AnswerCache
    from service.web.http_cache import TAGGED_ANSWER

    calls = []

    def slow_app(environ, start_response):
        calls.append(environ["PATH_INFO"])
        time.sleep(0.3)  # long enough for every other thread to miss the same entry meanwhile
        environ[TAGGED_ANSWER] = True
        start_response("200 OK", [("Content-Type", "text/plain"), ("ETag", '"v1"')])
        return [b"the answer"]

    cache = AnswerCache(slow_app, version=lambda: "v1")
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/queries/lower-crossed-pattern", "QUERY_STRING": ""}
    bodies = []
    threads = [threading.Thread(target=lambda: bodies.append(b"".join(cache(dict(environ), lambda *a: None))))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert bodies == [b"the answer"] * 8 and len(calls) == 1
