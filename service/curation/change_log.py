"""The change log of curated writes: one JSON object per line, appended and fsynced per write.

Each entry says who wrote (the token's name), when (UTC), what (graph, file, triples added and
removed, a summary of the terms changed) and why (the reason the writer gave). A line is written
with one ``write(2)`` on a file opened for appending, so a killed process leaves either the whole
line or none of it; a torn line (power loss, full disk) is skipped with a warning when the log is
read, and the next entry starts on a line of its own.
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)


class ChangeLog:
    """An append-only JSON-lines file of accepted writes."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def append(self, entry: dict) -> None:
        """Append one entry as a JSON line and fsync it before returning."""
        line = json.dumps(entry, ensure_ascii=False, sort_keys=False).encode("utf-8") + b"\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            if not _ends_with_newline(fd):
                log.warning("%s ends in a torn line; the new entry starts on a line of its own", self.path)
                line = b"\n" + line
            written = os.write(fd, line)
            if written != len(line):  # a regular file only writes short when the disk is full
                raise OSError(f"wrote {written} of {len(line)} bytes to {self.path}")
            os.fsync(fd)
        finally:
            os.close(fd)

    def read(self) -> list[dict]:
        """Return every complete entry, oldest first; torn or unreadable lines are skipped with a warning."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        entries = []
        for number, raw in enumerate(data.split(b"\n"), start=1):
            if not raw.strip():
                continue
            try:
                entry = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError):
                log.warning("%s line %d is not a complete entry (a write torn by a crash?); skipped",
                            self.path, number)
                continue
            if isinstance(entry, dict):
                entries.append(entry)
        return entries

    def contains(self, entry_id: str) -> bool:
        """Say whether an entry with this id is already in the log."""
        return any(entry.get("id") == entry_id for entry in self.read())


def _ends_with_newline(fd: int) -> bool:
    size = os.fstat(fd).st_size
    return size == 0 or os.pread(fd, 1, size - 1) == b"\n"
