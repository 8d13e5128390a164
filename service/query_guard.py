"""Keep queries off the network: refuse SERVICE, updates and foreign FROM graphs before evaluation.

Oxigraph evaluates ``SERVICE <url>`` by making the HTTP request, so a query naming a service
must never reach it. ``inspect_query`` scans the query's tokens (strings, comments and IRIs
stripped, so ``"service"`` in a literal is harmless) without parsing it; the parser itself runs
later in a query worker. ``forbid_network`` is the second line: it stops the calling process
(a query worker) from ever opening an internet socket, whatever a query manages to ask for.
"""
from __future__ import annotations

import ctypes
import logging
import platform
import re
import struct
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin

log = logging.getLogger(__name__)

UPDATE_KEYWORDS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD"})

# Parentheses are left out of IRIs on purpose: inside an expression ``?a<?b)SERVICE?s#>`` is a
# comparison, not an IRI, and reading it as one would hide the SERVICE keyword behind it.
_TOKEN = re.compile(r'''
    (?P<space>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^'\\]|\\.|'(?!''))*\'\'\'
               |"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20()]*>)
  | (?P<var>[?$][^\s(){}\[\],;.<>#"'=!&|*/+^-]+)
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<name>[^\s(){}\[\],;<>#"'?$@=!&|*/+^-][^\s(){}\[\],;<>#"'?$=!&|*/+^]*)
  | (?P<other>.)
''', re.VERBOSE | re.DOTALL)


class QueryRefused(ValueError):
    """The query asks for something this service never does (remote calls, updates)."""


@dataclass(frozen=True)
class QueryInspection:
    """What the guard learnt from a query's text: the graphs its FROM clauses name, and its shape.

    The shape is the query without comments, spacing and string values: queries that differ
    only in the names they look for (a label lookup for one name or another) share it, and the
    executor learns per shape which queries are cheap (service.fast_lane).
    """

    from_graphs: tuple[str, ...] = ()
    from_named_graphs: tuple[str, ...] = ()
    shape: str = ""


def _tokens(sparql: str) -> list[tuple[str, str]]:
    return _tokens_and_shape(sparql)[0]


def _tokens_and_shape(sparql: str) -> tuple[list[tuple[str, str]], str]:
    """Return the query's tokens (no spaces, comments or strings) and its shape."""
    tokens: list[tuple[str, str]] = []
    shape: list[str] = []
    for match in _TOKEN.finditer(sparql):
        kind = match.lastgroup
        if kind == "string":
            shape.append('""')
        elif kind not in ("space", "comment"):
            tokens.append((kind, match.group()))
            shape.append(match.group())
    return tokens, " ".join(shape)


def _iri(token: tuple[str, str], prefixes: dict[str, str], base: str | None) -> str | None:
    kind, text = token
    if kind == "iri":
        iri = text[1:-1]
        return urljoin(base, iri) if base and ":" not in iri.split("/", 1)[0] else iri
    if kind == "name" and ":" in text:
        prefix, local = text.split(":", 1)
        if prefix in prefixes:
            return prefixes[prefix] + local
    return None


@lru_cache(maxsize=1024)  # clients repeat the same queries; tokenizing one costs ~100 us
def inspect_query(sparql: str, base_iri: str | None = None) -> QueryInspection:
    """Refuse SERVICE and SPARQL Update (QueryRefused); return the graphs FROM clauses name.

    ``base_iri`` resolves relative IRIs in FROM clauses when the query declares no BASE.
    """
    tokens, shape = _tokens_and_shape(sparql)
    prefixes: dict[str, str] = {}
    base = base_iri
    from_graphs: list[str] = []
    from_named: list[str] = []
    for index, (kind, text) in enumerate(tokens):
        if kind != "name":
            continue
        word = text.upper()
        following = tokens[index + 1:index + 4]
        if word == "SERVICE":
            raise QueryRefused("SERVICE is not allowed: this endpoint answers from its own graphs "
                               "only and never calls other endpoints")
        if word in UPDATE_KEYWORDS:
            raise QueryRefused(f"{word} is SPARQL Update; this endpoint is read-only and answers "
                               "queries (SELECT, ASK, CONSTRUCT, DESCRIBE) only")
        if (word == "PREFIX" and len(following) >= 2 and following[0][1].endswith(":")
                and following[1][0] == "iri"):
            prefixes[following[0][1][:-1]] = following[1][1][1:-1]
        elif word == "BASE" and following and following[0][0] == "iri":
            base = following[0][1][1:-1]
        elif word == "FROM" and following:
            named = following[0][1].upper() == "NAMED"
            target = following[1] if named and len(following) > 1 else following[0]
            iri = _iri(target, prefixes, base)
            if iri is None:
                raise QueryRefused(f"cannot read the graph named after FROM{' NAMED' if named else ''} "
                                   f"({target[1]}); name it with a full IRI such as <https://...>")
            (from_named if named else from_graphs).append(iri)
    return QueryInspection(tuple(from_graphs), tuple(from_named), shape)


# --- process sandbox --------------------------------------------------------------------------

# Linux seccomp: make socket(2) fail with EPERM for every family but AF_UNIX (the pipe to the
# parent already exists), and forbid io_uring, which could open sockets around the filter.
_ARCHES = {  # machine -> (AUDIT_ARCH_*, socket syscall number)
    "x86_64": (0xC000003E, 41),
    "aarch64": (0xC00000B7, 198),
}
_IO_URING_SETUP = 425
_AF_UNIX = 1
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_RET_ALLOW = 0x7FFF0000
_RET_EPERM = 0x00050000 | 1
_LD_W_ABS, _JEQ_K, _JGE_K, _RET_K = 0x20, 0x15, 0x35, 0x06


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]


def _seccomp_program(arch: int, socket_nr: int) -> bytes:
    def op(code: int, jt: int, jf: int, k: int) -> bytes:
        return struct.pack("=HBBI", code, jt, jf, k)

    return b"".join([
        op(_LD_W_ABS, 0, 0, 4),                 # 0: A = arch
        op(_JEQ_K, 1, 0, arch),                 # 1: native arch -> 3
        op(_RET_K, 0, 0, _RET_EPERM),           # 2: any other ABI: refuse
        op(_LD_W_ABS, 0, 0, 0),                 # 3: A = syscall number
        op(_JGE_K, 5, 0, 0x40000000),           # 4: x32 ABI -> refuse (10)
        op(_JEQ_K, 4, 0, _IO_URING_SETUP),      # 5: io_uring -> refuse (10)
        op(_JEQ_K, 0, 2, socket_nr),            # 6: socket -> 7, else allow (9)
        op(_LD_W_ABS, 0, 0, 16),                # 7: A = first argument (address family)
        op(_JEQ_K, 0, 1, _AF_UNIX),             # 8: AF_UNIX -> allow (9), else refuse (10)
        op(_RET_K, 0, 0, _RET_ALLOW),           # 9
        op(_RET_K, 0, 0, _RET_EPERM),           # 10
    ])


def forbid_network() -> bool:
    """Stop this process (and its future threads) from opening network sockets; True if done.

    Call it in a fresh single-threaded worker process: the filter cannot be lifted again.
    Returns False (and logs why) where seccomp is unavailable; the query guard still applies.
    """
    arch = _ARCHES.get(platform.machine())
    if arch is None or platform.system() != "Linux":
        log.warning("cannot sandbox query workers on %s/%s; relying on the query guard alone",
                    platform.system(), platform.machine())
        return False
    program = _seccomp_program(*arch)
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_char_p))
    libc = ctypes.CDLL(None, use_errno=True)
    if (libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
            or libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0):
        log.warning("seccomp refused (errno %d); relying on the query guard alone", ctypes.get_errno())
        return False
    return True
