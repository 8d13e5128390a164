"""Durable, gated writes to extension graphs: each one a Turtle file in the extensions directory.

A write, under one lock per process and an ``fcntl.flock`` shared by every process on the
directory:

1. finish any write a crash interrupted (see ``recover``);
2. read the target graph's file from disk (not from memory: another process may have written);
3. compute the new graph (apply a SPARQL Update, replace, merge) and serialise it as Turtle;
4. run the gate of ``lbp-kg check`` on the new file, against the core plus every other installed
   extension; a failure refuses the write (422), a missing Java refuses it too (503);
5. write an *intent* (the change-log entry and the new file's hash) durably beside the files;
6. write the file to a temporary file in the same directory, fsync it, ``os.replace`` it over the
   old one and fsync the directory: the commit point, atomic for readers and for crashes;
7. append the change-log entry (fsynced), bump the version file other processes watch, and drop
   the intent.

A process killed anywhere leaves the old file or the new one, never a mix. If it dies between
the commit and the log, the next write (or the next start) finds the intent, sees the file holds
the new content and appends the entry then; an intent whose content never landed is dropped.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from rdflib import Graph
from rdflib.compare import to_canonical_graph
from rdflib.namespace import OWL, RDF

from service.kg import ontology
from service.curation.change_log import ChangeLog
from service.kg.rdf_files import RdfSyntaxError

log = logging.getLogger(__name__)

WRITABLE_SUFFIX = ".ttl"
LOCK_FILE = ".lbp-kg-write.lock"
INTENT_FILE = ".lbp-kg-write-intent.json"
#: bumped after every committed write; service.web.reload watches it
VERSION_FILE = ".lbp-kg-version"
TEMP_SUFFIX = ".tmp"
#: how much of a diff or an update's text the change log keeps
MAX_LISTED_TRIPLES = 50
MAX_LOGGED_UPDATE_CHARS = 20_000

#: test-only: pause the write at a step (``Pause``) so a test can kill the process there
PAUSE_STEPS = ("after-gate", "before-commit", "after-commit", "after-log")
Pause = Callable[[str], None]


class WriteError(Exception):
    """A write was refused: why (``reason``, one of ``WRITE_REFUSALS``), a message and details.

    The web layer alone says which HTTP status each reason is (service.web.views.writes).
    """

    def __init__(self, reason: str, message: str, **details):
        if reason not in WRITE_REFUSALS:
            raise ValueError(f"unknown write refusal {reason!r}")
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.details = details


#: why a write can be refused
WRITE_REFUSALS = (
    "no-such-graph",    # the graph to delete does not exist
    "read-only-graph",  # a core graph of the service
    "conflict",         # the stored files do not allow it (unparsable, another format, a name taken)
    "gate-unavailable", # the gate cannot run (no Java for HermiT)
    "gate-rejected",    # the gate found problems in the result
)


@dataclass
class WriteResult:
    """What an accepted (or empty) write did."""

    graph: str
    file: str
    operation: str
    changed: bool
    created: bool = False
    deleted: bool = False
    added: int = 0
    removed: int = 0
    entry: dict | None = None
    seconds: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """Return the result as the JSON body of the write's response."""
        return {"graph": self.graph, "file": self.file, "operation": self.operation, "changed": self.changed,
                "created": self.created, "deleted": self.deleted, "added": self.added, "removed": self.removed,
                "change": self.entry["id"] if self.entry else None,
                "seconds": {step: round(value, 3) for step, value in self.seconds.items()}}


@dataclass(frozen=True)
class _Located:
    iri: str
    path: Path
    graph: Graph | None  # None: the graph does not exist yet


def sha256(data: bytes | None) -> str | None:
    """Return the hex SHA-256 of the bytes, or None for a file that does not exist."""
    return hashlib.sha256(data).hexdigest() if data is not None else None


def file_name_for(iri: str) -> str:
    """Return the Turtle file name a new extension graph gets: its IRI's last segment, made safe."""
    last = re.split(r"[/#]", iri.rstrip("/#"))[-1]
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", last).strip(".-")[:80]
    return (slug or "extension") + WRITABLE_SUFFIX


#: the mode of files written here: the owner writes, everyone reads (like the files in the repository)
FILE_MODE = 0o644


def write_durably(path: Path, data: bytes, pause: Pause | None = None) -> None:
    """Replace ``path`` with ``data`` atomically: temp file, fsync, rename, fsync the directory."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    try:
        # mkstemp makes the file private (0600); an ontology module is read by other tools and users
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if pause:
            pause("before-commit")
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)


def fsync_directory(directory: Path) -> None:
    """Make renames and deletions in the directory durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def serialise_extension(graph: Graph) -> bytes:
    """Serialise an extension graph as Turtle with the project's prefixes."""
    out = Graph()
    out += graph
    for prefix, namespace in ontology.prefixes().items():
        out.bind(prefix, namespace, override=True)
    body = out.serialize(format="turtle", encoding="utf-8")
    return b"# lbp-kg extension, written through the write API (see the change log for who and why).\n" + body


class ExtensionStore:
    """The extension graphs on disk, written only through gated, atomic, logged writes."""

    def __init__(self, directory: str | os.PathLike, change_log: str | os.PathLike,
                 protected_graphs: set[str], pause: Pause | None = None, verdicts=None):
        self.directory = Path(directory)
        #: where the gate's verdict on a written file is recorded (service.curation.admission), so
        #: the reload after the write admits it without running the gate again
        self.verdicts = verdicts
        self.change_log = ChangeLog(change_log)
        #: graphs never writable: the core modules and the service's virtual graphs
        self.protected_graphs = set(protected_graphs)
        self.pause = pause or (lambda step: None)
        self._lock = threading.Lock()

    @property
    def version_file(self) -> Path:
        return self.directory / VERSION_FILE

    # -- reading ----------------------------------------------------------------------------

    def read_graph(self, iri: str) -> Graph | None:
        """Return the extension graph as it is on disk now, or None if there is none."""
        return self._locate(iri).graph

    # -- writing ----------------------------------------------------------------------------

    def write(self, iri: str, change: Callable[[Graph], Graph], *, operation: str, who: str, why: str,
              request_text: str | None = None) -> WriteResult:
        """Compute the graph's new content with ``change``, gate it, and commit it durably.

        Raises WriteError when the write is refused; ``change`` may raise its own errors, which
        leave everything unchanged.
        """
        self._refuse_protected(iri)
        seconds: dict[str, float] = {}
        with self._exclusive(seconds):
            started = time.perf_counter()
            located = self._locate(iri)
            current = located.graph if located.graph is not None else Graph()
            before = located.path.read_bytes() if located.graph is not None else None
            new_graph = change(current)
            seconds["change"] = time.perf_counter() - started
            added, removed = _triple_delta(current, new_graph)
            result = WriteResult(graph=iri, file=located.path.name, operation=operation,
                                 changed=bool(added or removed), created=located.graph is None,
                                 added=added, removed=removed, seconds=seconds)
            if not result.changed and located.graph is not None:
                return result
            _require_header(new_graph, iri)
            data = serialise_extension(new_graph)
            started = time.perf_counter()
            self._gate(located.path.name, data)
            seconds["gate"] = time.perf_counter() - started
            self.pause("after-gate")
            entry = self._entry(located, operation, who, why, current, new_graph, before, data, request_text)
            self._commit(located.path, entry, data, seconds)
            result.entry = entry
            return result

    def delete(self, iri: str, *, who: str, why: str) -> WriteResult:
        """Remove an extension graph (its file), if the remaining extensions still pass the gate."""
        self._refuse_protected(iri)
        seconds: dict[str, float] = {}
        with self._exclusive(seconds):
            located = self._locate(iri)
            if located.graph is None:
                raise WriteError("no-such-graph", f"there is no extension graph <{iri}> to delete")
            before = located.path.read_bytes()
            started = time.perf_counter()
            self._gate(None, None, leaving_out=located.path.name)
            seconds["gate"] = time.perf_counter() - started
            entry = self._entry(located, "delete", who, why, located.graph, Graph(), before, None, None)
            self._commit(located.path, entry, None, seconds)
            return WriteResult(graph=iri, file=located.path.name, operation="delete", changed=True,
                               deleted=True, removed=len(located.graph), entry=entry, seconds=seconds)

    def recover(self) -> None:
        """Finish or drop a write a crash interrupted, and remove stray temporary files."""
        with self._exclusive({}):
            pass

    # -- internals --------------------------------------------------------------------------

    @contextmanager
    def _exclusive(self, seconds: dict):
        started = time.perf_counter()
        self.directory.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.directory / LOCK_FILE, "a+b") as lock_file:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
            try:
                seconds["lock"] = time.perf_counter() - started
                self._recover_interrupted_write()
                yield
            finally:
                fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)

    def _refuse_protected(self, iri: str) -> None:
        if iri in self.protected_graphs:
            raise WriteError("read-only-graph", f"<{iri}> is a core graph of the service and is read-only; writes go to "
                                  "extension graphs only (see docs/writes.md)", graph=iri)

    def _locate(self, iri: str) -> _Located:
        files = ontology.extension_files(self.directory)
        for path in files:
            try:
                [module] = ontology.load_extension_modules([path])
            except RdfSyntaxError as err:
                raise WriteError("conflict", f"the installed extension {path.name} does not parse ({err}); fix or "
                                      "remove it before writing") from None
            if module.iri == iri:
                if path.suffix.lower() != WRITABLE_SUFFIX:
                    raise WriteError("conflict", f"<{iri}> is stored as {path.name}; writes keep extensions as Turtle "
                                          f"(.ttl): convert the file to Turtle first", graph=iri)
                return _Located(iri, path, module.graph)
        path = self.directory / file_name_for(iri)
        if path.exists():
            raise WriteError("conflict", f"a new graph <{iri}> would be stored as {path.name}, which already holds "
                                  "another graph; choose a graph IRI whose last segment differs", graph=iri)
        return _Located(iri, path, None)

    def _gate(self, file_name: str | None, data: bytes | None, leaving_out: str | None = None) -> None:
        """Run ``lbp-kg check`` on the new file (or on the others, for a deletion); raise on failure."""
        from service.curation.gate import EXIT_OK, EXIT_REASONER_UNAVAILABLE, run_gate

        replaced = file_name or leaving_out
        scratch = Path(tempfile.mkdtemp(prefix="lbp-kg-gate-"))
        try:
            others = []
            for path in ontology.extension_files(self.directory):
                if path.name != replaced:
                    (scratch / path.name).symlink_to(path.resolve())
                    others.append(scratch / path.name)
            if data is not None:
                (scratch / file_name).write_bytes(data)
                checked = [scratch / file_name]
            else:
                checked = others
            if not checked:
                return
            report = run_gate(checked, extensions_dir=scratch)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        if data is not None and self.verdicts is not None and report.exit_code != EXIT_REASONER_UNAVAILABLE:
            from service.curation.admission import reasons_of

            self.verdicts.put(data, report.exit_code == EXIT_OK, reasons_of(report))
        if report.exit_code == EXIT_OK:
            return
        if report.exit_code == EXIT_REASONER_UNAVAILABLE:
            raise WriteError("gate-unavailable", "writes are refused while the reasoner cannot run: the gate needs HermiT, "
                                  "which needs Java (install a Java runtime, e.g. OpenJDK 17, on the server). "
                                  + " ".join(report.stages["reasoner"].notes))
        problems = [{"stage": stage.name, **problem.as_dict()}
                    for stage in report.stages.values() for problem in stage.problems]
        for problem in problems:
            if problem.get("file"):
                problem["file"] = Path(problem["file"]).name
        raise WriteError("gate-rejected", f"the gate (lbp-kg check) rejected the write with {len(problems)} problem(s); "
                              "nothing was changed", problems=problems,
                         stages={stage.name: stage.status for stage in report.stages.values()})

    def _entry(self, located: _Located, operation: str, who: str, why: str, old: Graph, new: Graph,
               before: bytes | None, after: bytes | None, request_text: str | None) -> dict:
        from service.curation.ontology_diff import diff_ontologies

        diff = diff_ontologies(old, new)
        added, removed = _triple_delta(old, new)
        what = {
            "graph": located.iri, "file": located.path.name, "operation": operation,
            "added": added, "removed": removed,
            "addedTerms": [t["term"] for t in diff.added_terms],
            "removedTerms": [t["term"] for t in diff.removed_terms],
            "changedTerms": [c.term for c in diff.changed_terms],
            "addedTriples": _capped(diff.added_triples), "removedTriples": _capped(diff.removed_triples),
            "sha256Before": sha256(before), "sha256After": sha256(after),
        }
        if request_text is not None:
            what["update"] = request_text[:MAX_LOGGED_UPDATE_CHARS]
        return {"id": str(uuid.uuid4()), "when": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                "who": who, "why": why, "what": what}

    def _commit(self, path: Path, entry: dict, data: bytes | None, seconds: dict) -> None:
        started = time.perf_counter()
        intent = {"entry": entry, "file": path.name}
        write_durably(self.directory / INTENT_FILE, json.dumps(intent).encode("utf-8"))
        if data is None:
            path.unlink()
            fsync_directory(self.directory)
        else:
            write_durably(path, data, pause=self.pause)
        self.pause("after-commit")
        seconds["commit"] = time.perf_counter() - started
        started = time.perf_counter()
        self.change_log.append(entry)
        self.pause("after-log")
        self._finish(intent)
        seconds["log"] = time.perf_counter() - started
        log.info("%s wrote <%s> (%s): +%d -%d triples, change %s", entry["who"], entry["what"]["graph"],
                 entry["what"]["operation"], entry["what"]["added"], entry["what"]["removed"], entry["id"])

    def _finish(self, intent: dict) -> None:
        write_durably(self.version_file, f"{intent['entry']['id']} {time.time_ns()}\n".encode("ascii"))
        (self.directory / INTENT_FILE).unlink(missing_ok=True)

    def _recover_interrupted_write(self) -> None:
        for stray in self.directory.glob(f".*{TEMP_SUFFIX}"):
            log.warning("removing %s, left by a write that was interrupted before it committed", stray.name)
            stray.unlink(missing_ok=True)
        intent_file = self.directory / INTENT_FILE
        try:
            intent = json.loads(intent_file.read_bytes())
        except FileNotFoundError:
            return
        except (json.JSONDecodeError, UnicodeDecodeError):  # cannot happen with write_durably; be safe
            log.warning("removing an unreadable %s", INTENT_FILE)
            intent_file.unlink()
            return
        entry, path = intent["entry"], self.directory / intent["file"]
        current = path.read_bytes() if path.exists() else None
        if sha256(current) == entry["what"]["sha256After"]:
            if not self.change_log.contains(entry["id"]):
                log.warning("a write by %s committed but was not logged before the server stopped; "
                            "logging it now (change %s)", entry["who"], entry["id"])
                self.change_log.append(entry)
            self._finish(intent)
        else:
            log.warning("a write by %s was interrupted before it committed; %s is unchanged (change %s dropped)",
                        entry["who"], intent["file"], entry["id"])
            intent_file.unlink()


def _require_header(graph: Graph, iri: str) -> None:
    headers = sorted(str(s) for s in graph.subjects(RDF.type, OWL.Ontology))
    if headers != [iri]:
        found = ", ".join(f"<{h}>" for h in headers) or "none"
        raise WriteError("gate-rejected", f"an extension graph declares itself, and only itself, as an owl:Ontology: "
                              f"<{iri}> a owl:Ontology (found: {found}); include the header, with "
                              "owl:versionInfo, in the graph's content", graph=iri)


def _triple_delta(old: Graph, new: Graph) -> tuple[int, int]:
    old_canonical, new_canonical = to_canonical_graph(old), to_canonical_graph(new)
    return len(new_canonical - old_canonical), len(old_canonical - new_canonical)


def _capped(items: list[str]) -> list[str]:
    if len(items) <= MAX_LISTED_TRIPLES:
        return items
    return items[:MAX_LISTED_TRIPLES] + [f"... and {len(items) - MAX_LISTED_TRIPLES} more"]
