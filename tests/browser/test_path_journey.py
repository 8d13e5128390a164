"""An educator traces the pattern from prolonged sitting to low back pain on /graph, step by step.

Every hop of the path is listed as a true sentence with its source and the section of the
source; hops at the same distance from the start are grouped under one step, not numbered as if
they followed each other. The list is compared with the explain question's own answer
(/queries/explain), not with a hand-written list. Screenshots at 390, 1024 and 1280 px go to
test-artifacts/.
"""
from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest

from tests.browser.conftest import page_at_width

pytestmark = pytest.mark.browser

WIDTHS = (390, 1024, 1280)
PATH = {"from": "prolonged sitting", "to": "low back pain"}


@pytest.fixture(params=WIDTHS, ids=[f"{w}px" for w in WIDTHS])
def page(request, chromium):
    """A fresh page at one width, failing the test on any script error."""
    with page_at_width(chromium, request.param) as browser_page:
        browser_page.width = request.param
        yield browser_page


def explain_answer(live_server) -> list[dict]:
    url = f"{live_server}/queries/explain?{urllib.parse.urlencode(PATH)}"
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["results"]["bindings"]


def test_the_path_lists_every_step_with_its_source_and_groups_parallel_steps(page, live_server, artifacts):
    rows = explain_answer(live_server)
    hops = {(r["subject"]["value"], r["object"]["value"]) for r in rows}
    depths = {int(r["step"]["value"]) for r in rows}
    sections = {r["section"]["value"] for r in rows if "section" in r}
    assert hops and sections

    page.goto(f"{live_server}/graph?{urllib.parse.urlencode(PATH)}")
    page.wait_for_selector("#graph[data-ready='true']")
    path = page.locator("#graph-path")
    assert path.is_visible()

    steps = page.locator("#graph-path-steps > li.path-step")
    links = page.locator("#graph-path-steps li.path-link")
    # one numbered step per depth, one listed link per hop: parallel hops share a step
    assert steps.count() == len(depths) < len(hops) == links.count()
    assert [steps.nth(i).get_attribute("data-step") for i in range(steps.count())] == \
        [str(n) for n in range(1, len(depths) + 1)]

    listed = set()
    for i in range(links.count()):
        link = links.nth(i)
        anchors = link.locator("p.sentence a")
        ends = [anchors.nth(j).get_attribute("href").rsplit("/", 1)[1] for j in range(anchors.count())]
        listed.add((ends[0], ends[-1]))
        source = link.locator("p.path-source")
        assert source.locator("a[href^='/id/source-']").count() >= 1, link.inner_text()
        assert source.locator("cite").inner_text().strip()
        assert any(section in source.inner_text() for section in sections), source.inner_text()
    assert listed == {(s.rsplit("/", 1)[1], o.rsplit("/", 1)[1]) for s, o in hops}

    text = path.inner_text()
    assert "Anterior pelvic tilt inhibits gluteus medius." in text
    assert "Inhibited gluteus medius overloads quadratus lumborum." in text
    assert "inhibits gluteal inhibition" not in text and "inhibits gluteus medius inhibition" not in text
    first = steps.first.locator("p.sentence").inner_text()
    assert first.startswith("Prolonged sitting")

    path.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / f"path-{page.width}px.png"), full_page=False)
    # the list stays within the page at every width: nothing to scroll sideways
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_a_path_with_unknown_ends_leaves_the_page_working(page, live_server):
    page.goto(f"{live_server}/graph?from=no%20such%20term&to=low%20back%20pain")
    page.wait_for_selector("#graph[data-ready='true']")
    assert page.locator("#graph-path").count() == 0
    assert "could not be explained" in page.locator("#graph-status").inner_text()
