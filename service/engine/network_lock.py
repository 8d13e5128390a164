"""Lock code out of the network: a whole worker process for good, or the current thread for a while.

Two locks, for two kinds of code:

- ``forbid_network`` installs a seccomp filter in the calling process: from then on socket(2)
  fails for every address family but AF_UNIX (the pipe to the parent), and io_uring, which could
  open sockets around the filter, is refused. It cannot be lifted; sandboxed workers
  (service.engine.sandbox) call it first thing.
- ``network_forbidden()`` is a context manager for code that runs in the server's own process,
  such as a parser reading a request body: while it is active in this thread (or task), a Python
  audit hook refuses every socket connection, name lookup and urllib request with PermissionError.
  Other threads, such as the remote backend talking to its engine, are not affected.
"""
from __future__ import annotations

import contextvars
import ctypes
import logging
import platform
import struct
import sys
from contextlib import contextmanager
from typing import Iterator

log = logging.getLogger(__name__)

#: audit events through which Python code reaches the network
NETWORK_EVENTS = frozenset({"socket.connect", "socket.getaddrinfo", "socket.gethostbyname",
                            "socket.gethostbyaddr", "socket.sendto", "socket.sendmsg", "urllib.Request"})

_forbidden = contextvars.ContextVar("lbp_kg_network_forbidden", default=False)
_hook_installed = False


def _refuse_network(event: str, args: tuple) -> None:
    if event in NETWORK_EVENTS and _forbidden.get():
        raise PermissionError(f"network access refused ({event}): lbp-kg never fetches anything "
                              "while it reads submitted data")


@contextmanager
def network_forbidden() -> Iterator[None]:
    """Refuse network access to the code run inside this block, in this thread."""
    global _hook_installed
    if not _hook_installed:
        sys.addaudithook(_refuse_network)  # audit hooks cannot be removed: it is installed once
        _hook_installed = True
    token = _forbidden.set(True)
    try:
        yield
    finally:
        _forbidden.reset(token)


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
