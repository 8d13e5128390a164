"""Property-based: requests generated from /openapi.json never get a 5xx, and every answer is as documented.

schemathesis (pinned in pyproject's test extra) generates requests for every operation of the
OpenAPI document the service serves at /openapi.json (service.web.views.meta.openapi_document), from its examples, its schemas' edges and random values,
sends them to the app in process (WSGI), and checks each answer: no 5xx, a status code the
document declares for that operation, that status's media type, and a body valid against its
schema. The app has writes on (so /graph-store and /update answer as in production) but the
fuzzer holds no token: writes stop at 401 and nothing is written.

Deterministic (the same requests every run) and bounded for CI; ``LBP_KG_FUZZ_EXAMPLES=500`` runs a
larger campaign.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_headers_conformance,
                                 response_schema_conformance, status_code_conformance)

from service import create_app
from service.web.views.meta import openapi_document
from tests.conftest import stop_query_workers

#: fuzzing campaigns: over 1,700 requests, validations among them (half a minute)
pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("LBP_KG_FUZZ_EXAMPLES", "15"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
EXAMPLE_EXTENSION = Path(__file__).parent / "data" / "extensions" / "psoas-minor.ttl"
TOKEN = "a token the fuzzer is never given"


#: every network connection this process tried while the fuzzer ran (query, update and validation
#: workers are other processes, locked out of the network by seccomp: tests/test_security.py)
CONNECTIONS: list = []
_listening = False
#: requests the fuzzer sent, per operation (printed with -s, for the size of a campaign)
SENT: dict = {}


def _record_connections(event: str, args: tuple) -> None:
    if not _listening or event not in ("socket.connect", "socket.getaddrinfo", "urllib.Request"):
        return
    if event == "socket.connect" and isinstance(args[1], (str, bytes)):
        return  # a Unix socket: the pipe to the worker processes' fork server, not the network
    CONNECTIONS.append((event, args[1:] if event == "socket.connect" else args))


sys.addaudithook(_record_connections)  # audit hooks cannot be removed; it records only while listening


@pytest.fixture(scope="module", autouse=True)
def no_connection_is_made():
    """Fail the module if anything the fuzzer sent made this process open a connection."""
    global _listening
    _listening = True
    yield
    _listening = False
    print(f"\nfuzzing: {sum(SENT.values())} requests over {len(SENT)} operations, "
          f"{len(CONNECTIONS)} connection attempts")
    assert CONNECTIONS == [], f"the service tried to reach the network: {CONNECTIONS[:5]}"


@pytest.fixture(scope="module")
def writable_app(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    (root / "extensions").mkdir()
    shutil.copy(EXAMPLE_EXTENSION, root / "extensions")
    app = create_app({"query_timeout": 5.0, "cache_dir": str(root / "cache"), "extensions_dir": str(root / "extensions"),
                      "change_log": str(root / "changes.jsonl"), "writes_enabled": True,
                      "write_tokens": {TOKEN: "the tests below, never the fuzzer"}})
    yield app
    stop_query_workers(app)


@schemathesis.serializer("application/n-triples", "application/sparql-update", "application/sparql-query")
def _text_body(_context, value) -> bytes:
    """Send the generated text as UTF-8, unpaired surrogates and all (anything else as its JSON)."""
    text = value if isinstance(value, str) else json.dumps(value)
    return text.encode("utf-8", errors="surrogatepass")


# from the document itself, not from a fixture: schemathesis' lazy loading does not run under pytest 9
schema = schemathesis.openapi.from_dict(openapi_document())


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented_and_never_with_a_5xx(case, writable_app):
    # schemathesis' WSGI transport asks for gzip but does not undo Content-Encoding before it reads
    # a body; compression has tests of its own (tests/test_compression.py)
    case.headers = {"Accept-Encoding": "identity", **(case.headers or {})}
    SENT[case.operation.label] = SENT.get(case.operation.label, 0) + 1
    case.call_and_validate(app=writable_app, checks=CHECKS)


#: answers issue 11 found missing from, or disagreeing with, the document:
#: (method, documented path, path, query, headers, status)
ONCE_UNDOCUMENTED = [
    ("GET", "/graph.json", "/graph.json", {"focus": "s"}, {}, 404),  # suggestions lacked SearchHit's "matched"
    ("GET", "/queries/{name}", "/queries/compensators", {"muscle": "s"}, {}, 404),  # the same suggestions
    ("GET", "/graph-store", "/graph-store", {}, {}, 400),
    ("DELETE", "/graph-store", "/graph-store", {"graph": "https://w3id.org/lbp-kg/ontology/extensions/none"},
     {"Authorization": f"Bearer {TOKEN}", "X-Change-Reason": "a test"}, 404),
    ("GET", "/search", "/search", {"q": "glute", "limit": ""}, {}, 400),  # was taken as the default limit
    ("POST", "/validate", "/validate", {}, {"Accept": "image/png", "Content-Type": "text/turtle"}, 406),
]


@pytest.mark.parametrize(("method", "documented", "path", "query", "headers", "status"), ONCE_UNDOCUMENTED,
                         ids=[f"{m} {p} {s}" for m, _, p, _, _, s in ONCE_UNDOCUMENTED])
def test_answers_once_undocumented_are_documented(writable_app, method, documented, path, query, headers, status):
    response = writable_app.test_client().open(path, method=method, query_string=query, headers=headers,
                                               data=b"<http://a> <http://b> <http://c> ." if method == "POST" else None)
    assert response.status_code == status, response.get_json()
    assert str(status) in openapi_document()["paths"][documented][method.lower()]["responses"]
    schema[documented][method].validate_response(response)  # the body, against that status's schema


#: the write operations, fuzzed again as the token's holder, so bodies reach the parsers and the gate
WRITE_EXAMPLES = int(os.environ.get("LBP_KG_FUZZ_WRITE_EXAMPLES", "10"))


@schema.include(path_regex="^/(update|graph-store)$").exclude(method="GET").parametrize()
@settings(max_examples=WRITE_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_every_write_answers_its_token_holder_as_documented_and_never_with_a_5xx(case, writable_app):
    case.headers = {"Accept-Encoding": "identity", **(case.headers or {}), "Authorization": f"Bearer {TOKEN}",
                    "X-Change-Reason": "fuzzing"}
    SENT[case.operation.label + " (token)"] = SENT.get(case.operation.label + " (token)", 0) + 1
    case.call_and_validate(app=writable_app, checks=CHECKS)
