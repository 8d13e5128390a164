"""axe-core, run inside every HTML page the service serves: no serious or critical violation.

axe-core is the npm package pinned in package.json (installed by ``npm ci`` into node_modules/);
the test injects it into each page in headless Chromium once the page has finished drawing (the
graph laid out, the editor built, the answer shown), and runs every rule axe enables by default
(WCAG 2.0-2.2 A and AA, and its best practices). Minor and moderate findings are printed, not failed.
"""
from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = ("serious", "critical")
TIMEOUT_MS = 30_000

#: every kind of HTML page, with what shows that it has finished drawing
PAGES = {
    "home": ("/", None),
    "search-results": ("/search?q=sitting", ".search-hits"),
    "typed-question": ("/search?q=which muscles compensate when gluteus medius is inhibited", ".question-matches"),
    "muscle": ("/id/gluteus-medius", None),
    "state": ("/id/gluteus-medius-inhibition", None),
    "nerve": ("/id/superior-gluteal-nerve", None),
    "condition": ("/id/lower-crossed-syndrome", None),
    "graph": ("/graph", "#graph[data-ready='true']"),
    "graph-focus": ("/graph?focus=gluteus%20medius", "#graph[data-ready='true']"),
    "graph-path": ("/graph?from=prolonged%20sitting&to=low%20back%20pain", "#graph[data-ready='true']"),
    "questions": ("/questions", None),
    "question-answer": ("/questions?ask=compensators&muscle=gluteus+medius#q-compensators",
                        "#q-compensators-results table"),
    "sparql-editor": ("/sparql", ".yasqe .CodeMirror"),
    "cases": ("/cases", None),
    "api-docs": ("/docs", None),
    "not-found": ("/id/psoas-minr", ".error-choices"),
    "bad-request": ("/search?q=", ".error-page"),
}
WIDTHS = {"laptop": 1280, "phone": 390}


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `npm ci` (axe-core is pinned in package.json)")
    return AXE.read_text(encoding="utf-8")


def run_axe(page, axe_source: str) -> list[dict]:
    """Run axe-core in the page and return its violations, each with the elements it found."""
    page.add_script_tag(content=axe_source)
    return page.evaluate("""async () => {
        const result = await axe.run(document, { resultTypes: ["violations"] });
        return result.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => n.target.join(" ") + "  " + n.failureSummary.split("\\n").slice(1, 3).join(" ")) }));
    }""")


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_or_critical_accessibility_violation(chromium, live_server, artifacts, axe_source, name, width):
    path, ready = PAGES[name]
    context = chromium.new_context(viewport={"width": WIDTHS[width], "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto(f"{live_server}{path}")
        page.wait_for_load_state("networkidle")
        if ready:
            page.wait_for_selector(ready)
        violations = run_axe(page, axe_source)
        page.screenshot(path=str(artifacts / f"axe-{width}-{name}.png"))
    finally:
        context.close()
    for violation in violations:
        print(f"{name} at {width}: {violation['impact']} {violation['id']}: {violation['help']}")
    failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    assert not failing, "\n".join(f"{v['impact']} {v['id']} ({v['help']}):\n    " + "\n    ".join(v["nodes"][:8])
                                  for v in failing)
