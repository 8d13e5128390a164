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

import functools
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from service.engine.results import ResultNotAcceptable, SerializedResult, write_result
from service.engine.sandbox import SandboxBusy, SandboxCrashed, SandboxExhausted, SandboxPool, SandboxTimeout
from service.store.errors import (NotAcceptableResult, QueryEvaluationError, QueryFailed, QuerySyntaxError,
                                  QueryTimeout, QueryTooCostly, WorkersBusy)
from service.store.interface import LoadedData, QueryDataset, Store
from service.store.oxigraph import OxigraphStore, evaluate_on, open_snapshot

log = logging.getLogger(__name__)



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


# --- the worker process -----------------------------------------------------------------------

def execute_job(evaluate: Callable, job: QueryJob, max_rows: int,
                prefixes: dict[str, str] | None) -> SerializedResult | _Failure:
    """Evaluate one job with a store's ``evaluate`` and write its result; failures are returned, not raised."""
    try:
        result = evaluate(job.sparql, job.dataset, dict(job.substitutions), job.base_iri)
        return write_result(result, job.solutions_type, job.graph_type, max_rows, prefixes)
    except SyntaxError as err:
        return _Failure("syntax", str(err), job.sparql)
    except ResultNotAcceptable as err:
        return _Failure("not_acceptable", str(err), err.kind)
    except OSError as err:
        return _Failure("error", f"evaluation failed with a system error: {err}")
    except Exception as err:  # noqa: BLE001 - the worker must answer, whatever went wrong
        return _Failure("evaluation", f"{type(err).__name__}: {err}")


def open_oxigraph_snapshot(snapshot: str, max_rows: int, prefixes: dict[str, str]) -> tuple:
    """Set up a query worker over Oxigraph: open the store's snapshot (once in each new worker)."""
    return functools.partial(evaluate_on, open_snapshot(snapshot)), max_rows, prefixes


def open_rdflib_copy(data: LoadedData, max_rows: int, prefixes: dict[str, str]) -> tuple:
    """Set up a query worker over rdflib: parse the same graphs again (once in each new worker)."""
    from service.store.rdflib_store import RdflibStore

    return RdflibStore.from_data(data).evaluate, max_rows, prefixes


def answer_query_job(state: tuple, job: QueryJob) -> SerializedResult | _Failure:
    """Answer one job in a query worker."""
    evaluate, max_rows, prefixes = state
    return execute_job(evaluate, job, max_rows, prefixes)


@dataclass
class QueryExecutor:
    """Answers query jobs over one store: trusted ones in process, client ones in sandboxed workers.

    The store is an embedded one (``OxigraphStore`` or ``RdflibStore``) that a worker can open a
    copy of; a remote engine is answered by ``service.engine.answering.RemoteAnswerer``.
    """

    store: Store
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
        setup = open_oxigraph_snapshot if isinstance(self.store, OxigraphStore) else open_rdflib_copy
        self.pool = SandboxPool("query", setup, self._setup_args, answer_query_job,
                                timeout=self.timeout, workers=self.workers, memory_mb=self.memory_mb,
                                preload=("service.engine.executor",))

    def _setup_args(self) -> tuple:
        if not isinstance(self.store, OxigraphStore):
            return self.store.to_data(), self.max_rows, self.prefixes
        if self._snapshot is None:
            self._snapshot = self.store.write_snapshot(self.cache_dir)
        return str(self._snapshot), self.max_rows, self.prefixes

    def run(self, job: QueryJob) -> SerializedResult:
        """Return the job's serialised result, or raise a QueryError."""
        if job.trusted:
            self.runs_in_process += 1
            return _result_of(execute_job(self.store.evaluate, job, self.max_rows, self.prefixes))
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
