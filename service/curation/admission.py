"""Extensions are gated at load: a file that fails ``lbp-kg check`` is not served.

At start-up (and at every reload) each file of the extensions directory is judged by the full
gate (service.curation.gate: parse, SHACL, HermiT, conventions, competency questions); a file that
fails is left out, unless the ``serve_failed_extensions`` setting says to serve it anyway, and
/health and the log say which file and why.

Why a cache, not a cheaper check: the gate's worth is its reasoner and its questions, and a cheap
parse-and-shapes check at load would let the very files HermiT rejects through. The full gate
costs seconds, so its verdict is kept by content: the SHA-256 of the file's bytes together with
the digest of everything the gate judges against (the core ontology files, the shapes and the
queries). An unchanged file costs one hash at start-up; a new or edited one pays the gate once.
A curated write records the verdict its own gate gave (service.curation.extension_store), so
the reload after a write does not run the gate again. A verdict that could not be reached (no
Java for HermiT) is not kept: the file is refused until the gate can run.

Several processes start at once (gunicorn's workers): a lock per file content lets one of them
judge while the others wait for its verdict, so a new file pays the gate once, not once per worker.
The gate's SHACL stage grows with the file (pySHACL had not finished 104,000 triples after 7
minutes here, on a busy 2-core machine), so
data an operator generated or checked elsewhere, such as the benchmark's synthetic module of
100,000 triples and more, can be served unjudged with ``gate_extensions_at_load = false``:
/health then marks each file ``"judged": false`` and the log says so at every start.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from service.kg.ontology import extension_files, file_digest, read_catalog
from service.paths import CATALOG_FILE, ONTOLOGY_HEADER, QUERIES_DIR, SHAPES_DIR

log = logging.getLogger(__name__)

#: Bump when the gate's judgement changes in a way the inputs' digests do not show.
VERDICT_GENERATION = "1"
MAX_REASONS = 5


@dataclass
class Verdict:
    """The gate's judgement of one extension file."""

    file: str
    passed: bool
    reasons: list[str] = field(default_factory=list)
    served: bool = False
    #: False when the file was served without being judged (gate_extensions_at_load is off).
    judged: bool = True

    def as_dict(self) -> dict:
        return {"file": self.file, "passed": self.passed, "served": self.served, "reasons": self.reasons,
                "judged": self.judged}


def _judged_against() -> str:
    """The digest of everything the gate judges an extension against."""
    files = [ONTOLOGY_HEADER, CATALOG_FILE, *read_catalog(CATALOG_FILE).values(),
             *sorted(SHAPES_DIR.glob("*.ttl")), *sorted(QUERIES_DIR.rglob("*.rq"))]
    digest = hashlib.sha256(VERDICT_GENERATION.encode())
    for path in dict.fromkeys(files):
        digest.update(f"{path.name}\0{file_digest(path)}\0".encode())
    return digest.hexdigest()


class VerdictCache:
    """Gate verdicts by content, one small JSON file each under ``directory``."""

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)
        self._against = None

    def key(self, data: bytes) -> str:
        if self._against is None:
            self._against = _judged_against()
        return hashlib.sha256(self._against.encode() + b"\0" + data).hexdigest()

    def get(self, data: bytes) -> tuple[bool, list[str]] | None:
        try:
            record = json.loads((self.directory / f"{self.key(data)}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return bool(record["passed"]), list(record["reasons"])

    def judging(self, data: bytes):
        """Hold the lock of this content while it is judged (other processes wait, then read the verdict)."""
        return _FileLock(self.directory / f"{self.key(data)}.lock")

    def put(self, data: bytes, passed: bool, reasons: list[str]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.directory / f"{self.key(data)}.json"
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps({"passed": passed, "reasons": reasons}), encoding="utf-8")
        os.replace(partial, target)


class _FileLock:
    """An exclusive ``flock`` on a file, held for a ``with`` block."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "a")
        fcntl.flock(self._file, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc_info):
        fcntl.flock(self._file, fcntl.LOCK_UN)
        self._file.close()
        return False


def reasons_of(report) -> list[str]:
    """The first problems of a failed gate report, one line each."""
    reasons = []
    for stage in report.stages.values():
        for problem in stage.problems:
            where = f" ({Path(problem.file).name}" + (f", line {problem.line})" if problem.line else ")") \
                if problem.file else ""
            reasons.append(f"{stage.title}: {problem.message}{where}")
    return reasons[:MAX_REASONS]


def _judge(path: Path, extensions_dir: Path) -> tuple[bool, list[str], bool]:
    """Run the full gate on one file; return (passed, reasons, whether the verdict may be kept)."""
    from service.curation.gate import EXIT_OK, EXIT_REASONER_UNAVAILABLE, run_gate

    report = run_gate([path], extensions_dir=extensions_dir)
    if report.exit_code == EXIT_REASONER_UNAVAILABLE:
        return False, ["the gate could not run HermiT (no Java?): " + " ".join(report.stages["reasoner"].notes)], False
    return report.exit_code == EXIT_OK, reasons_of(report), True


def _verdict_of(path: Path, directory: Path, cache: VerdictCache) -> tuple[bool, list[str]]:
    """The cached verdict on the file's content, or the gate's (run by one process at a time)."""
    data = path.read_bytes()
    known = cache.get(data)
    if known is not None:
        return known
    with cache.judging(data):
        known = cache.get(data)  # judged by another process while this one waited
        if known is not None:
            return known
        log.info("judging extension %s (%d bytes) with the gate; this runs once per file version",
                 path.name, len(data))
        passed, reasons, keep = _judge(path, directory)
        if keep:
            cache.put(data, passed, reasons)
        return passed, reasons


def admit_extensions(extensions_dir: str | os.PathLike, cache_dir: str | os.PathLike,
                     serve_failed: bool = False, judge: bool = True) -> tuple[list[Path], list[Verdict]]:
    """Judge every file of the extensions directory; return the files to serve and every verdict.

    With ``judge=False`` every file is served unjudged (the operator vouches for it)."""
    directory = Path(extensions_dir)
    cache = VerdictCache(Path(cache_dir) / "gate")
    admitted, verdicts = [], []
    for path in extension_files(directory):
        if not judge:
            log.warning("extension %s is served without being judged (gate_extensions_at_load is off)", path.name)
            verdicts.append(Verdict(path.name, passed=True, served=True, judged=False))
            admitted.append(path)
            continue
        passed, reasons = _verdict_of(path, directory, cache)
        verdict = Verdict(path.name, passed, reasons, served=passed or serve_failed)
        verdicts.append(verdict)
        if verdict.served:
            admitted.append(path)
        if not passed:
            action = "served anyway (serve_failed_extensions is on)" if serve_failed else "NOT served"
            log.warning("extension %s fails the gate and is %s: %s", path.name, action, "; ".join(reasons))
    return admitted, verdicts


def load_knowledge(settings):
    """Load the knowledge base with only the extensions the gate admits; keep the verdicts on it."""
    from service.kg.knowledge import KnowledgeBase

    admitted, verdicts = admit_extensions(settings.extensions_dir, settings.cache_dir,
                                          settings.serve_failed_extensions, settings.gate_extensions_at_load)
    kb = KnowledgeBase.load(settings, admitted)
    kb.extras["extension_verdicts"] = verdicts
    return kb
