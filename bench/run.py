"""Run the lbp-kg benchmark: per size, the floor, the service and its peers under the same load.

For each size the synthetic extension is generated (or reused from the cache), then in turn:
the Flask hello-world floor and lbp-kg under gunicorn (deploy/gunicorn.conf.py), ``oxigraph
serve`` and rdflib-endpoint loaded with the same triples. Each server is started, timed until it
answers, left to finish loading, measured and stopped before the next starts, so they never
compete for the cores. The table (figures and ratios) is printed and saved as markdown, with the
raw results as JSON next to it.

    python -m bench.run --sizes 10k,100k,1m --duration 5 --output bench/RESULTS-peers.md
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlencode

from bench import generate, load, machine, report, servers
from bench.workloads import Workload, service_workloads

PEERS = (report.OXIGRAPH, report.RDFLIB_ENDPOINT)
DEFAULT_OUTPUT = Path("bench/RESULTS-peers.md")
DEFAULT_CACHE_DIR = Path("var/bench")
#: wrk's shortest run, spent warming each target up before it is measured (see ``measure``)
WARM_UP_SECONDS = 1
#: the longest wait for a server to fall idle after the warm-up: an engine's own background work
#: (RocksDB compaction, Virtuoso's threads) may never let it, and the backlog drains sooner
IDLE_WAIT_SECONDS = 5.0
NOISY_NOTE = ("Measured with wrk on 127.0.0.1: the load generator shares the machine's cores with "
              "the server, so absolute figures are lower than on a dedicated client; ratios taken in "
              "the same run are the figures to compare.")


def log(message: str) -> None:
    """Print a progress line on stderr."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def export_core_ntriples(cache_dir: Path) -> Path:
    """Write the bundled ontology (every core module, merged) as N-Triples for the peers."""
    from service.kg.ontology import load_core_modules, merge

    data = merge(load_core_modules()).serialize(format="nt", encoding="utf-8")
    path = Path(cache_dir) / f"core-{hashlib.sha256(data).hexdigest()[:12]}.nt"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return path


def _row(workload: Workload, server: str) -> dict:
    return {"workload": workload.name, "group": workload.group, "server": server, "fresh": workload.fresh,
            "measurement": None, "error": None}


def measure(server: servers.RunningServer, workload: Workload, path: str, *, settings: dict,
            capped: bool = False, form: str | None = None) -> dict:
    """Probe one URL, then load it with wrk (or the capped client); return the report row.

    With ``form`` (URL-encoded parameters), every request POSTs it to ``path`` instead of a GET.
    """
    url = server.base_url + path
    row = _row(workload, server.name)
    headers = workload.headers
    if settings.get("accept_encoding"):  # what clients send: every server may compress, or not
        headers = {**headers, "Accept-Encoding": settings["accept_encoding"]}
    body = None
    if form is not None:
        body = form.encode("ascii")
        headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
        row["method"] = "POST"
    try:
        answer = load.probe(url, headers, timeout=settings["request_timeout"], body=body)
    except OSError as err:
        row["error"] = f"no answer: {err}"
        log(f"  {server.name} {workload.name}: {row['error']}")
        return row
    row["probe"] = {"status": answer.status, "content_type": answer.content_type, "bytes": answer.bytes,
                    "content_encoding": answer.content_encoding,
                    "ms": round(answer.seconds * 1000, 2), "cache_headers": answer.cache_headers}
    if not answer.ok:
        row["error"] = f"HTTP {answer.status}: {answer.body_start[:160]!r}"
        log(f"  {server.name} {workload.name}: {row['error']}")
        return row
    if capped:
        measurement = load.run_capped(url, headers, max_requests=settings["peer_max_requests"],
                                      max_seconds=settings["peer_max_seconds"],
                                      timeout=settings["request_timeout"], body=body)
    else:
        # Warm up first, at the same load, then wait until the server is idle: each gunicorn worker
        # keeps its own answer cache, and a worker's first evaluation of a heavy query takes
        # seconds at 100k triples, so a measurement right after one probe charged the second
        # worker's first evaluation (and any backlog of the previous workload) to this one.
        load.run_wrk(url, headers, duration=WARM_UP_SECONDS, threads=settings["threads"],
                     connections=settings["connections"], timeout=settings["request_timeout"], body=body)
        servers.wait_until_idle(server, timeout=IDLE_WAIT_SECONDS)
        measurement = load.run_wrk(url, headers, duration=settings["duration"],
                                   threads=settings["threads"], connections=settings["connections"],
                                   timeout=settings["request_timeout"], body=body)
    row["measurement"] = measurement.as_dict()
    log(f"  {server.name} {workload.name}{' (no-cache)' if workload.fresh else ''}: "
        f"{measurement.requests_per_second} req/s, "
        f"p50 {measurement.p50_ms} ms, p99 {measurement.p99_ms} ms, {measurement.errors} errors")
    return row


def _get_json(url: str, timeout: float = 10.0) -> dict:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.load(response)


def run_floor(size_result: dict, settings: dict, cache_dir: Path) -> None:
    """Measure the Flask hello-world app under the same gunicorn settings as lbp-kg."""
    port = servers.free_port()
    server = servers.start(report.FLOOR, servers.gunicorn_command("bench.hello:create_app()", port, settings["workers"]),
                           cache_dir / "logs" / f"{report.FLOOR}-{size_result['size']}.log", port=port)
    try:
        servers.wait_until_ready(server, "/health", timeout=60)
        servers.wait_until_idle(server, timeout=30)
        workload = Workload(name=report.FLOOR_WORKLOAD, group="floor", path="/hello", accept="application/json")
        size_result["rows"].append(measure(server, workload, "/hello", settings=settings))
        size_result["servers"][report.FLOOR] = {"ready_seconds": server.ready_seconds,
                                                "memory_after": servers.worker_memory(server)}
    finally:
        servers.stop(server)


def run_service(size_result: dict, settings: dict, cache_dir: Path, extension: Path,
                workloads: list[Workload]) -> None:
    """Start lbp-kg with the synthetic extension and an empty cache, measure every workload, then
    time a restart (which finds the inferred graph, snapshot and label index cached on disk)."""
    size = size_result["size"]
    service_cache = (cache_dir / f"service-cache-{size}").resolve()
    shutil.rmtree(service_cache, ignore_errors=True)  # the first start builds everything
    env = {"LBP_KG_EXTENSIONS_DIR": str(extension.parent.resolve()), "LBP_KG_CACHE_DIR": str(service_cache),
           **servers.SYNTHETIC_EXTENSION_ENV, **settings["service_env"], **settings["size_env"].get(size, {})}

    def start() -> servers.RunningServer:
        port = servers.free_port()
        return servers.start(report.SERVICE, servers.gunicorn_command("service:create_app()", port, settings["workers"]),
                             cache_dir / "logs" / f"lbp-kg-{size}.log", port=port, env=env)

    server = start()
    try:
        first = servers.wait_until_ready(server, "/health", timeout=settings["load_timeout"])
        settled = servers.wait_until_idle(server, timeout=settings["load_timeout"])
        log(f"  lbp-kg first start (empty cache) answered after {first:.2f} s; all workers idle {settled:.1f} s later")
        for workload in workloads:
            size_result["rows"].append(measure(server, workload, workload.path, settings=settings))
        memory_after = servers.worker_memory(server)
    finally:
        servers.stop(server)
    server = start()
    try:
        ready = servers.wait_until_ready(server, "/health", timeout=settings["load_timeout"])
        health = _get_json(server.base_url + "/health")
        servers.wait_until_idle(server, timeout=settings["load_timeout"])
        log(f"  lbp-kg restart answered after {ready:.2f} s (own loadSeconds {health.get('loadSeconds')}, "
            f"{health.get('triples')} triples, store {health.get('store')})")
        size_result["service_triples"] = health.get("triples")
        size_result["servers"][report.SERVICE] = {
            "ready_seconds": ready, "first_start_seconds": round(first, 2), "load_seconds": health.get("loadSeconds"),
            "shared_on_disk_store": health.get("store") == "on-disk", "settle_seconds": round(settled, 2),
            "memory": servers.worker_memory(server), "memory_after": memory_after}
    finally:
        servers.stop(server)


#: the longest request target sent to a peer as a GET: ``oxigraph serve`` refuses request heads
#: over 8 kB, so longer queries (two named queries) go as a URL-encoded POST instead
MAX_PEER_GET_URL = 6000


def serve_peer(name: str, command: list[str], ready_path: str, query_path: str, log_path: Path,
               workloads: list[Workload], settings: dict, *, capped: bool, port: int) -> tuple[dict, list[dict]]:
    """Start a peer, measure every workload it can run, restarting it after a request times out.

    A peer keeps evaluating a query its client gave up on, and the next requests queue behind it;
    a fresh process keeps one pathological query from spoiling the rest.
    """
    def launch() -> servers.RunningServer:
        server = servers.start(name, command, log_path, port=port)
        servers.wait_until_ready(server, ready_path, timeout=settings["load_timeout"])
        return server

    peer_settings = dict(settings, request_timeout=settings["peer_timeout"]) if capped else settings
    server = launch()
    info = {"ready_seconds": server.ready_seconds, "restarts": 0}
    rows = []
    try:
        for workload in workloads:
            if workload.sparql is None or workload.fresh:
                continue
            form = urlencode({"query": workload.sparql}, quote_via=quote)
            if len(query_path) + 1 + len(form) <= MAX_PEER_GET_URL:
                row = measure(server, workload, f"{query_path}?{form}", settings=peer_settings, capped=capped)
            else:  # the SPARQL protocol's URL-encoded POST, as a client does with a long query
                row = measure(server, workload, query_path, settings=peer_settings, capped=capped, form=form)
            rows.append(row)
            if (row["error"] or "").startswith("no answer") or (row["measurement"] or {}).get("errors"):
                info["memory_after"] = servers.worker_memory(server)
                servers.stop(server)
                server = launch()
                info["restarts"] += 1
        info["memory_after"] = servers.worker_memory(server)
    finally:
        servers.stop(server)
    return info, rows


def run_oxigraph(size_result: dict, settings: dict, cache_dir: Path, data: list[Path],
                 workloads: list[Workload]) -> None:
    """Load the same triples into an on-disk Oxigraph store and measure ``oxigraph serve``."""
    size = size_result["size"]
    location = cache_dir / f"oxigraph-{size}"
    shutil.rmtree(location, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run([servers.executable("oxigraph"), "load", "--location", str(location),
                    "--file", *map(str, data)], check=True, capture_output=True, timeout=settings["load_timeout"])
    loaded = time.perf_counter() - started
    port = servers.free_port()
    try:
        info, rows = serve_peer(report.OXIGRAPH, [servers.executable("oxigraph"), "serve", "--location", str(location),
                                                  "--bind", f"127.0.0.1:{port}"],
                                "/query?" + urlencode({"query": "ASK {}"}), "/query",
                                cache_dir / "logs" / f"oxigraph-{size}.log", workloads, settings,
                                capped=False, port=port)
    finally:
        shutil.rmtree(location, ignore_errors=True)
    info["load_seconds"] = round(loaded, 2)
    info["ready_seconds"] = loaded + info["ready_seconds"]
    size_result["rows"] += rows
    size_result["servers"][report.OXIGRAPH] = info


def run_rdflib_endpoint(size_result: dict, settings: dict, cache_dir: Path, data: list[Path],
                        workloads: list[Workload]) -> None:
    """Serve the same triples with rdflib-endpoint and take a short, capped measurement.

    Its command-line server answers SPARQL at ``/`` (``SparqlEndpoint``'s default path).
    """
    port = servers.free_port()
    info, rows = serve_peer(report.RDFLIB_ENDPOINT,
                            [servers.executable("rdflib-endpoint"), "serve", "--host", "127.0.0.1",
                             "--port", str(port), *map(str, data)],
                            "/?" + urlencode({"query": "ASK {}"}), "/",
                            cache_dir / "logs" / f"rdflib-endpoint-{size_result['size']}.log", workloads, settings,
                            capped=True, port=port)
    size_result["rows"] += rows
    size_result["servers"][report.RDFLIB_ENDPOINT] = info


def run_size(size: str, settings: dict, cache_dir: Path, core_nt: Path, workloads: list[Workload],
             problems: list[str]) -> dict:
    """Benchmark one size against the floor, lbp-kg and the chosen peers."""
    triples = generate.parse_size(size)
    started = time.perf_counter()
    extension = generate.write_extension(cache_dir, triples, settings["seed"])
    log(f"{size}: synthetic extension {extension} ready in {time.perf_counter() - started:.1f} s")
    result = {"size": generate.size_name(triples), "extension_triples": triples, "servers": {}, "rows": []}
    log(f"{size}: floor")
    run_floor(result, settings, cache_dir)
    log(f"{size}: lbp-kg")
    run_service(result, settings, cache_dir, extension, workloads)
    data = [core_nt, extension]
    for peer in peers_at(size, settings):
        log(f"{size}: {peer}")
        try:
            if peer == report.OXIGRAPH:
                run_oxigraph(result, settings, cache_dir, data, workloads)
            elif peer == report.RDFLIB_ENDPOINT:
                run_rdflib_endpoint(result, settings, cache_dir, data, workloads)
        except (servers.ServerFailed, subprocess.SubprocessError, OSError) as err:
            problems.append(f"{size}: {peer} could not be measured: {err}")
            log(f"  {peer} failed: {err}")
    return result


def run_benchmark(sizes: list[str] = ("10k", "100k", "1m"), *, duration: float = 5.0, skip_peers: bool = False,
                  output: Path | None = DEFAULT_OUTPUT, cache_dir: Path = DEFAULT_CACHE_DIR, seed: int = 0,
                  workers: int = 2, threads: int = 2, connections: int = 8, peers: list[str] = PEERS,
                  service_env: dict | None = None, size_env: dict | None = None,
                  size_peers: dict[str, list[str]] | None = None, peer_max_requests: int = 20, peer_max_seconds: float = 10.0,
                  peer_timeout: float = 30.0, request_timeout: float = 15.0, load_timeout: float = 900.0,
                  accept_encoding: str = "gzip") -> dict:
    """Benchmark lbp-kg at each size; write the markdown report (and JSON beside it) to ``output``."""
    cache_dir = Path(cache_dir)
    for size in sizes:
        generate.parse_size(size)  # refuse a bad size before starting anything
    settings = {"sizes": ",".join(sizes), "duration": duration, "workers": workers, "threads": threads,
                "connections": connections, "accept_encoding": accept_encoding, "peers": [] if skip_peers else list(peers), "seed": seed,
                "service_env": dict(service_env or {}), "size_env": dict(size_env or {}),
                "size_peers": dict(size_peers or {}),
                "peer_max_requests": peer_max_requests,
                "peer_max_seconds": peer_max_seconds, "peer_timeout": peer_timeout, "request_timeout": request_timeout,
                "load_timeout": load_timeout, "gunicorn_config": str(servers.GUNICORN_CONFIG.relative_to(servers.PROJECT_ROOT))}
    results = {"note": NOISY_NOTE, "machine": machine.describe(), "settings": settings, "sizes": [], "problems": []}
    core_nt = export_core_ntriples(cache_dir)
    workloads = service_workloads()
    for size in sizes:
        results["sizes"].append(run_size(size, settings, cache_dir, core_nt, workloads, results["problems"]))
        if output is not None:  # write after every size, so a long run leaves something behind
            write_results(results, Path(output))
    return results


def write_results(results: dict, output: Path) -> None:
    """Write the markdown table and the raw results as JSON next to it."""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report.render(results), encoding="utf-8")
    output.with_suffix(".json").write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")


def _env_pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.startswith("LBP_KG_"):
        raise argparse.ArgumentTypeError(f"expected LBP_KG_NAME=value, got {text!r}")
    return name, value


def peers_at(size: str, settings: dict) -> list[str]:
    """Return the peers measured at one size: ``--peers``, narrowed by ``--size-peers`` for that size."""
    only = settings.get("size_peers", {}).get(generate.size_name(generate.parse_size(size)))
    return [peer for peer in settings["peers"] if only is None or peer in only]


#: peers for one size unless --size-peers is given: at 1M triples rdflib-endpoint times out on
#: most queries and takes minutes to restart after each, and no target compares with it there
DEFAULT_SIZE_PEERS = {"1m": ["oxigraph"]}

def _size_env_pair(text: str) -> tuple[str, str, str]:
    size, sep, pair = text.partition(":")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected SIZE:LBP_KG_NAME=value, got {text!r}")
    generate.parse_size(size)
    return (size, *_env_pair(pair))


def _peer_list(text: str) -> list[str]:
    """Read a comma-separated list of peers; refuse a name that is not one of PEERS."""
    peers = [name for name in text.split(",") if name]
    unknown = sorted(set(peers) - set(PEERS))
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown peers {unknown}; known: {', '.join(PEERS)}")
    return peers


def _size_peers_pair(text: str) -> tuple[str, list[str]]:
    size, sep, names = text.partition(":")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected SIZE:PEER[,PEER], got {text!r}")
    return generate.size_name(generate.parse_size(size)), _peer_list(names)


def _size_envs(pairs: list[tuple[str, str, str]]) -> dict[str, dict[str, str]]:
    envs: dict[str, dict[str, str]] = {}
    for size, name, value in pairs:
        envs.setdefault(size, {})[name] = value
    return envs


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``lbp-kg bench`` (and ``python -m bench.run``)."""
    parser = argparse.ArgumentParser(prog="lbp-kg bench", description="Benchmark lbp-kg against a Flask "
                                     "hello-world floor, oxigraph serve and rdflib-endpoint.")
    parser.add_argument("--sizes", default="10k,100k,1m", help="synthetic extension sizes (default 10k,100k,1m)")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of wrk load per target (default 5)")
    parser.add_argument("--skip-peers", action="store_true", help="measure only the floor and lbp-kg")
    parser.add_argument("--peers", type=_peer_list, default=list(PEERS), help="peers to compare with (default: both)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="the table, as markdown (the raw results go beside it as JSON)")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR, help="generated data, logs (var/bench)")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--accept-encoding", default="gzip",
                        help="Accept-Encoding every request sends, as browsers, fetch and requests do "
                        "(default gzip; '' asks for uncompressed answers)")
    parser.add_argument("--peer-max-requests", type=int, default=20, help="cap per rdflib-endpoint target")
    parser.add_argument("--peer-max-seconds", type=float, default=10.0, help="time cap per rdflib-endpoint target")
    parser.add_argument("--peer-timeout", type=float, default=30.0, help="seconds one rdflib-endpoint request may take")
    parser.add_argument("--service-env", type=_env_pair, action="append", default=[], metavar="LBP_KG_X=value",
                        help="extra service setting, e.g. LBP_KG_REASONING=false (repeatable)")
    parser.add_argument("--size-env", type=_size_env_pair, action="append", default=[],
                        metavar="SIZE:LBP_KG_X=value",
                        help="a service setting for one size only (repeatable)")
    parser.add_argument("--size-peers", type=_size_peers_pair, action="append", default=[],
                        metavar="SIZE:PEER[,PEER]",
                        help="the peers measured at one size (repeatable; empty after the colon: none); "
                        "default 1m:oxigraph, since rdflib-endpoint times out on most queries at 1M")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, run the benchmark, print the table and save it."""
    args = build_parser().parse_args(argv)
    try:
        results = run_benchmark([s for s in args.sizes.split(",") if s], duration=args.duration,
                                skip_peers=args.skip_peers, output=args.output, cache_dir=args.cache_dir,
                                seed=args.seed, workers=args.workers, threads=args.threads,
                                connections=args.connections, peers=args.peers, service_env=dict(args.service_env),
                                size_env=_size_envs(args.size_env),
                                size_peers=dict(args.size_peers) if args.size_peers else DEFAULT_SIZE_PEERS,
                                peer_max_requests=args.peer_max_requests, peer_max_seconds=args.peer_max_seconds,
                                peer_timeout=args.peer_timeout, accept_encoding=args.accept_encoding)
    except (ValueError, load.LoadToolMissing, servers.ServerFailed) as err:
        log(f"error: {err}")
        return 1
    log(f"report written to {args.output}")
    print(report.render_summary(results))
    for size in results["sizes"]:
        print()
        print(report.render_size(size))
    return 0


if __name__ == "__main__":
    sys.exit(main())
