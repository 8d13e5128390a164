"""Browser fixtures: a live lbp-kg server on a free loopback port and Debian's headless Chromium.

The browser tests need /usr/bin/chromium (apt: chromium) and the Playwright client
(pip: playwright); they never download a browser. Without Chromium they are skipped, saying so.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PROJECT_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
SERVER_START_SECONDS = 120


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed (apt-get install chromium chromium-driver)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    raise RuntimeError(f"the server did not answer {url} within {SERVER_START_SECONDS} s")


def _lbp_kg_command() -> str:
    command = shutil.which("lbp-kg", path=str(Path(sys.executable).parent)) or shutil.which("lbp-kg")
    if command is None:
        pytest.fail("the lbp-kg command is not installed; run `make setup` (pip install -e '.[test]')")
    return command


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def live_server():
    """Return the base URL of a running `lbp-kg serve` on a free loopback port."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen([_lbp_kg_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
                               cwd=PROJECT_ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_until_up(f"{base}/health", process)
        yield base
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium, driven by Playwright (never a downloaded browser)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the browser tests need the Playwright client: pip install 'playwright==1.65.2' "
                    "(it is in the project's test extra)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


#: how long Playwright waits for an element or an answer (a loaded machine is slow to answer)
PAGE_TIMEOUT_MS = 30_000


@contextlib.contextmanager
def page_at_width(chromium, width: int, **context_options):
    """A fresh page at ``width`` px (a phone's height below 600 px), closed afterwards; the test fails
    on any script error the page raised."""
    context = chromium.new_context(viewport={"width": width, "height": 844 if width < 600 else 900},
                                   **context_options)
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    browser_page = context.new_page()
    errors: list[str] = []
    browser_page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield browser_page
    finally:
        context.close()
    assert not errors, f"script errors on the page: {errors}"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """The folder screenshots go to (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
