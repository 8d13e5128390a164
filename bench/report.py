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


def _find(rows: list[dict], workload: str, server: str, fresh: bool = False) -> dict | None:
    return next((r for r in rows if r["workload"] == workload and r["server"] == server
                 and r.get("fresh", False) == fresh), None)


def compare(size_result: dict) -> list[dict]:
    """Return one line per lbp-kg workload with its figures and its ratios to the floor and peers.

    ``floor`` and ``oxigraph`` are shares (0.62 = 62% of their req/s); ``rdflib`` is a multiple.
    A ``fresh`` line was asked with ``Cache-Control: no-cache`` (evaluated every time); the
    peers cache nothing, so both lines of a workload compare with the same peer rows.
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


def _all_at_least(values: list[float | None], limit: float) -> bool | None:
    return _judge(values, lambda v: v >= limit)


def _all_below(values: list[float | None], limit: float) -> bool | None:
    return _judge(values, lambda v: v < limit)


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


def _ceiling_note(lines: list[dict], rows: list[dict], peer: str, limit: float, as_multiple: bool) -> str:
    """Say which workloads no Flask app could bring to the limit: the floor's own share of the peer.

    The floor answers without doing any work, so floor / peer is the best ratio to that peer any
    Flask app can reach on this machine; a workload whose ceiling is under the limit is out of
    reach here whatever the service does.
    """
    floor = rps(_find(rows, FLOOR_WORKLOAD, FLOOR))
    ceilings = [ratio(floor, rps(l[peer])) for l in lines if l["row"].get("peer_query")]
    out_of_reach = [c for c in ceilings if c is not None and c < limit]
    if not out_of_reach:
        return ""
    fmt = _times if as_multiple else _pct
    return (f"out of reach for {len(out_of_reach)} of {len(ceilings)} workloads: on them even the floor "
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


def _engine_latency_note(lines: list[dict], limit_ms: float) -> str:
    """Say which named queries ``oxigraph serve`` itself does not answer within ``limit_ms`` at p50."""
    def p50(row: dict) -> float | None:  # None: not measured (refused, say), inf: no answer in time
        if row.get("measurement"):
            return row["measurement"]["p50_ms"] if row["measurement"]["requests"] else float("inf")
        return float("inf") if "timed out" in (row.get("error") or "") else None

    measured = [p50(l["oxigraph"]) for l in lines if l["row"].get("peer_query") and l["oxigraph"]]
    measured = [value for value in measured if value is not None]
    slow = [value for value in measured if value >= limit_ms]
    if not slow:
        return ""
    return (f"out of reach for {len(slow)} of {len(measured)} named queries: oxigraph serve's own p50 under "
            f"the same load is {limit_ms:g} ms or more (or it answered none)")


def _p99_note(rows: list[dict]) -> str:
    floor = _find(rows, FLOOR_WORKLOAD, FLOOR)
    p99 = floor["measurement"]["p99_ms"] if floor and floor.get("measurement") else None
    return f"the floor's own p99 is {_ms(p99)}" if p99 is not None and p99 >= MAX_P99_MS else ""


def _first_targets(size: dict) -> list[dict]:
    """The issue's first targets at TARGET_SIZE, judged on each reading of "a named query"."""
    out = []
    rows = size["rows"]
    for fresh, reading in READINGS.items():
        lines = _headline(compare(size), fresh=fresh)
        peered = [l for l in lines if l["row"].get("peer_query")]
        checks = [
            (f"named queries and label lookup, {reading}, >= {_pct(MIN_FLOOR_SHARE)} of the floor's req/s",
             [l["floor_ratio"] for l in lines], _pct, MIN_FLOOR_SHARE,
             _engine_note(lines, rps(_find(rows, FLOOR_WORKLOAD, FLOOR)), MIN_FLOOR_SHARE) if fresh else ""),
            (f"... {reading}, >= {_pct(MIN_OXIGRAPH_SHARE)} of oxigraph serve's req/s",
             [l["oxigraph_ratio"] for l in peered], _pct, MIN_OXIGRAPH_SHARE,
             _ceiling_note(lines, rows, "oxigraph", MIN_OXIGRAPH_SHARE, as_multiple=False)),
            (f"... {reading}, >= {_times(MIN_RDFLIB_MULTIPLE)} rdflib-endpoint's req/s",
             [l["rdflib_ratio"] for l in peered], _times, MIN_RDFLIB_MULTIPLE,
             _ceiling_note(lines, rows, "rdflib", MIN_RDFLIB_MULTIPLE, as_multiple=True)),
        ]
        for text, values, fmt, limit, note in checks:
            out.append({"target": f"{TARGET_SIZE}: {text}", "measured": _span(values, fmt),
                        "met": _all_at_least(values, limit), "note": note})
        p99s = [_latency(l, "p99_ms") for l in lines]
        out.append({"target": f"{TARGET_SIZE}: ... {reading}, p99 < {MAX_P99_MS:g} ms", "measured": _span(p99s, _ms),
                    "met": _all_below(p99s, MAX_P99_MS), "note": _p99_note(rows)})
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
    mid = _size(results, TARGET_SIZE)
    if mid is None:
        out.append({"target": f"targets at {TARGET_SIZE}", "measured": "size not run", "met": None})
    else:
        out += _first_targets(mid)
    large = _size(results, LARGE_SIZE)
    if large is None:
        out.append({"target": f"targets at {LARGE_SIZE}", "measured": "size not run", "met": None})
    else:
        for fresh, reading in READINGS.items():
            named = [l for l in compare(large) if l["group"] == "named" and l["fresh"] == fresh]
            p50s = [_latency(l, "p50_ms") for l in named]
            out.append({"target": f"{LARGE_SIZE}: named query p50 < {MAX_P50_MS_LARGE:g} ms, {reading}",
                        "measured": _span(p50s, _ms), "met": _all_below(p50s, MAX_P50_MS_LARGE),
                        "note": _engine_latency_note(named, MAX_P50_MS_LARGE) if fresh else ""})
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
        named = [l["floor_ratio"] for l in compare(mid) if l["group"] == "named" and not l["fresh"]]
        out.append({"target": f"{TARGET_SIZE}: a repeated named query >= {_pct(MIN_CACHED_FLOOR_SHARE)} of the floor",
                    "measured": _span(named, _pct), "met": _all_at_least(named, MIN_CACHED_FLOOR_SHARE)})
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
    """Render the targets as a table: target, measured, met, and why it is out of reach if it is."""
    out = ["| target | measured | met | reachable here? |", "|---|---|---|---|"]
    for verdict in verdicts(results):
        met = {True: "yes", False: "**no**", None: "unknown"}[verdict["met"]]
        out.append(f"| {verdict['target']} | {verdict['measured']} | {met} | {verdict.get('note') or ''} |")
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
