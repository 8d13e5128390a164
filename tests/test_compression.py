"""Compressed answers: gzip for clients that accept it, the same answer and 304s either way."""
from __future__ import annotations

import gzip

import pytest

from service.web.compression import MIN_BYTES, accepts_gzip

COMPENSATORS = "/queries/compensators?muscle=gluteus%20medius"  # several kB of JSON
SMALL_ASK = "/sparql?query=ASK%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D"
GZIP = {"Accept-Encoding": "gzip, deflate"}


def test_a_client_accepting_gzip_gets_the_same_answer_compressed(client):
    plain = client.get(COMPENSATORS)
    packed = client.get(COMPENSATORS, headers=GZIP)
    assert len(plain.data) >= MIN_BYTES
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data
    assert int(packed.headers["Content-Length"]) == len(packed.data) < len(plain.data) / 3
    assert packed.headers["Content-Type"] == plain.headers["Content-Type"]


def test_a_compressed_answer_carries_the_weak_form_of_the_answer_s_etag(client):
    plain = client.get(COMPENSATORS)
    packed = client.get(COMPENSATORS, headers=GZIP)
    assert packed.headers["ETag"] == f"W/{plain.headers['ETag']}"


@pytest.mark.parametrize("held", ["identity", "compressed"])
@pytest.mark.parametrize("cache_control", ["", "no-cache"])
def test_either_etag_gets_a_304(client, held, cache_control):
    etag = client.get(COMPENSATORS, headers=GZIP if held == "compressed" else {}).headers["ETag"]
    again = client.get(COMPENSATORS, headers={**GZIP, "If-None-Match": etag, "Cache-Control": cache_control})
    assert again.status_code == 304 and again.data == b""


def test_answers_that_could_be_compressed_vary_on_accept_encoding_either_way(client):
    for headers in ({}, GZIP):
        vary = client.get(COMPENSATORS, headers=headers).headers["Vary"]
        assert "Accept" in vary.split(", ") and "Accept-Encoding" in vary.split(", ")


def test_the_answer_cache_keeps_compressed_and_plain_answers_apart(client):
    first_packed = client.get(COMPENSATORS, headers=GZIP)
    plain = client.get(COMPENSATORS)
    packed = client.get(COMPENSATORS, headers=GZIP)
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip" and packed.data == first_packed.data
    assert gzip.decompress(packed.data) == plain.data


def test_a_fresh_evaluation_is_compressed_too(client):
    packed = client.get(COMPENSATORS, headers={**GZIP, "Cache-Control": "no-cache"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == client.get(COMPENSATORS).data


def test_small_answers_errors_and_static_files_are_sent_as_they_are(client):
    small = client.get(SMALL_ASK, headers=GZIP)
    assert small.status_code == 200 and len(small.data) < MIN_BYTES
    assert "Content-Encoding" not in small.headers and "Accept-Encoding" not in small.headers["Vary"]
    missing = client.get("/queries/compensators?muscle=gluteus%20medus", headers=GZIP)
    assert missing.status_code == 404 and "Content-Encoding" not in missing.headers
    assert missing.get_json()["error"]
    with client.get("/static/graph.js", headers=GZIP) as static:
        assert static.status_code == 200 and "Content-Encoding" not in static.headers


def test_a_client_that_refuses_gzip_gets_the_plain_answer(client):
    refused = client.get(COMPENSATORS, headers={"Accept-Encoding": "gzip;q=0, br"})
    assert "Content-Encoding" not in refused.headers
    assert refused.get_json()["results"]["bindings"]


@pytest.mark.parametrize("value, accepted", [
    ("gzip", True), ("gzip, deflate, br", True), ("deflate, gzip;q=0.5", True), ("*", True),
    ("x-gzip", True), ("", False), ("br", False), ("gzip;q=0", False), ("*;q=0", False),
    ("identity", False),
])
def test_accept_encoding_is_read_with_its_qualities(value, accepted):
    assert accepts_gzip(value) is accepted
