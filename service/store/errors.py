"""What can go wrong when a store answers a query, as exceptions that know nothing of HTTP.

Every backend raises these; the engine adds the limits' own (time, memory), and the web layer
alone maps them to statuses (service.web.query_response).
"""
from __future__ import annotations

import re

_POSITION = re.compile(r"error at (\d+):(\d+)")


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
