"""SPARQL engines the remote backend is tested against, started on free loopback ports.

Each starts from the same graphs every backend loads (``lbp-kg export``'s N-Quads), in a
temporary folder, listens on 127.0.0.1 only and needs no network. Used by the session fixtures
in conftest.py: one of each engine per test session.
"""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from service.curation.export import write_export
from service.store import LoadedData

#: Debian's Virtuoso 7 (scripts/install-system-deps installs virtuoso-opensource-7-bin)
VIRTUOSO = "virtuoso-t"
VIRTUOSO_ISQL = "isql-vt"
START_SECONDS = 60


class EngineUnavailable(RuntimeError):
    """An engine's program is missing or it did not start; the message says how to fix it."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_nquads(data: LoadedData, path: Path) -> Path:
    """Write the graphs an engine must hold as ``lbp-kg export`` does."""
    with open(path, "wb") as handle:
        write_export(data, "nquads", handle)
    return path


def _wait_until_answering(endpoint: str, process: subprocess.Popen, name: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}?query=ASK%7B%7D", timeout=2).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                stop(process)
                said = f"; its log:\n{log.read_text(errors='replace')[-2000:]}" if log and log.exists() else ""
                raise EngineUnavailable(f"{name} did not start answering at {endpoint}{said}") from None
            time.sleep(0.1)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def oxigraph_binary() -> str:
    found = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or shutil.which("oxigraph")
    if found is None:
        raise EngineUnavailable("the oxigraph server binary is missing: pip install oxigraph==0.5.13 (the test extra)")
    return found


def start_oxigraph_server(data: LoadedData, root: Path) -> tuple[subprocess.Popen, str]:
    """Start a read-only ``oxigraph serve`` holding ``data``; return it and its query endpoint."""
    binary = oxigraph_binary()
    nquads = write_nquads(data, root / "data.nq")
    subprocess.run([binary, "load", "--location", str(root / "db"), "--file", str(nquads)],
                   check=True, capture_output=True)
    port = free_port()
    process = subprocess.Popen([binary, "serve-read-only", "--location", str(root / "db"),
                                "--bind", f"127.0.0.1:{port}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}/query"
    _wait_until_answering(endpoint, process, "oxigraph serve")
    return process, endpoint


#: The least a Virtuoso needs: its files in the temporary folder, both listeners on loopback, no
#: Unix socket, file access (the bulk loader) only to the folder holding the export, and no
#: periodic checkpoints (the database is thrown away). ResultSetMaxRows is far above the
#: service's row cap, so the service, not Virtuoso, truncates answers.
VIRTUOSO_INI = """\
[Database]
DatabaseFile = {root}/virtuoso.db
ErrorLogFile = {root}/virtuoso.log
LockFile = {root}/virtuoso.lck
TransactionFile = {root}/virtuoso.trx
xa_persistent_file = {root}/virtuoso.pxa
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {root}/virtuoso-temp.db
TransactionFile = {root}/virtuoso-temp.trx

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
DirsAllowed = {load_dir}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
CheckpointInterval = 0
ThreadsPerQuery = 2

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {root}
ServerThreads = 8
MaxClientConnections = 8

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 60
"""


def start_virtuoso(data: LoadedData, root: Path) -> tuple[subprocess.Popen, str]:
    """Start Virtuoso on a fresh database holding ``data``; return it and its SPARQL endpoint."""
    binary, isql = shutil.which(VIRTUOSO), shutil.which(VIRTUOSO_ISQL)
    if binary is None or isql is None:
        raise EngineUnavailable("Virtuoso is missing: apt-get install virtuoso-opensource-7-bin "
                                "(bash scripts/install-system-deps installs it)")
    load_dir = root / "load"
    load_dir.mkdir()
    write_nquads(data, load_dir / "lbp-kg.nq")
    sql_port, http_port = free_port(), free_port()
    (root / "virtuoso.ini").write_text(VIRTUOSO_INI.format(root=root, load_dir=load_dir, sql_port=sql_port,
                                                           http_port=http_port), encoding="utf-8")
    process = subprocess.Popen([binary, "-f", "-c", str(root / "virtuoso.ini")], cwd=root,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{http_port}/sparql"
    _wait_until_answering(endpoint, process, "Virtuoso", root / "virtuoso.log")
    # The bulk loader: N-Quads carry their graph names, so the graph given to ld_dir is unused.
    load = (f"ld_dir('{load_dir}', '*.nq', 'urn:lbp-kg:unused'); rdf_loader_run(); "
            "select ll_file, ll_error from DB.DBA.LOAD_LIST where ll_error is not null; checkpoint;")
    loaded = subprocess.run([isql, f"127.0.0.1:{sql_port}", "dba", "dba", f"exec={load}"],
                            capture_output=True, text=True, timeout=120)
    held = graph_sizes(endpoint)
    expected = data.graph_sizes
    if loaded.returncode != 0 or any(held.get(g) != n for g, n in expected.items()):
        stop(process)
        raise EngineUnavailable(f"Virtuoso did not load the export: it holds {held}, not {expected}; "
                                f"isql said: {loaded.stdout[-1500:]} {loaded.stderr[-500:]}")
    return process, endpoint


def graph_sizes(endpoint: str) -> dict[str, int]:
    """Ask an engine how many triples each of its named graphs holds."""
    query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    request = urllib.request.Request(endpoint, data=urllib.parse.urlencode({"query": query}).encode(),
                                     headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        bindings = json.load(response)["results"]["bindings"]
    return {row["g"]["value"]: int(row["n"]["value"]) for row in bindings}


def listening_addresses(pid: int) -> set[str]:
    """The local addresses (``ip:port``) the process listens on, read from /proc (Linux)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink().as_posix()
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table, width in (("tcp", 8), ("tcp6", 32)):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and inode in inodes:  # 0A: LISTEN
                address, port = local.split(":")
                found.add(f"{_address(address, width)}:{int(port, 16)}")
    return found


def _address(hexadecimal: str, width: int) -> str:
    if width == 8:
        return ".".join(str(int(hexadecimal[i:i + 2], 16)) for i in (6, 4, 2, 0))
    return "[" + hexadecimal + "]"  # IPv6: only ever compared with a loopback form in tests
