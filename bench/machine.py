"""Describe the machine a benchmark ran on: cores, CPU, memory, load, Python and package versions."""
from __future__ import annotations

import os
import platform
import shutil
import subprocess
from importlib import metadata

PACKAGES = ("flask", "werkzeug", "gunicorn", "pyoxigraph", "rdflib", "oxigraph", "rdflib-endpoint", "uvicorn")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except FileNotFoundError:
        pass
    return platform.processor() or "unknown"


def _memory_total() -> str:
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except FileNotFoundError:
        pass
    return "unknown"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _wrk_version() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        return "not installed"
    completed = subprocess.run([wrk, "-v"], capture_output=True, text=True, timeout=10)
    first = (completed.stdout or completed.stderr).strip().splitlines()
    return first[0] if first else "unknown"


def describe() -> dict:
    """Return what a reader needs to judge the figures: hardware, load, software versions."""
    load = os.getloadavg()
    return {
        "nproc": os.cpu_count(),
        "CPU": _cpu_model(),
        "memory": _memory_total(),
        "kernel": platform.release(),
        "load average at start (1/5/15 min)": " / ".join(f"{v:.2f}" for v in load),
        "Python": platform.python_version(),
        "packages": ", ".join(f"{p} {_version(p)}" for p in PACKAGES),
        "wrk": _wrk_version(),
    }
