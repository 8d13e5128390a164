"""Run SPARQL queries within limits: client queries in killable, network-locked workers; ours in process.

A client's query (``/sparql``) is untrusted text: it is evaluated only in a worker process of a
``service.engine.sandbox.SandboxPool``, off the network, with its heap and CPU capped, and killed at the
deadline. Each worker opens the same read-only on-disk snapshot of the store (written once per
store version under the cache directory) and evaluates the query AND serialises its result (row
cap included), sending back bytes.

The service's own named queries (``QueryJob.trusted``) run in the request's thread against this
process's store: their text is ours, each opens from its bound parameter so its cost follows that
entity's neighbourhood (queries/README.md), and the hop to a worker would cost more than most of
them. No client text ever takes that path, whatever it looks like: guessing which client queries
are cheap is how a cheap-looking query once stalled the service.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from service.engine.results import ResultNotAcceptable, SerializedResult, serialize_query_result
from service.engine.sandbox import SandboxBusy, SandboxCrashed, SandboxExhausted, SandboxPool, SandboxTimeout
from service.store.oxigraph import OxigraphStore, QueryDataset, open_snapshot

log = logging.getLogger(__name__)

_POSITION = re.compile(r"error at (\d+):(\d+)")


# --- what crosses the process boundary --------------------------------------------------------

@dataclass(frozen=True)
class QueryJob:
    """One query to run: its text, dataset, bindings and the media type to write each kind in."""

    sparql: str
    dataset: QueryDataset = QueryDataset()
    #: variable name -> pyoxigraph term (terms pickle as their lexical parts)
    substitutions: tuple[tuple[str, object], ...] = ()
    solutions_type: str | None = "application/sparql-results+json"
    graph_type: str | None = "text/turtle"
    #: resolves relative IRIs in the query (the protocol allows the endpoint's own URL)
    base_iri: str | None = None
    #: the service's own query (a named query), not a client's: it runs in process
    trusted: bool = False


@dataclass(frozen=True)
class _Failure:
    kind: str  # "syntax", "not_acceptable", "evaluation" (the query's fault) or "error" (ours)
    message: str
    detail: str | None = None


class QueryError(Exception):
    """A query could not be answered; subclasses say why."""


class QuerySyntaxError(QueryError):
    """The query does not parse; ``line`` and ``column`` locate the error when known.

    The parser's own message lists every character class it would have accepted; the message kept
    here names the place, what stands there, and the few tokens that could come next.
    """

    def __init__(self, message: str, text: str | None = None):
        match = _POSITION.search(message)
        self.line = int(match.group(1)) if match else None
        self.column = int(match.group(2)) if match else None
        super().__init__(readable_syntax_error(message, text, self.line, self.column))


#: an expected token in the parser's message is quoted ("{", "WHERE"); character ranges are not
_EXPECTED_TOKEN = re.compile(r'"((?:[^"\\]|\\.)+)"')
_MOST_EXPECTED_SHOWN = 8


def readable_syntax_error(message: str, text: str | None, line: int | None, column: int | None) -> str:
    """Say where the query stops parsing, what stands there, and what could come instead."""
    if line is None:
        return message.split("\n", 1)[0][:200]
    said = f"syntax error at line {line}, column {column}"
    if text is not None:
        lines = text.splitlines() or [""]
        rest = lines[line - 1][column - 1:] if line <= len(lines) else ""
        said += f", near {rest[:30]!r}" if rest.strip() else ", at the end of the line"
    expected = list(dict.fromkeys(_EXPECTED_TOKEN.findall(message)))
    if expected and len(expected) <= _MOST_EXPECTED_SHOWN:
        said += "; expected " + " or ".join(expected)
    return said + " (check the braces, the dots between patterns and the keywords' spelling)"


class QueryTimeout(QueryError):
    """The query ran past the time limit and its worker was killed."""

    def __init__(self, seconds: float):
        super().__init__(f"query exceeded the {seconds:g} s time limit; simplify it or add LIMIT")
        self.seconds = seconds


class QueryTooCostly(QueryError):
    """The query needed more memory or CPU time than a query worker may use."""

    def __init__(self, reason: str):
        super().__init__(f"the query was stopped: {reason}; simplify it or add LIMIT")


class WorkersBusy(QueryError):
    """Every query worker stayed busy until the deadline."""

    def __init__(self, seconds: float):
        super().__init__(f"every query worker stayed busy for {seconds:g} s; try again shortly")


class QueryFailed(QueryError):
    """Evaluation failed (or the worker died) for a reason other than syntax or time."""


class QueryEvaluationError(QueryError):
    """The query parsed but evaluating it raised an error (a fault of the query)."""


class EndpointUnavailable(QueryError):
    """The remote SPARQL endpoint cannot be reached or is overloaded (the client may retry)."""


class EndpointFailed(QueryError):
    """The remote SPARQL endpoint failed, or answered with something that does not parse."""


class NotAcceptableResult(QueryError):
    """The query's kind of result cannot be written in any media type the client accepts."""

    def __init__(self, kind: str):
        super().__init__(f"no acceptable media type for {kind} results")
        self.kind = kind


# --- the worker process -----------------------------------------------------------------------

def execute_job(store: ox.Store, job: QueryJob, max_rows: int,
                prefixes: dict[str, str] | None) -> SerializedResult | _Failure:
    """Evaluate one job against a store and write its result; failures are returned, not raised."""
    options = job.dataset.query_options()
    if job.base_iri:
        options["base_iri"] = job.base_iri
    if job.substitutions:
        options["substitutions"] = {ox.Variable(name): term for name, term in job.substitutions}
    try:
        result = store.query(job.sparql, **options)
        return serialize_query_result(result, solutions_type=job.solutions_type,
                                      graph_type=job.graph_type, max_rows=max_rows, prefixes=prefixes)
    except SyntaxError as err:
        return _Failure("syntax", str(err), job.sparql)
    except ResultNotAcceptable as err:
        return _Failure("not_acceptable", str(err), err.kind)
    except OSError as err:
        return _Failure("error", f"evaluation failed with a system error: {err}")
    except Exception as err:  # noqa: BLE001 - the worker must answer, whatever went wrong
        return _Failure("evaluation", f"{type(err).__name__}: {err}")


def open_query_store(snapshot: str, max_rows: int, prefixes: dict[str, str]) -> tuple:
    """Set up a query worker: open the store's snapshot (run once in each new worker)."""
    return open_snapshot(snapshot), max_rows, prefixes


def answer_query_job(state: tuple, job: QueryJob) -> SerializedResult | _Failure:
    """Answer one job in a query worker."""
    store, max_rows, prefixes = state
    return execute_job(store, job, max_rows, prefixes)


@dataclass
class QueryExecutor:
    """Answers query jobs over one store: trusted ones in process, client ones in sandboxed workers."""

    store: OxigraphStore
    cache_dir: str
    timeout: float = 10.0
    max_rows: int = 10000
    workers: int = 2
    prefixes: dict[str, str] = field(default_factory=dict)
    memory_mb: int | None = 1024

    def __post_init__(self):
        self._snapshot: Path | None = None
        #: how many trusted (named) queries ran in this process
        self.runs_in_process = 0
        self.pool = SandboxPool("query", open_query_store, self._setup_args, answer_query_job,
                                timeout=self.timeout, workers=self.workers, memory_mb=self.memory_mb,
                                preload=("service.engine.executor",))

    def _setup_args(self) -> tuple:
        if self._snapshot is None:
            self._snapshot = self.store.write_snapshot(self.cache_dir)
        return str(self._snapshot), self.max_rows, self.prefixes

    def run(self, job: QueryJob) -> SerializedResult:
        """Return the job's serialised result, or raise a QueryError."""
        if job.trusted:
            self.runs_in_process += 1
            return _result_of(execute_job(self.store.store, job, self.max_rows, self.prefixes))
        try:
            return _result_of(self.pool.run(job))
        except SandboxTimeout:
            raise QueryTimeout(self.timeout) from None
        except SandboxBusy:
            raise WorkersBusy(self.timeout) from None
        except SandboxExhausted as err:
            raise QueryTooCostly(str(err)) from None
        except SandboxCrashed as err:
            raise QueryFailed(str(err)) from None

    def start(self) -> None:
        """Start every worker now instead of on first use (e.g. after a server forks)."""
        self.pool.start()

    def warm_up(self) -> None:
        """Start the workers in the background, unless some already exist or are starting."""
        self.pool.warm_up()

    def close(self) -> None:
        """Stop the workers."""
        self.pool.close()

    @property
    def live_workers(self) -> int:
        """How many worker processes exist (idle or busy)."""
        return self.pool.live_workers

    @property
    def stats(self) -> dict:
        return self.pool.stats


def _result_of(outcome: SerializedResult | _Failure) -> SerializedResult:
    """Return a result, or raise the QueryError a failure stands for."""
    if isinstance(outcome, SerializedResult):
        return outcome
    if outcome.kind == "syntax":
        raise QuerySyntaxError(outcome.message, outcome.detail)
    if outcome.kind == "not_acceptable":
        raise NotAcceptableResult(outcome.detail)
    if outcome.kind == "evaluation":
        raise QueryEvaluationError(outcome.message)
    raise QueryFailed(outcome.message)
