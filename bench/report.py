"""Turn benchmark results into ratios, target verdicts and a markdown report (pure functions).

``results`` is the dictionary bench/run.py builds (and saves as JSON next to the report): a
machine description, the settings, and per size the servers' load figures and one row per
(workload, server) with its measurement or the error that prevented it.
"""
from __future__ import annotations

SERVICE = "lbp-kg"
FLOOR = "floor"
OXIGRAPH = "oxigraph"
RDFLIB_ENDPOINT = "rdflib-endpoint"
FLOOR_WORKLOAD = "floor /hello"
#: a bare WSGI app under the same gunicorn settings: the ceiling of an answer replayed in front of Flask
BARE_FLOOR = "floor-wsgi"
BARE_FLOOR_WORKLOAD = "floor /hello (bare WSGI)"

#: The issue's targets (the report says for each whether it is met).
TARGET_SIZE = "100k"
LARGE_SIZE = "1m"
MIN_FLOOR_SHARE = 0.60
MIN_OXIGRAPH_SHARE = 0.30
MIN_RDFLIB_MULTIPLE = 1000.0
MAX_P99_MS = 5.0
MAX_P50_MS_LARGE = 5.0
MAX_LOAD_SECONDS_LARGE = 5.0
MAX_RSS_MIB_LARGE = 500.0
MIN_CACHED_FLOOR_SHARE = 0.85


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """Return numerator / denominator, or None when either is missing or the denominator is 0."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def rps(row: dict | None) -> float | None:
    """Return a row's requests per second, or None when it has no usable measurement."""
    if not row or not row.get("measurement"):
        return None
    measurement = row["measurement"]
    if not measurement["requests"]:
        return None  # nothing finished within the run: there is no rate to compare
    if measurement["errors"] and measurement["errors"] >= measurement["requests"]:
        return None  # every answer was an error: the rate says nothing about the service
    return measurement["requests_per_second"]


#: requests the capped client keeps in flight (bench/load.py: run_capped's default concurrency)
CAPPED_CONCURRENCY = 2


def rate_bound(row: dict | None, timeout: float | None) -> float | None:
    """Return an upper bound on a peer's rate for a workload it gave no answer to within ``timeout``.

    The probe, one request on an idle server, got nothing back in ``timeout`` seconds, so even
    with every request the capped client keeps in flight the peer answers fewer than
    CAPPED_CONCURRENCY / timeout per second. None when the row has a rate, or failed otherwise.
    """
    if not row or row.get("measurement") or not timeout or "timed out" not in (row.get("error") or ""):
        return None
    return CAPPED_CONCURRENCY / timeout


def _find(rows: list[dict], workload: str, server: str, fresh: bool = False) -> dict | None:
    return next((r for r in rows if r["workload"] == workload and r["server"] == server
                 and r.get("fresh", False) == fresh), None)


def compare(size_result: dict, peer_timeout: float | None = None) -> list[dict]:
    """Return one line per lbp-kg workload with its figures and its ratios to the floor and peers.

    ``floor`` and ``oxigraph`` are shares (0.62 = 62% of their req/s); ``rdflib`` is a multiple.
    A ``fresh`` line was asked with ``Cache-Control: no-cache`` (evaluated every time); the
    peers cache nothing, so both lines of a workload compare with the same peer rows. Where
    rdflib-endpoint gave no answer within ``peer_timeout``, ``rdflib_bound`` is the least the
    multiple can be (see ``rate_bound``) and ``rdflib_ratio`` stays None.
    """
    rows = size_result["rows"]
    floor_rps = rps(_find(rows, FLOOR_WORKLOAD, FLOOR))
    lines = []
    for row in rows:
        if row["server"] != SERVICE:
            continue
        own = rps(row)
        oxigraph_row = _find(rows, row["workload"], OXIGRAPH)
        rdflib_row = _find(rows, row["workload"], RDFLIB_ENDPOINT)
        bound = rate_bound(rdflib_row, peer_timeout)
        lines.append({
            "workload": row["workload"],
            "group": row["group"],
            "fresh": row.get("fresh", False),
            "row": row,
            "oxigraph": oxigraph_row,
            "rdflib": rdflib_row,
            "floor_ratio": ratio(own, floor_rps),
            "oxigraph_ratio": ratio(own, rps(oxigraph_row)),
            "rdflib_ratio": ratio(own, rps(rdflib_row)),
            "rdflib_bound": ratio(own, bound),
        })
    return lines


def _size(results: dict, name: str) -> dict | None:
    return next((s for s in results.get("sizes", []) if s["size"] == name), None)


def _headline(lines: list[dict], fresh: bool) -> list[dict]:
    """The workloads the targets speak of: every named query and the /sparql label lookup."""
    return [l for l in lines if (l["group"] == "named" or l["workload"] == "sparql label-lookup")
            and l["fresh"] == fresh]


def _judge(values: list[float | None], passes) -> bool | None:
    """False if any measured value fails, None if some were not measured, else True."""
    if any(v is not None and not passes(v) for v in values):
        return False
    if not values or any(v is None for v in values):
        return None
    return True


def _at_least(limit: float):
    return lambda v: v >= limit


def _below(limit: float):
    return lambda v: v < limit


def _all_at_least(values: list[float | None], limit: float) -> bool | None:
    return _judge(values, _at_least(limit))


def _all_below(values: list[float | None], limit: float) -> bool | None:
    return _judge(values, _below(limit))


def _latency(line: dict, key: str) -> float | None:
    measurement = line["row"].get("measurement")
    return measurement[key] if measurement and measurement["requests"] else None


def _span(values: list[float | None], fmt) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return "not measured"
    missing = len(values) - len(known)
    text = fmt(min(known)) if min(known) == max(known) else f"{fmt(min(known))} .. {fmt(max(known))}"
    return text + (f" ({missing} not measured)" if missing else "")


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def _times(value: float) -> str:
    return f"{value:,.0f}x"


def _ms(value: float) -> str:
    return f"{value:.2f} ms"


READINGS = {True: "every request evaluated (no-cache)", False: "as served, repeated (answer cache)"}


def _ceiling_note(lines: list[dict], floor: float | None, peer: str, limit: float, as_multiple: bool,
                  which: str = "the floor") -> str:
    """Say which workloads no app could bring to the limit: ``which`` floor's own ratio to the peer.

    A floor answers without doing any work, so floor / peer is the best ratio to that peer an
    app of its kind can reach on this machine (the Flask floor for an evaluated answer, the bare
    WSGI floor for an answer replayed in front of Flask); a workload whose ceiling is under the
    limit is out of reach here whatever the service does.
    """
    ceilings = [ratio(floor, rps(l[peer])) for l in lines if l["row"].get("peer_query")]
    out_of_reach = [c for c in ceilings if c is not None and c < limit]
    if not out_of_reach:
        return ""
    fmt = _times if as_multiple else _pct
    return (f"out of reach for {len(out_of_reach)} of {len(ceilings)} workloads: on them even {which} "
            f"(which does no work) reaches only {_span(out_of_reach, fmt)}")


def _engine_note(lines: list[dict], floor: float | None, limit: float) -> str:
    """Say which evaluated workloads the query engine alone cannot bring to ``limit`` of the floor.

    lbp-kg evaluates with the same engine as ``oxigraph serve`` (Oxigraph), plus Flask's work, so
    a query that ``oxigraph serve`` answers at under ``limit`` of the floor's rate cannot be
    evaluated for every request at that rate by lbp-kg either.
    """
    shares = [ratio(rps(l["oxigraph"]), floor) for l in lines if l["row"].get("peer_query") and l["oxigraph"]]
    slow = [s for s in shares if s is not None and s < limit]
    if not slow:
        return ""
    return (f"out of reach for {len(slow)} of {len(shares)} workloads: on them oxigraph serve, the engine "
            f"alone, reaches only {_span(slow, _pct)} of the floor's rate")


def cost_ceiling(workload: str, floor: float | None, cores: int | None, engine_ms: dict[str, float]) -> float | None:
    """Return the largest share of the floor's rate an evaluated workload can reach here.

    The floor's run keeps every core busy (wrk, gunicorn, Flask), so one of its requests costs
    ``cores / floor`` seconds of CPU. An evaluated lbp-kg request does at least that much and
    evaluates its query, which alone takes ``engine_ms`` (bench.named_queries, in process, over
    an in-memory store): its rate is at most ``cores / (cores / floor + query)``.
    """
    query_ms = engine_ms.get(workload)
    if query_ms is None or not floor or not cores:
        return None
    per_request = cores / floor
    return per_request / (per_request + query_ms / 1000)


def _cost_note(lines: list[dict], floor: float | None, cores: int | None, engine_ms: dict[str, float],
               limit: float) -> str:
    """Say which evaluated workloads the floor's cost plus the query's own cannot bring to ``limit``."""
    ceilings = [cost_ceiling(l["workload"], floor, cores, engine_ms) for l in lines]
    slow = [c for c in ceilings if c is not None and c < limit]
    if not slow:
        return ""
    return (f"out of reach for {len(slow)} of {len([c for c in ceilings if c is not None])} workloads: the floor's "
            f"request plus the query's own evaluation in process leaves at most {_span(slow, _pct)} of the floor's rate")


def _engine_latency_note(lines: list[dict], limit_ms: float) -> str:
    """Say which named queries ``oxigraph serve`` itself does not answer within ``limit_ms`` at p50."""
    measured = [_peer_latency(l["oxigraph"], "p50_ms") for l in lines if l["row"].get("peer_query") and l["oxigraph"]]
    measured = [value for value in measured if value is not None]
    slow = [value for value in measured if value >= limit_ms]
    if not slow:
        return ""
    return (f"out of reach for {len(slow)} of {len(measured)} named queries: oxigraph serve's own p50 under "
            f"the same load is {limit_ms:g} ms or more (or it answered none)")


def _p99_note(floor_row: dict | None, which: str = "the floor") -> str:
    p99 = floor_row["measurement"]["p99_ms"] if floor_row and floor_row.get("measurement") else None
    return f"{which}'s own p99 is {_ms(p99)}" if p99 is not None and p99 >= MAX_P99_MS else ""


def _ceiling_floor(rows: list[dict], fresh: bool) -> tuple[dict | None, str]:
    """The floor that bounds a reading, and how to name it.

    An evaluated answer goes through Flask, so the Flask floor bounds it; a repeated answer is
    replayed by the answer cache in front of Flask, so only the bare WSGI floor does (None when
    it was not measured: then nothing is out of reach for that reading).
    """
    if fresh:
        return _find(rows, FLOOR_WORKLOAD, FLOOR), "the floor"
    return _find(rows, BARE_FLOOR_WORKLOAD, BARE_FLOOR), "the bare WSGI floor"


def _misses_within_reach(lines: list[dict], value, passes, out_of_reach) -> list[str]:
    """Name the workloads that miss a target although nothing measured here puts it out of their reach.

    ``value(line)`` is the line's figure (None: not measured), ``passes(figure)`` the target, and
    ``out_of_reach(line)`` says whether the floor or the engine alone already misses it there.
    These are the misses this project could still mend.
    """
    return [l["workload"] for l in lines
            if (v := value(l)) is not None and not passes(v) and not out_of_reach(l)]


def _peer_latency(row: dict | None, key: str) -> float | None:
    """A peer's latency figure; inf when it gave no answer in time, None when it was not measured."""
    if not row:
        return None
    if row.get("measurement"):
        return row["measurement"][key] if row["measurement"]["requests"] else float("inf")
    return float("inf") if "timed out" in (row.get("error") or "") else None


def _rdflib_multiple(line: dict) -> float | None:
    """The multiple of rdflib-endpoint's rate, or the bound on it when that already meets the target."""
    if line["rdflib_ratio"] is not None:
        return line["rdflib_ratio"]
    bound = line.get("rdflib_bound")
    return bound if bound is not None and bound >= MIN_RDFLIB_MULTIPLE else None


def _bounds_note(lines: list[dict]) -> str:
    bounded = [l for l in lines if l["rdflib_ratio"] is None and _rdflib_multiple(l) is not None]
    return (f" ({len(bounded)} of them lower bounds: rdflib-endpoint gave no answer within its time limit)"
            if bounded else "")


def _first_targets(size: dict, peer_timeout: float | None = None, cores: int | None = None) -> list[dict]:
    """The issue's first targets at TARGET_SIZE, judged on each reading of "a named query"."""
    out = []
    rows = size["rows"]
    engine_ms = size.get("engine_ms") or {}
    floor = rps(_find(rows, FLOOR_WORKLOAD, FLOOR))
    for fresh, reading in READINGS.items():
        ceiling_row, which = _ceiling_floor(rows, fresh)
        ceiling = rps(ceiling_row)
        ceiling_p99 = _peer_latency(ceiling_row, "p99_ms")
        lines = _headline(compare(size, peer_timeout), fresh=fresh)
        peered = [l for l in lines if l["row"].get("peer_query")]

        def engine_share(line: dict) -> float | None:  # oxigraph serve's rate as a share of the floor's
            return ratio(rps(line["oxigraph"]), floor)

        def best_rate(line: dict) -> float | None:  # the most an evaluated request can reach (cost_ceiling)
            ceiling = cost_ceiling(line["workload"], floor, cores, engine_ms)
            return None if ceiling is None or floor is None else ceiling * floor

        def floor_multiple(line: dict, peer: str) -> float | None:  # the bounding floor's rate over the peer's
            peer_rate = rps(line[peer])
            if peer_rate is None and peer == "rdflib":
                peer_rate = rate_bound(line["rdflib"], peer_timeout)
            return ratio(ceiling, peer_rate)

        def below(value: float | None, limit: float) -> bool:
            return value is not None and value < limit

        checks = [
            (f"named queries and label lookup, {reading}, >= {_pct(MIN_FLOOR_SHARE)} of the floor's req/s",
             lines, lambda l: l["floor_ratio"], _pct, MIN_FLOOR_SHARE,
             (lambda l: below(engine_share(l), MIN_FLOOR_SHARE)
              or below(cost_ceiling(l["workload"], floor, cores, engine_ms), MIN_FLOOR_SHARE))
             if fresh else (lambda l: False),
             "; ".join(filter(None, [_engine_note(lines, floor, MIN_FLOOR_SHARE),
                                     _cost_note(lines, floor, cores, engine_ms, MIN_FLOOR_SHARE)])) if fresh else "",
             ""),
            (f"... {reading}, >= {_pct(MIN_OXIGRAPH_SHARE)} of oxigraph serve's req/s",
             peered, lambda l: l["oxigraph_ratio"], _pct, MIN_OXIGRAPH_SHARE,
             lambda l: below(floor_multiple(l, "oxigraph"), MIN_OXIGRAPH_SHARE)
             or (fresh and below(ratio(best_rate(l), rps(l["oxigraph"])), MIN_OXIGRAPH_SHARE)),
             _ceiling_note(lines, ceiling, "oxigraph", MIN_OXIGRAPH_SHARE, as_multiple=False, which=which), ""),
            (f"... {reading}, >= {_times(MIN_RDFLIB_MULTIPLE)} rdflib-endpoint's req/s",
             peered, _rdflib_multiple, _times, MIN_RDFLIB_MULTIPLE,
             lambda l: below(floor_multiple(l, "rdflib"), MIN_RDFLIB_MULTIPLE)
             or (fresh and (below(ratio(rps(l["oxigraph"]), rps(l["rdflib"])), MIN_RDFLIB_MULTIPLE)
                            or below(ratio(best_rate(l), rps(l["rdflib"])), MIN_RDFLIB_MULTIPLE))),
             _ceiling_note(lines, ceiling, "rdflib", MIN_RDFLIB_MULTIPLE, as_multiple=True, which=which),
             _bounds_note(peered)),
        ]
        for text, judged, value, fmt, limit, out_of_reach, note, measured_note in checks:
            values = [value(l) for l in judged]
            measured = _span(values, fmt) + measured_note
            out.append({"target": f"{TARGET_SIZE}: {text}", "measured": measured,
                        "met": _all_at_least(values, limit), "note": note,
                        "missed_within_reach": _misses_within_reach(judged, value, _at_least(limit), out_of_reach)})
        p99s = [_latency(l, "p99_ms") for l in lines]
        floor_misses_p99 = ceiling_p99 is not None and ceiling_p99 >= MAX_P99_MS

        def p99_out_of_reach(line: dict, fresh: bool = fresh) -> bool:
            return floor_misses_p99 or (fresh and (_peer_latency(line["oxigraph"], "p99_ms") or 0.0) >= MAX_P99_MS)

        out.append({"target": f"{TARGET_SIZE}: ... {reading}, p99 < {MAX_P99_MS:g} ms", "measured": _span(p99s, _ms),
                    "met": _all_below(p99s, MAX_P99_MS), "note": _p99_note(ceiling_row, which),
                    "missed_within_reach": _misses_within_reach(lines, lambda l: _latency(l, "p99_ms"),
                                                                _below(MAX_P99_MS), p99_out_of_reach)})
    return out


def verdicts(results: dict) -> list[dict]:
    """Say, for each of the issue's targets, what was measured and whether it is met (None: unknown).

    The first targets speak of "named queries" without saying whether their answers may be
    cached; they are judged twice, on answers evaluated for every request (no-cache) and on
    answers as the service serves a repeated request. A ``note`` says when a target is out of
    reach here: when the floor itself misses it (no Flask app could meet it), or, for evaluated
    answers, when the query engine alone (``oxigraph serve``) misses it.
    """
    out = []
    peer_timeout = results.get("settings", {}).get("peer_timeout")
    mid = _size(results, TARGET_SIZE)
    if mid is None:
        out.append({"target": f"targets at {TARGET_SIZE}", "measured": "size not run", "met": None})
    else:
        out += _first_targets(mid, peer_timeout, results.get("machine", {}).get("nproc"))
    large = _size(results, LARGE_SIZE)
    if large is None:
        out.append({"target": f"targets at {LARGE_SIZE}", "measured": "size not run", "met": None})
    else:
        for fresh, reading in READINGS.items():
            floor_p50 = _peer_latency(_ceiling_floor(large["rows"], fresh)[0], "p50_ms") or 0.0
            named = [l for l in compare(large) if l["group"] == "named" and l["fresh"] == fresh]
            p50s = [_latency(l, "p50_ms") for l in named]

            def p50_out_of_reach(line: dict, fresh: bool = fresh) -> bool:
                return floor_p50 >= MAX_P50_MS_LARGE or (
                    fresh and (_peer_latency(line["oxigraph"], "p50_ms") or 0.0) >= MAX_P50_MS_LARGE)

            out.append({"target": f"{LARGE_SIZE}: named query p50 < {MAX_P50_MS_LARGE:g} ms, {reading}",
                        "measured": _span(p50s, _ms), "met": _all_below(p50s, MAX_P50_MS_LARGE),
                        "note": _engine_latency_note(named, MAX_P50_MS_LARGE) if fresh else "",
                        "missed_within_reach": _misses_within_reach(named, lambda l: _latency(l, "p50_ms"),
                                                                    _below(MAX_P50_MS_LARGE), p50_out_of_reach)})
        service = large.get("servers", {}).get(SERVICE, {})
        ready = service.get("ready_seconds")
        first = service.get("first_start_seconds")
        out.append({"target": f"{LARGE_SIZE}: load < {MAX_LOAD_SECONDS_LARGE:g} s (restart to first healthy answer)",
                    "measured": f"{ready:.1f} s (service's own loadSeconds {service.get('load_seconds')}"
                    + (f"; first start with an empty cache {first:.1f} s" if first is not None else "") + ")"
                    if ready is not None else "not measured",
                    "met": None if ready is None else ready < MAX_LOAD_SECONDS_LARGE})
        worst = max_worker_rss(service.get("memory_after") or service.get("memory") or [])
        shared = bool(service.get("shared_on_disk_store"))
        out.append({"target": f"{LARGE_SIZE}: RSS < {MAX_RSS_MIB_LARGE:g} MiB per worker, or one shared on-disk store",
                    "measured": ("shared on-disk store; " if shared else "")
                    + (f"largest worker {worst:.0f} MiB (with its helper processes)" if worst is not None else "not measured"),
                    "met": True if shared else (None if worst is None else worst < MAX_RSS_MIB_LARGE)})
    if mid is not None:
        repeated = [l for l in compare(mid) if l["group"] == "named" and not l["fresh"]]
        named = [l["floor_ratio"] for l in repeated]
        out.append({"target": f"{TARGET_SIZE}: a repeated named query >= {_pct(MIN_CACHED_FLOOR_SHARE)} of the floor",
                    "measured": _span(named, _pct), "met": _all_at_least(named, MIN_CACHED_FLOOR_SHARE),
                    "missed_within_reach": _misses_within_reach(repeated, lambda l: l["floor_ratio"],
                                                                _at_least(MIN_CACHED_FLOOR_SHARE), lambda l: False)})
    return out


def max_worker_rss(memory: list[dict]) -> float | None:
    """Return the largest RSS of a worker counted with its helper processes, in MiB."""
    values = [m.get("tree_rss") if m.get("tree_rss") is not None else m.get("rss") for m in memory]
    values = [v for v in values if v is not None]
    return max(values) if values else None


def _num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def _measure_cells(row: dict | None) -> list[str]:
    if row is None:
        return ["-", "-", "-"]
    if not row.get("measurement"):
        return ["failed", "-", "-"]
    m = row["measurement"]
    if not m["requests"]:
        return [f"none finished in {m['seconds']:g} s", "-", "-"]
    flag = f" ({m['errors']} errors)" if m["errors"] else ""
    digits = 1 if m["requests_per_second"] >= 10 else 3
    return [_num(m["requests_per_second"], digits) + flag, _num(m["p50_ms"], 2), _num(m["p99_ms"], 2)]


def _cold(row: dict | None) -> str:
    """The first request's latency (before any cache is warm), in ms."""
    probe = (row or {}).get("probe")
    return _num(probe["ms"], 1) if probe else "-"


def _ratio_cell(value: float | None, as_multiple: bool = False) -> str:
    if value is None:
        return "-"
    return _times(value) if as_multiple else _pct(value)


def render_size(size_result: dict) -> str:
    """Render one size's throughput table and its servers' load and memory figures."""
    rows = size_result["rows"]
    out = [f"### {size_result['size']} synthetic triples "
           f"({size_result.get('service_triples', '?')} triples in the service)", ""]
    floor = _find(rows, FLOOR_WORKLOAD, FLOOR)
    out.append("| workload | lbp-kg cold ms | req/s | p50 ms | p99 ms | vs floor | oxigraph req/s | p50 ms | p99 ms "
               "| vs oxigraph | rdflib-endpoint req/s | p50 ms | p99 ms | vs rdflib-endpoint |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    floor_cells = _measure_cells(floor)
    out.append(f"| {FLOOR_WORKLOAD} (Flask hello-world) | {_cold(floor)} | {' | '.join(floor_cells)} | 100% "
               "| - | - | - | - | - | - | - | - |")
    bare = _find(rows, BARE_FLOOR_WORKLOAD, BARE_FLOOR)
    if bare is not None:
        out.append(f"| {BARE_FLOOR_WORKLOAD} | {_cold(bare)} | {' | '.join(_measure_cells(bare))} "
                   f"| {_ratio_cell(ratio(rps(bare), rps(floor)))} | - | - | - | - | - | - | - | - |")
    for line in compare(size_result):
        cells = [line["workload"] + (" · no-cache" if line["fresh"] else ""), _cold(line["row"]), *_measure_cells(line["row"]), _ratio_cell(line["floor_ratio"]),
                 *_measure_cells(line["oxigraph"]), _ratio_cell(line["oxigraph_ratio"]),
                 *_measure_cells(line["rdflib"]), _ratio_cell(line["rdflib_ratio"], as_multiple=True)]
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    out.append("| server | first start (s) | ready (s) | own load (s) | workers | RSS per worker (MiB) "
               "| PSS per worker (MiB) |")
    out.append("|---|---:|---:|---:|---:|---|---|")
    for name, server in size_result.get("servers", {}).items():
        memory = server.get("memory_after") or server.get("memory") or []
        rss = ", ".join(_num(m.get("tree_rss") or m.get("rss"), 0) for m in memory) or "-"
        pss = ", ".join(_num(m.get("tree_pss") or m.get("pss"), 0) for m in memory) or "-"
        out.append(f"| {name} | {_num(server.get('first_start_seconds'), 2)} | {_num(server.get('ready_seconds'), 2)} "
                   f"| {_num(server.get('load_seconds'), 2)} | {len(memory) or '-'} | {rss} | {pss} |")
    engine_ms = size_result.get("engine_ms") or {}
    if engine_ms:
        out.append("")
        out.append("Each named query's own evaluation in process (median ms over an in-memory store, "
                   "`bench.named_queries`): " + ", ".join(f"{name.removeprefix('named ').split(' (')[0]} {ms:,.2f}"
                                                          for name, ms in engine_ms.items()) + ".")
    errors = [r for r in rows if r.get("error")]
    if errors:
        out.append("")
        out.append("Not measured:")
        out.extend(f"- {r['server']} / {r['workload']}: {r['error']}" for r in errors)
    return "\n".join(out)


#: the workload the summary compares across servers (the issue's own table)
SUMMARY_WORKLOAD = "sparql label-lookup"


def render_summary(results: dict) -> str:
    """Render the issue's table for this project: the label lookup on every server, per size."""
    sizes = results.get("sizes", [])
    out = ["| label lookup | " + " | ".join(f"{s['size']} req/s | p50" for s in sizes) + " |",
           "|---|" + "---:|---:|" * len(sizes)]
    servers = [("Flask hello-world (the floor)", FLOOR_WORKLOAD, FLOOR, False),
               ("bare WSGI app under gunicorn (the ceiling of a replayed answer)", BARE_FLOOR_WORKLOAD, BARE_FLOOR, False),
               ("`oxigraph serve`", SUMMARY_WORKLOAD, OXIGRAPH, False),
               ("lbp-kg, every request evaluated (no-cache)", SUMMARY_WORKLOAD, SERVICE, True),
               ("lbp-kg, repeated (answer cache)", SUMMARY_WORKLOAD, SERVICE, False),
               ("rdflib-endpoint", SUMMARY_WORKLOAD, RDFLIB_ENDPOINT, False)]
    for title, workload, server, fresh in servers:
        cells = []
        for size in sizes:
            rate, p50, _ = _measure_cells(_find(size["rows"], workload, server, fresh))
            cells += [rate, "-" if p50 == "-" else f"{p50} ms"]
        out.append(f"| {title} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def render_verdicts(results: dict) -> str:
    """Render the targets as a table: target, measured, met, why it is out of reach for some workloads,
    and which workloads miss it although nothing measured puts it out of their reach ("none": every
    miss is out of reach here)."""
    out = ["| target | measured | met | out of reach here | missed within reach |", "|---|---|---|---|---|"]
    for verdict in verdicts(results):
        met = {True: "yes", False: "**no**", None: "unknown"}[verdict["met"]]
        misses = verdict.get("missed_within_reach")
        within = "" if verdict["met"] is not False or misses is None else (", ".join(misses) or "none")
        out.append(f"| {verdict['target']} | {verdict['measured']} | {met} | {verdict.get('note') or ''} | {within} |")
    return "\n".join(out)


def render_machine(machine: dict) -> str:
    """Render the machine description as a bullet list."""
    return "\n".join(f"- {key}: {value}" for key, value in machine.items())


def render(results: dict) -> str:
    """Render the whole report as markdown."""
    settings = results.get("settings", {})
    parts = [
        "# lbp-kg benchmark results",
        "",
        results.get("note", ""),
        "",
        "## Machine",
        "",
        render_machine(results.get("machine", {})),
        "",
        "## Settings",
        "",
        "\n".join(f"- {key}: {value}" for key, value in settings.items()),
        "",
        "## Summary",
        "",
        render_summary(results),
        "",
        "## Targets",
        "",
        render_verdicts(results),
        "",
        "## Throughput and latency",
        "",
        "lbp-kg starts once with an empty cache (*first start*: inference, snapshot and label index "
        "built), answers every workload, and is then restarted (*ready*: what a restart costs once "
        "those are cached on disk). Memory is read after the load.",
        "",
        "Ratios compare requests per second: *vs floor* and *vs oxigraph* are lbp-kg's share of theirs; "
        "*vs rdflib-endpoint* is how many times faster lbp-kg is. *cold ms* is the first request's "
        "latency (nothing cached yet); the load that follows repeats the same request, so it measures "
        "the service with its caches warm. Rows marked *no-cache* send `Cache-Control: no-cache`, so "
        "lbp-kg evaluates the query for every request (no answer or result cache; only the query's "
        "parse checks, negotiation and the in-process verdict for its shape are remembered); the "
        "issue's first targets are judged on those, and again on the repeated rows. rdflib-endpoint is "
        "measured with a capped Python client (few requests, 2 at a time), so its percentiles are rough.",
    ]
    if settings.get("accept_encoding"):
        parts += ["", f"Every request sends `Accept-Encoding: {settings['accept_encoding']}`, as browsers, "
                  "`fetch` and Python `requests` do; each server answers as it chooses (lbp-kg compresses "
                  "answers of 1 kB and more, `oxigraph serve` and rdflib-endpoint do not)."]
    for size in results.get("sizes", []):
        parts += ["", render_size(size)]
    if results.get("problems"):
        parts += ["", "## Problems met", ""] + [f"- {p}" for p in results["problems"]]
    return "\n".join(parts).rstrip() + "\n"
