"""Curated writes, off by default: SPARQL 1.1 Update at /update, the Graph Store Protocol at /graph-store.

Only extension graphs can be written, never the core modules. Every write needs a bearer token
(``write_tokens``), a reason (``X-Change-Reason`` header or ``reason`` field), passes the gate of
``lbp-kg check`` and is committed atomically and durably by service.curation.extension_store, then the
knowledge base is swapped (service.web.reload). With ``writes_enabled`` off every route answers 403
saying how to turn writes on. See docs/writes.md.
"""
from __future__ import annotations

import hmac
import logging
import time
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from rdflib import Graph

from service.web import reload
from service.web.errors import ApiError
from service.curation.admission import VerdictCache
from service.curation.extension_store import PAUSE_STEPS, ExtensionStore, WriteError, WriteResult
from service.web.query_response import ApiErrorWithHeaders
from service.kg.rdf_files import PARSER_FOR_MEDIA_TYPE, RdfSyntaxError, parse_rdf_bytes
from service.engine.sandbox import SandboxError, SandboxPool, SandboxTimeout, no_setup
from service.curation.sparql_update import (ForeignGraphError, UpdateEvaluationError, UpdateRefused, UpdateSyntaxError,
                                   apply_update, evaluate_update)
from service.store import ASSERTED_GRAPH, INFERRED_GRAPH

log = logging.getLogger(__name__)

bp = Blueprint("writes", __name__)

#: the HTTP status of each reason the write store gives for refusing a write
STATUS_OF_REFUSAL = {"no-such-graph": 404, "read-only-graph": 403, "conflict": 409, "gate-unavailable": 503,
                     "gate-rejected": 422}
STORE_KEY = "lbp_kg.extension_store"
UPDATE_POOL_KEY = "lbp_kg.update_pool"
UPDATE_TYPE = "application/sparql-update"
FORM_TYPE = "application/x-www-form-urlencoded"
REASON_HEADER = "X-Change-Reason"
MAX_REASON_CHARS = 2000
#: media types GET /graph-store answers in, default first (rdflib serialiser names)
GRAPH_STORE_TYPES = {"text/turtle": "turtle", "application/n-triples": "nt", "application/rdf+xml": "xml"}
HOW_TO_ENABLE = ("writes are off on this server. To turn them on, start it with LBP_KG_WRITES_ENABLED=true and "
                 "LBP_KG_WRITE_TOKENS='{\"<secret token>\": \"<who holds it>\"}' (or writes_enabled and "
                 "write_tokens in the LBP_KG_CONFIG file); see docs/writes.md")


# --- who, why, which graph --------------------------------------------------------------------

def _update_pool() -> SandboxPool:
    """Return the worker that evaluates updates (created with the app, started on first use)."""
    return current_app.extensions[UPDATE_POOL_KEY]


def _store() -> ExtensionStore:
    store = current_app.extensions.get(STORE_KEY)
    if store is None:
        raise ApiError(403, HOW_TO_ENABLE)
    return store


def _unauthorised(message: str, error: str | None = None) -> ApiErrorWithHeaders:
    challenge = 'Bearer realm="lbp-kg writes"' + (f', error="{error}"' if error else "")
    return ApiErrorWithHeaders(401, message, {"WWW-Authenticate": challenge})


def _writer() -> str:
    """Return the name of the token's holder, or raise 401."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _unauthorised("writes need a bearer token: send Authorization: Bearer <token>")
    holder = None
    for known, name in current_app.extensions["lbp_kg.settings"].write_tokens.items():
        # compare against every token, in constant time, so timing tells nothing about them
        if hmac.compare_digest(known.encode("utf-8"), token.encode("utf-8")):
            holder = name
    if holder is None:
        raise _unauthorised("the bearer token is not one of this server's write tokens", "invalid_token")
    return str(holder)


def _reason(form: dict | None = None) -> str:
    reason = request.headers.get(REASON_HEADER) or (form or {}).get("reason") or request.args.get("reason") or ""
    reason = reason.strip()
    if not reason:
        raise ApiError(400, f"say why: every write needs a reason, in the {REASON_HEADER} header or a reason= "
                            "field; it goes in the change log")
    if len(reason) > MAX_REASON_CHARS:
        raise ApiError(400, f"the reason is {len(reason)} characters long; keep it under {MAX_REASON_CHARS}")
    return reason


def _check_graph_iri(iri: str) -> str:
    iri = iri.strip()
    scheme = iri.split(":", 1)[0]
    if ":" not in iri or not scheme.isalpha() or any(c in iri for c in ' <>"{}|\\^`'):
        raise ApiError(400, f"the graph must be an absolute IRI such as "
                            f"https://w3id.org/lbp-kg/ontology/extensions/my-extension; got {iri!r}")
    if iri in (ASSERTED_GRAPH, INFERRED_GRAPH):
        raise ApiError(403, f"<{iri}> is computed by the service and cannot be written", graph=iri)
    return iri


def _update_target(params) -> str:
    targets = {v for name in ("graph", "using-graph-uri") for v in params.getlist(name)}
    if params.getlist("using-named-graph-uri"):
        raise ApiError(400, "using-named-graph-uri is not supported: an update reads and writes one extension graph")
    if len(targets) > 1:
        raise ApiError(400, "name one target graph (graph= or using-graph-uri=); got "
                            + ", ".join(f"<{t}>" for t in sorted(targets)))
    target = next(iter(targets), None) or current_app.extensions["lbp_kg.settings"].default_write_graph
    if not target:
        raise ApiError(400, "name the extension graph to write: graph=<IRI> (or using-graph-uri=), or configure "
                            "default_write_graph")
    return _check_graph_iri(target)


# --- answering --------------------------------------------------------------------------------

def _run(write) -> WriteResult:
    """Run a write, turning refusals into JSON errors."""
    try:
        return write()
    except WriteError as err:
        raise ApiError(STATUS_OF_REFUSAL[err.reason], err.message, **err.details) from None
    except UpdateSyntaxError as err:
        raise ApiError(400, f"malformed update: {err}", line=err.line, column=err.column) from None
    except ForeignGraphError as err:
        kb = current_app.extensions["lbp_kg"]
        core = {m.iri for m in kb.modules if not m.is_extension}
        why = " (a core module graph, read-only)" if err.graph in core else ""
        raise ApiError(403, f"{err}{why}; send graph=<{err.graph}> in a request of its own to write an "
                            "extension graph", graph=err.graph) from None
    except (UpdateRefused, UpdateEvaluationError) as err:
        raise ApiError(400, str(err)) from None
    except SandboxTimeout as err:
        raise ApiError(503, f"the update was stopped: {err}") from None
    except SandboxError as err:
        raise ApiError(503, f"the update could not be evaluated: {err}") from None
    except RdfSyntaxError as err:
        raise ApiError(400, f"the body does not parse: {err.message}", line=err.line) from None


def _answer(result: WriteResult, created_status: int = 200) -> Response:
    body = result.as_dict()
    if result.changed:
        started = time.perf_counter()
        try:
            current_app.extensions[reload.EXTENSION_KEY].reload()
            body["reloaded"] = True
        except Exception:  # noqa: BLE001 - the write is durable; say the graph has not caught up
            log.exception("the write committed but reloading the knowledge base failed")
            body["reloaded"] = False
            body["warning"] = "the write is saved, but this server could not reload it yet; see the server log"
        body["seconds"]["reload"] = round(time.perf_counter() - started, 3)
    body["graphVersion"] = current_app.extensions["lbp_kg"].version
    response = jsonify(body)
    response.status_code = created_status if result.created and result.changed else 200
    return response


# --- SPARQL 1.1 Update ------------------------------------------------------------------------

@bp.post("/update")
def update():
    """Apply a SPARQL 1.1 Update to one extension graph, through the gate."""
    store = _store()
    who = _writer()
    if request.mimetype == UPDATE_TYPE:
        params, form = request.args, None
        try:
            text = request.get_data(cache=True).decode("utf-8")
        except UnicodeDecodeError as err:
            raise ApiError(400, f"the update is not valid UTF-8 (byte {err.start})") from None
    elif request.mimetype == FORM_TYPE:
        params = request.args.copy()
        params.update(request.form)
        form = request.form
        updates = request.form.getlist("update")
        if len(updates) != 1:
            raise ApiError(400, f"send exactly one update= field; got {len(updates)}")
        text = updates[0]
    else:
        raise ApiError(415, f"POST the update as {UPDATE_TYPE}, or as {FORM_TYPE} with update=...; "
                            f"got {request.mimetype or 'no Content-Type'}")
    why = _reason(form)
    if not text.strip():
        raise ApiError(400, "the update is empty")
    target = _update_target(params)
    evaluate = _update_pool().run
    result = _run(lambda: store.write(target, lambda current: apply_update(current, text, target, evaluate).graph,
                                      operation="update", who=who, why=why, request_text=text))
    return _answer(result)


# --- SPARQL 1.1 Graph Store HTTP Protocol -----------------------------------------------------

def _graph_param() -> str:
    if "default" in request.args:
        raise ApiError(400, "the default graph is the union of every graph and cannot be addressed here; "
                            "name one graph with ?graph=<IRI>")
    graphs = request.args.getlist("graph")
    if len(graphs) != 1:
        raise ApiError(400, "name exactly one graph: /graph-store?graph=<IRI>")
    return _check_graph_iri(graphs[0])


def _body_graph() -> Graph:
    if request.mimetype not in PARSER_FOR_MEDIA_TYPE:
        raise ApiError(415, "send the graph as one of: " + ", ".join(sorted(PARSER_FOR_MEDIA_TYPE)),
                       accepted=sorted(PARSER_FOR_MEDIA_TYPE))
    return parse_rdf_bytes(request.get_data(cache=True), request.mimetype)


@bp.get("/graph-store")
def read_graph():
    """Return one graph the service holds (what readers see now)."""
    _store()
    iri = _graph_param()
    kb = current_app.extensions["lbp_kg"]
    module = next((m for m in kb.modules if m.iri == iri), None)
    if module is None:
        raise ApiError(404, f"there is no graph <{iri}>", graphs=[m.iri for m in kb.modules])
    media_type = request.accept_mimetypes.best_match(list(GRAPH_STORE_TYPES), default=None) \
        if request.accept_mimetypes else "text/turtle"
    if media_type is None:
        raise ApiError(406, "graphs are served as: " + ", ".join(GRAPH_STORE_TYPES), available=list(GRAPH_STORE_TYPES))
    response = Response(module.graph.serialize(format=GRAPH_STORE_TYPES[media_type], encoding="utf-8"),
                        mimetype=media_type)
    response.vary.add("Accept")
    return response


@bp.put("/graph-store")
def replace_graph():
    """Replace (or create) an extension graph with the body, through the gate."""
    store, who = _store(), _writer()
    iri, why = _graph_param(), _reason()
    body = _run(_body_graph)
    return _answer(_run(lambda: store.write(iri, lambda current: body, operation="put", who=who, why=why)), 201)


@bp.post("/graph-store")
def merge_into_graph():
    """Add the body's triples to an extension graph (creating it if need be), through the gate."""
    store, who = _store(), _writer()
    iri, why = _graph_param(), _reason()
    body = _run(_body_graph)

    def merged(current: Graph) -> Graph:
        result = Graph()
        result += current
        result += body
        return result

    return _answer(_run(lambda: store.write(iri, merged, operation="post", who=who, why=why)), 201)


@bp.delete("/graph-store")
def delete_graph():
    """Remove an extension graph, if the other extensions still pass the gate without it."""
    store, who = _store(), _writer()
    iri, why = _graph_param(), _reason()
    return _answer(_run(lambda: store.delete(iri, who=who, why=why)))


# --- setup ------------------------------------------------------------------------------------

def change_log_path(settings) -> Path:
    """Return where the change log lives: the setting, else changes.jsonl beside the extensions directory."""
    return Path(settings.change_log) if settings.change_log else Path(settings.extensions_dir).parent / "changes.jsonl"


def _test_pause(settings):
    """Return the test-only pause hook configured in ``extra["test_write_pause"]``, if any.

    ``{"step": one of PAUSE_STEPS, "seconds": 30, "signal_file": "/tmp/x"}``: at that step of a
    write the server creates the signal file and sleeps, so a test can kill it exactly there.
    """
    spec = (settings.extra or {}).get("test_write_pause")
    if not spec:
        return None
    if spec.get("step") not in PAUSE_STEPS:
        raise ValueError(f"extra.test_write_pause.step must be one of {PAUSE_STEPS}")

    def pause(step: str) -> None:
        if step == spec["step"]:
            Path(spec["signal_file"]).write_text(step, encoding="utf-8")
            time.sleep(float(spec.get("seconds", 30)))

    return pause


def init_app(app: Flask) -> None:
    """Register the write routes; with writes enabled, open the extension store and the reloader."""
    app.register_blueprint(bp)
    settings = app.extensions["lbp_kg.settings"]
    if not settings.writes_enabled:
        return
    if not settings.write_tokens:
        raise ValueError("writes_enabled is on but write_tokens is empty: give LBP_KG_WRITE_TOKENS as JSON "
                         "{\"<token>\": \"<who holds it>\"} (see docs/writes.md)")
    kb = app.extensions["lbp_kg"]
    protected = {m.iri for m in kb.modules if not m.is_extension} | {ASSERTED_GRAPH, INFERRED_GRAPH}
    store = ExtensionStore(settings.extensions_dir, change_log_path(settings), protected, pause=_test_pause(settings),
                           verdicts=VerdictCache(Path(settings.cache_dir) / "gate"))
    store.recover()
    app.extensions[STORE_KEY] = store
    app.extensions[UPDATE_POOL_KEY] = SandboxPool(
        "update", no_setup, tuple, evaluate_update, timeout=settings.query_timeout, workers=1,
        memory_mb=settings.worker_memory_mb or None, preload=("service.curation.sparql_update",))
    reload.init_app(app, store.version_file)
    from service.curation.reasoning import JavaNotFoundError, require_java

    try:
        require_java()
    except JavaNotFoundError as err:
        log.warning("writes are enabled but every write will be refused (503) until Java is installed: %s", err)
    log.info("curated writes are ON for %s (%d token(s)); change log %s", settings.extensions_dir,
             len(settings.write_tokens), store.change_log.path)
