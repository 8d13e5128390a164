"""What the service adds over an engine (issue 14), in one run, with each target met or missed.

Two parts, each against the Flask floor (``bench/hello.py``) under the same gunicorn settings:

- **embedded**, at ``--embedded-size`` (100k): lbp-kg with its own store, every named query (with
  its example) and the four ``/sparql`` workloads, evaluated (``Cache-Control: no-cache``) and
  repeated, all with wrk at the same load (8 connections); the same query text on ``oxigraph
  serve`` and on Debian's Virtuoso 7 directly, loaded with the same triples;
- **remote**, at ``--size`` (1m), for each engine (``oxigraph serve``, Virtuoso), started as the
  tests start them, on loopback, loaded with ``lbp-kg export`` of the ontology plus the synthetic
  extension: lbp-kg under gunicorn with ``LBP_KG_BACKEND=remote`` over the engine, evaluated (one
  connection per worker) and repeated (8 connections); the engine directly with the bound query
  text and the dataset the service sends (``default-graph-uri``/``named-graph-uri`` for every
  graph), POSTed as the service POSTs it, with as many connections as the service has workers
  (the most it sends the engine at once), so that the p50s compare.

The report states the issue's targets as ratios of this run, met or missed, with the figures;
nothing else::

    .venv/bin/python -m bench.remote_engines --embedded-size 100k --size 1m --duration 3 --output bench/RESULTS.md
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path
from statistics import median

from bench import generate, report as run_report, servers
from bench.run import export_core_ntriples, log, measure, run_oxigraph, run_service
from bench.workloads import Workload, service_workloads
from tests.engines import start_oxigraph_server, start_virtuoso, stop

#: the issue's targets (issue 14)
NAMED_SHARE, SPARQL_SHARE, REPEATED_SHARE, P99_FACTOR, ADDED_P50_MS = 0.60, 0.40, 0.85, 3.0, 2.0
VIRTUOSO = "virtuoso"


def _settings(args) -> dict:
    return {"duration": args.duration, "workers": args.workers, "threads": 2, "connections": 8,
            "accept_encoding": "gzip", "request_timeout": 15.0, "load_timeout": 900.0}


def _measured(row: dict | None) -> dict | None:
    """The wrk figures of a row, or None when nothing was answered (an error, or every request timed out)."""
    measurement = (row or {}).get("measurement")
    return measurement if measurement and measurement["requests"] > measurement["errors"] else None


def _rate(row: dict | None) -> float | None:
    measurement = _measured(row)
    return measurement and measurement["requests_per_second"]


def _ms(row: dict | None, key: str) -> float | None:
    measurement = _measured(row)
    return measurement and measurement[key]


def run_engine(name: str, start, data, workloads_from, settings: dict, cache_dir: Path, extension: Path) -> dict:
    """Start the engine and lbp-kg over it; measure the service and the engine on every workload."""
    root = Path(tempfile.mkdtemp(prefix=f"bench-{name}-", dir=cache_dir))
    process, endpoint = start(data, root)
    rows = {"service": {}, "engine": {}}
    try:
        port = servers.free_port()
        env = {"LBP_KG_BACKEND": "remote", "LBP_KG_REMOTE_ENDPOINT": endpoint,
               "LBP_KG_EXTENSIONS_DIR": str(extension.parent.resolve()), **servers.SYNTHETIC_EXTENSION_ENV,
               "LBP_KG_CACHE_DIR": str((root / "service-cache").resolve()),
               # the label index is read from the engine at start: give it time on a busy machine
               "LBP_KG_QUERY_TIMEOUT": "30"}
        server = servers.start(f"lbp-kg over {name}", servers.gunicorn_command("service:create_app()", port,
                                                                              settings["workers"]),
                               cache_dir / f"lbp-kg-over-{name}.log", port=port, env=env)
        try:
            servers.wait_until_ready(server, "/health", timeout=settings["load_timeout"])
            servers.wait_until_idle(server, timeout=settings["load_timeout"])
            workloads = workloads_from(server.base_url)
            for workload in workloads:
                # evaluated answers at the concurrency the engine is measured at, so the p50s compare
                chosen = _one_per_worker(settings) if workload.fresh else settings
                rows["service"][(workload.name, workload.fresh)] = measure(server, workload, workload.path,
                                                                           settings=chosen)
        finally:
            servers.stop(server)
        rows["engine"] = measure_engine_directly(name, process, endpoint, data, workloads,
                                                 _one_per_worker(settings), root)
    finally:
        stop(process)
        shutil.rmtree(root, ignore_errors=True)
    return {"endpoint": endpoint, "rows": rows,
            "workloads": [w for w in workloads if w.group in ("named", "sparql") and not w.fresh]}


def _one_per_worker(settings: dict) -> dict:
    """The load of one request per gunicorn worker: the most the service sends an engine at once."""
    return dict(settings, connections=settings["workers"], threads=min(2, settings["workers"]))


def measure_engine_directly(name: str, process, endpoint: str, data, workloads, settings: dict,
                            root: Path) -> dict:
    """Measure a running engine on every workload's SPARQL, sent as the remote backend sends it."""
    from service.store import QueryDataset
    from service.store.remote import RemoteStore

    store = RemoteStore.from_data(data, endpoint)
    engine = servers.RunningServer(name=name, process=process, base_url=endpoint.rsplit("/", 1)[0],
                                   log_path=root / "engine.log", started_at=0.0)
    path = "/" + endpoint.rsplit("/", 1)[1]
    rows = {}
    for workload in workloads:
        if workload.fresh or workload.sparql is None or workload.group == "health":
            continue
        form = store._form(workload.sparql, QueryDataset()).decode("ascii")  # what the service sends
        rows[workload.name] = measure(engine, workload, path, form=form, settings=settings)
    return rows


def run_embedded(size: str, settings: dict, cache_dir: Path, core_nt: Path, engines: list[str]) -> dict:
    """lbp-kg with its own store, ``oxigraph serve`` and Virtuoso on the same triples, at the same load."""
    triples = generate.parse_size(size)
    extension = generate.write_extension(cache_dir, triples)
    result = {"size": generate.size_name(triples), "servers": {}, "rows": []}
    workloads = [w for w in service_workloads() if w.group in ("named", "sparql")]
    run_settings = dict(settings, service_env={}, size_env={}, seed=0)
    log(f"embedded {size}: lbp-kg")
    run_service(result, run_settings, cache_dir, extension, workloads)
    if "oxigraph" in engines:
        log(f"embedded {size}: oxigraph serve")
        run_oxigraph(result, run_settings, cache_dir, [core_nt, extension], workloads)
    if "virtuoso" in engines:
        log(f"embedded {size}: Virtuoso")
        data = service_data(cache_dir, size, extension)
        root = Path(tempfile.mkdtemp(prefix="bench-virtuoso-embedded-", dir=cache_dir))
        process, endpoint = start_virtuoso(data, root)
        try:
            result["rows"] += measure_engine_directly(VIRTUOSO, process, endpoint, data, workloads, settings,
                                                      root).values()
        finally:
            stop(process)
            shutil.rmtree(root, ignore_errors=True)
    return result


def service_data(cache_dir: Path, size: str, extension: Path):
    """The graphs the service loads with the synthetic extension (what ``lbp-kg export`` writes)."""
    from service.config import load_config
    from service.kg.knowledge import load_data

    log(f"{size}: loading the ontology and the extension as the service does")
    return load_data(load_config({"extensions_dir": str(extension.parent.resolve()),
                                  "cache_dir": str(cache_dir / f"remote-cache-{size}")}))[1]


def _floor(settings: dict, cache_dir: Path) -> dict:
    name, workload_name, app = run_report.FLOOR, run_report.FLOOR_WORKLOAD, "bench.hello:create_app()"
    port = servers.free_port()
    server = servers.start(name, servers.gunicorn_command(app, port, settings["workers"]),
                           cache_dir / "floor.log", port=port)
    try:
        servers.wait_until_ready(server, "/health", timeout=60)
        servers.wait_until_idle(server, timeout=30)
        workload = Workload(name=workload_name, group="floor", path="/hello", accept="application/json")
        return measure(server, workload, "/hello", settings=settings)
    finally:
        servers.stop(server)


def _verdict(met: bool | None) -> str:
    return "n/a" if met is None else ("met" if met else "**missed**")


def _at_least(value: float | None, share: float, of: float | None) -> bool | None:
    return None if value is None or not of else value >= share * of


def _at_most(value: float | None, limit: float | None) -> bool | None:
    return None if value is None or limit is None else value <= limit


class Tally:
    """The targets met and missed in one part of the report."""

    def __init__(self):
        self.met = self.missed = 0

    def __call__(self, check: bool | None) -> str:
        if check is not None:
            self.met, self.missed = self.met + check, self.missed + (not check)
        return _verdict(check)

    def __str__(self) -> str:
        return f"Targets met: {self.met}, missed: {self.missed}."


def _problem(*rows) -> str:
    """Why a row has no figures (an error, or no answer within the request timeout), or ''."""
    for row in rows:
        if row is not None and _measured(row) is None:
            said = row.get("error") or "no answer within the request timeout"
            return f" ({said[:60]})"
    return ""


def _workload_rows(result: dict) -> list[tuple[str, str]]:
    """(name, group) of each named and /sparql workload, in the order measured."""
    seen = dict.fromkeys((r["workload"], r["group"]) for r in result["rows"]
                         if r["server"] == run_report.SERVICE and r["group"] in ("named", "sparql"))
    return list(seen)


def report_embedded(result: dict, floor: dict) -> list[str]:
    """The embedded part: each workload against the floor and ``oxigraph serve`` on the same query."""
    floor_rate, floor_p99 = _rate(floor), _ms(floor, "p99_ms")
    rows, tally = result["rows"], Tally()
    lines = [f"## Embedded store, {result['size']} extension triples", "",
             "lbp-kg with its own store; `oxigraph serve` and Virtuoso answer the same query text directly, at "
             "the same load (8 connections). *limit* is the smaller of the floor's rate and `oxigraph serve`'s.", "",
             "| workload | evaluated req/s | oxigraph serve req/s | Virtuoso req/s | limit | rate target "
             "| evaluated p99 ms | p99 target | repeated req/s | repeated target |",
             "|---|---:|---:|---:|---:|---|---:|---|---:|---|"]
    for name, group in _workload_rows(result):
        fresh = run_report.find(rows, name, run_report.SERVICE, fresh=True)
        repeated = run_report.find(rows, name, run_report.SERVICE)
        oxigraph, virtuoso = run_report.find(rows, name, run_report.OXIGRAPH), run_report.find(rows, name, VIRTUOSO)
        limit = min(floor_rate, _rate(oxigraph)) if floor_rate and _rate(oxigraph) else None
        share = NAMED_SHARE if group == "named" else SPARQL_SHARE
        lines.append(f"| {name}{_problem(fresh, oxigraph)} | {_rate(fresh)} | {_rate(oxigraph)} | {_rate(virtuoso)} "
                     f"| {limit and round(limit, 1)} | {tally(_at_least(_rate(fresh), share, limit))} "
                     f"| {_ms(fresh, 'p99_ms')} | {tally(_at_most(_ms(fresh, 'p99_ms'), floor_p99 and P99_FACTOR * floor_p99))} "
                     f"| {_rate(repeated)} | {tally(_at_least(_rate(repeated), REPEATED_SHARE, floor_rate))} |")
    return lines + ["", str(tally), ""]


def report_remote(engine: str, result: dict, floor: dict) -> list[str]:
    """One engine's part: lbp-kg over it against the engine itself and the floor."""
    floor_rate, floor_p99 = _rate(floor), _ms(floor, "p99_ms")
    tally = Tally()
    lines = [f"## Over {engine} ({result['endpoint']}), {result['size']} extension triples", "",
             "| workload | evaluated req/s | engine req/s | rate target | evaluated p50 ms | engine p50 ms | "
             "p50 target | evaluated p99 ms | p99 target | repeated req/s | repeated target |",
             "|---|---:|---:|---|---:|---:|---|---:|---|---:|---|"]
    added = []
    for workload in result["workloads"]:
        fresh = result["rows"]["service"].get((workload.name, True))
        repeated = result["rows"]["service"].get((workload.name, False))
        direct = result["rows"]["engine"].get(workload.name)
        share = NAMED_SHARE if workload.group == "named" else SPARQL_SHARE
        limit = min(floor_rate, _rate(direct)) if _rate(direct) and floor_rate else None
        p50, engine_p50 = _ms(fresh, "p50_ms"), _ms(direct, "p50_ms")
        if p50 is not None and engine_p50 is not None:
            added.append(p50 - engine_p50)
        lines.append(f"| {workload.name}{_problem(fresh, direct)} | {_rate(fresh)} | {_rate(direct)} "
                     f"| {tally(_at_least(_rate(fresh), share, limit))} | {p50} | {engine_p50} "
                     f"| {tally(_at_most(p50, None if engine_p50 is None else engine_p50 + ADDED_P50_MS))} "
                     f"| {_ms(fresh, 'p99_ms')} | {tally(_at_most(_ms(fresh, 'p99_ms'), floor_p99 and P99_FACTOR * floor_p99))} "
                     f"| {_rate(repeated)} | {tally(_at_least(_rate(repeated), REPEATED_SHARE, floor_rate))} |")
    return lines + ["", f"{tally} Median p50 the service adds over the engine: "
                        f"{round(median(added), 2) if added else 'n/a'} ms.", ""]


def report(floor: dict, embedded: dict | None, results: dict[str, dict], settings: dict) -> str:
    """The markdown report: per part and workload, the figures and each target met or missed."""
    lines = ["# What lbp-kg adds over its engine (issue 14)", "",
             f"gunicorn {settings['workers']} workers, wrk -d{settings['duration']}s per target, every request "
             f"with `Accept-Encoding: gzip`. Flask floor: {_rate(floor)} req/s, p99 {_ms(floor, 'p99_ms')} ms "
             "(8 connections). Targets: evaluated (`Cache-Control: no-cache`) named queries at least "
             f"{NAMED_SHARE:.0%}, and `/sparql` at least {SPARQL_SHARE:.0%}, of the smaller of the floor's rate and "
             f"the engine's on the same query; repeated at least {REPEATED_SHARE:.0%} of the floor's rate; evaluated "
             f"p99 at most {P99_FACTOR:g}x the floor's; over a remote engine, the service's p50 at most the engine's "
             f"+ {ADDED_P50_MS:g} ms. A row without figures did not answer within the request timeout "
             f"({settings['request_timeout']:g} s) or failed, as it says.", ""]
    if embedded is not None:
        lines += report_embedded(embedded, floor)
    for engine, result in results.items():
        lines += report_remote(engine, result, floor)
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``python -m bench.remote_engines``."""
    parser = argparse.ArgumentParser(prog="python -m bench.remote_engines", description=__doc__.split("\n\n")[0])
    parser.add_argument("--embedded-size", default="100k",
                        help="synthetic triples for the embedded part (10k, 100k, ...; 'none' to skip it)")
    parser.add_argument("--size", default="1m", help="synthetic triples for the remote part ('none' to skip it)")
    parser.add_argument("--duration", type=float, default=3.0, help="seconds of wrk load per target")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of lbp-kg and the floor")
    parser.add_argument("--engines", default="oxigraph,virtuoso", help="which engines: oxigraph, virtuoso")
    parser.add_argument("--cache-dir", type=Path, default=Path("var/bench"), help="generated data, logs")
    parser.add_argument("--output", type=Path, default=None, help="markdown report (default: stdout)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings, cache_dir = _settings(args), args.cache_dir.resolve()
    (cache_dir / "logs").mkdir(parents=True, exist_ok=True)
    engines = [e for e in args.engines.split(",") if e]
    core_nt = export_core_ntriples(cache_dir)
    log("floor")
    floor = _floor(settings, cache_dir)
    embedded = None if args.embedded_size == "none" else \
        run_embedded(args.embedded_size, settings, cache_dir, core_nt, engines)
    results = {}
    if args.size != "none":
        triples = generate.parse_size(args.size)
        extension = generate.write_extension(cache_dir, triples)
        data = service_data(cache_dir, args.size, extension)
        starts = {"oxigraph": start_oxigraph_server, VIRTUOSO: start_virtuoso}

        def workloads_from(base_url: str):
            return [w for w in service_workloads() if w.group in ("named", "sparql")]

        for name in engines:
            log(f"remote {args.size}: {name}, then lbp-kg over it")
            results[name] = dict(run_engine(name, starts[name], data, workloads_from, settings, cache_dir, extension),
                                 size=generate.size_name(triples))
    text = report(floor, embedded, results, settings)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        raw = {"settings": settings, "floor": floor, "embedded": embedded, "remote": {
            name: {"endpoint": result["endpoint"], "size": result["size"],
                   "service": {f"{key[0]} | {'evaluated' if key[1] else 'repeated'}": row
                               for key, row in result["rows"]["service"].items()},
                   "engine": result["rows"]["engine"]} for name, result in results.items()}}
        args.output.with_suffix(".json").write_text(json.dumps(raw, indent=1, default=str), encoding="utf-8")
        log(f"wrote {args.output}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
