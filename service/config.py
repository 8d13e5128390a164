"""Service settings: defaults, then an optional config file, then LBP_KG_* environment variables.

Nothing here reads the environment at import time; ``load_config`` is called by the app factory.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from service.paths import EXTENSIONS_DIR, PROJECT_ROOT, RELEASES_DIR

ENV_PREFIX = "LBP_KG_"


@dataclass
class Settings:
    """Every setting the service reads, with its default."""

    #: Base IRI of lbp-kg terms; ``<base><local-name>`` dereferences at ``/id/<local-name>``.
    base_iri: str = "https://w3id.org/lbp-kg/id/"
    #: Directory of researchers' extension modules loaded next to the core ontology.
    extensions_dir: str = str(EXTENSIONS_DIR)
    #: Where `lbp-kg release` wrote released versions (<dir>/<X.Y.Z>/lbp-kg.owl ...), served at
    #: /ontology/<X.Y.Z>.
    releases_dir: str = str(RELEASES_DIR)
    #: Serve extension files that fail the gate anyway (/health and the log still say so); by
    #: default such a file is left out (service/curation/admission.py).
    serve_failed_extensions: bool = False
    #: Judge each extension file with the gate at start-up (once per file version, cached). Off
    #: serves every file unjudged, for data checked elsewhere or too large for SHACL at start-up
    #: (the benchmark's synthetic modules); /health marks such files "judged": false.
    gate_extensions_at_load: bool = True
    #: Where the loaded store and reasoning results are cached between restarts.
    cache_dir: str = str(PROJECT_ROOT / "var" / "cache")
    #: Seconds a SPARQL query may run before it is cut off with 503.
    query_timeout: float = 10.0
    #: Rows a SELECT may return before the result is truncated (and marked so).
    max_rows: int = 10000
    #: Largest accepted request body, in bytes.
    max_body_bytes: int = 2 * 1024 * 1024
    #: Query worker processes (each can be killed at the deadline without harming the server).
    query_workers: int = 2
    #: Heap each sandboxed worker (query, validation, update) may use, in MiB; past it the task
    #: fails in that worker alone (service.engine.sandbox). 0 leaves it unlimited.
    worker_memory_mb: int = 1024
    #: Seconds one POST /validate may take (parsing and SHACL) before its worker is killed (503).
    validation_timeout: float = 30.0
    #: Validation worker processes; each holds a parsed copy of the ontology and the shapes.
    validation_workers: int = 1
    #: Answer over asserted plus inferred triples (reasoning at load, cached on disk).
    reasoning: bool = True
    #: Where queries are evaluated: "oxigraph" (embedded, the default; queries run in killable
    #: worker processes over a shared read-only snapshot), "rdflib" (the slow reference
    #: implementation, in-process) or "remote" (a SPARQL 1.1 endpoint, see remote_endpoint).
    backend: str = "oxigraph"
    #: Kept so existing configurations still load: the graph is always held in memory (false only
    #: logs a warning). Graphs that outgrow one process go to a remote engine (docs/deployment.md).
    store_in_memory: bool = True
    #: With backend "remote": the SPARQL 1.1 query endpoint URL holding the service's graphs
    #: (e.g. http://127.0.0.1:7878/query for ``oxigraph serve``); see docs/deployment.md.
    remote_endpoint: str = ""
    #: GET answers (service.web.answer_cache) and named-query results kept per process, each cache
    #: per graph version and at most 64 MiB in all (0 turns both off).
    result_cache_entries: int = 512
    #: Largest single answer or result the caches keep, in bytes (bigger ones are recomputed). A
    #: whole-pattern answer such as lower-crossed-pattern is 4 MB at 100k triples.
    result_cache_max_bytes: int = 16 * 1024 * 1024
    #: Seconds clients and proxies may reuse a GET answer of /sparql, /queries/... and /id/...
    #: without asking again (``Cache-Control: public, max-age=...``); 0 sends ``no-cache``.
    #: After that they revalidate with If-None-Match, which costs no query when unchanged.
    http_max_age: int = 60
    #: Log level name.
    log_level: str = "INFO"
    #: Accept curated writes at /update and /graph-store (see docs/writes.md); off by default.
    writes_enabled: bool = False
    #: Bearer tokens allowed to write, as {token: name of who holds it}; the name goes in the change log.
    write_tokens: dict = field(default_factory=dict)
    #: The JSON-lines change log of accepted writes (default: changes.jsonl beside extensions_dir).
    change_log: str = ""
    #: The extension graph /update writes to when the request names none (empty: it must name one).
    default_write_graph: str = ""
    #: Anything else a blueprint needs (kept as plain values).
    extra: dict = field(default_factory=dict)

    def as_flask_config(self) -> dict:
        """Return the settings as upper-case Flask config keys (LBP_KG_QUERY_TIMEOUT, ...)."""
        return {f"{ENV_PREFIX}{key.upper()}": value for key, value in asdict(self).items()}


def _coerce(raw: str, current):
    if isinstance(current, bool):
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"expected a boolean (true/false), got {raw!r}")
    if isinstance(current, int):
        return int(raw)
    if isinstance(current, float):
        return float(raw)
    if isinstance(current, dict):
        return json.loads(raw)
    return raw


def load_config(overrides: dict | None = None, environ: dict | None = None) -> Settings:
    """Build settings from defaults, ``LBP_KG_CONFIG`` (a JSON file), env vars and overrides."""
    environ = os.environ if environ is None else environ
    settings = Settings()
    names = {f.name for f in fields(Settings)}
    config_file = environ.get(f"{ENV_PREFIX}CONFIG")
    if config_file:
        data = json.loads(Path(config_file).read_text(encoding="utf-8"))
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"{config_file}: unknown settings {sorted(unknown)}; known: {sorted(names)}")
        for key, value in data.items():
            setattr(settings, key, value)
    for name in names:
        raw = environ.get(f"{ENV_PREFIX}{name.upper()}")
        if raw is not None:
            try:
                setattr(settings, name, _coerce(raw, getattr(settings, name)))
            except ValueError as err:
                raise ValueError(f"{ENV_PREFIX}{name.upper()}: {err}") from None
    for key, value in (overrides or {}).items():
        if key not in names:
            raise ValueError(f"unknown setting {key!r}; known: {sorted(names)}")
        setattr(settings, key, value)
    return settings
