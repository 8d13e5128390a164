"""Turn benchmark results into ratios and a markdown table (pure functions; nothing here is timed).

``results`` is the dictionary bench/run.py builds (and saves as JSON next to the table): a
machine description, the settings, and per size the servers' load figures and one row per
(workload, server) with its measurement or the error that prevented it. The table states figures
and ratios; it judges nothing.
"""
from __future__ import annotations

SERVICE = "lbp-kg"
FLOOR = "floor"
OXIGRAPH = "oxigraph"
RDFLIB_ENDPOINT = "rdflib-endpoint"
FLOOR_WORKLOAD = "floor /hello"
#: the workload the summary compares across servers (the issue's own table)
SUMMARY_WORKLOAD = "sparql label-lookup"


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


def find(rows: list[dict], workload: str, server: str, fresh: bool = False) -> dict | None:
    """Return the row of one workload on one server (``fresh``: the no-cache reading)."""
    return next((r for r in rows if r["workload"] == workload and r["server"] == server
                 and r.get("fresh", False) == fresh), None)


def compare(size_result: dict) -> list[dict]:
    """Return one line per lbp-kg workload with its row, the peers' rows and the ratios.

    ``floor_ratio`` and ``oxigraph_ratio`` are shares (0.62 = 62% of their req/s);
    ``rdflib_ratio`` is a multiple. A ``fresh`` line was asked with ``Cache-Control: no-cache``
    (evaluated every time); the peers cache nothing, so both lines of a workload compare with the
    same peer rows.
    """
    rows = size_result["rows"]
    floor_rps = rps(find(rows, FLOOR_WORKLOAD, FLOOR))
    lines = []
    for row in rows:
        if row["server"] != SERVICE:
            continue
        own = rps(row)
        oxigraph_row = find(rows, row["workload"], OXIGRAPH)
        rdflib_row = find(rows, row["workload"], RDFLIB_ENDPOINT)
        lines.append({
            "workload": row["workload"],
            "fresh": row.get("fresh", False),
            "row": row,
            "oxigraph": oxigraph_row,
            "rdflib": rdflib_row,
            "floor_ratio": ratio(own, floor_rps),
            "oxigraph_ratio": ratio(own, rps(oxigraph_row)),
            "rdflib_ratio": ratio(own, rps(rdflib_row)),
        })
    return lines


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _measure_cells(row: dict | None) -> list[str]:
    """req/s, p50 ms, p99 ms of a row ("failed" with no measurement, "-" when not run)."""
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
    return f"{value:,.0f}x" if as_multiple else f"{value * 100:.0f}%"


def render_size(size_result: dict) -> str:
    """Render one size's throughput table and its servers' load and memory figures."""
    rows = size_result["rows"]
    out = [f"### {size_result['size']} synthetic triples "
           f"({size_result.get('service_triples', '?')} triples in the service)", ""]
    out.append("| workload | lbp-kg cold ms | req/s | p50 ms | p99 ms | vs floor | oxigraph req/s | p50 ms | p99 ms "
               "| vs oxigraph | rdflib-endpoint req/s | p50 ms | p99 ms | vs rdflib-endpoint |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    floor = find(rows, FLOOR_WORKLOAD, FLOOR)
    out.append(f"| {FLOOR_WORKLOAD} (Flask hello-world) | {_cold(floor)} | {' | '.join(_measure_cells(floor))} | 100% "
               "| - | - | - | - | - | - | - | - |")
    for line in compare(size_result):
        cells = [line["workload"] + (" · no-cache" if line["fresh"] else ""), _cold(line["row"]),
                 *_measure_cells(line["row"]), _ratio_cell(line["floor_ratio"]),
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
        out += ["", "Not measured:"] + [f"- {r['server']} / {r['workload']}: {r['error']}" for r in errors]
    return "\n".join(out)


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
            rate, p50, _ = _measure_cells(find(size["rows"], workload, server, fresh))
            cells += [rate, "-" if p50 == "-" else f"{p50} ms"]
        out.append(f"| {title} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def render(results: dict) -> str:
    """Render the whole report as markdown."""
    settings = results.get("settings", {})
    parts = [
        "# lbp-kg benchmark results", "", results.get("note", ""), "",
        "## Machine", "", "\n".join(f"- {key}: {value}" for key, value in results.get("machine", {}).items()), "",
        "## Settings", "", "\n".join(f"- {key}: {value}" for key, value in settings.items()), "",
        "## Summary", "", render_summary(results), "",
        "## Throughput and latency", "",
        "*vs floor* and *vs oxigraph* are lbp-kg's share of their requests per second; *vs "
        "rdflib-endpoint* is how many times faster lbp-kg is. *cold ms* is the first request's latency; "
        "the load that follows repeats the request, so lbp-kg answers it from its answer cache. Rows "
        "marked *no-cache* send `Cache-Control: no-cache`, so lbp-kg evaluates every request. "
        "rdflib-endpoint is measured with a capped Python client (few requests, 2 at a time). Memory is "
        "read after the load; *first start* is lbp-kg's start with an empty cache, *ready* its restart.",
    ]
    if settings.get("accept_encoding"):
        parts += ["", f"Every request sends `Accept-Encoding: {settings['accept_encoding']}`; each server "
                  "answers as it chooses."]
    for size in results.get("sizes", []):
        parts += ["", render_size(size)]
    if results.get("problems"):
        parts += ["", "## Problems met", ""] + [f"- {p}" for p in results["problems"]]
    return "\n".join(parts).rstrip() + "\n"
