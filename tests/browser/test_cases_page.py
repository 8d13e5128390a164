"""The /cases page in headless Chromium: a worked example one click away, a case picked from the
checklist, its shareable URL, and the same answer as POST /cases. Screenshots go to test-artifacts/."""
from __future__ import annotations

import json
import urllib.request

import pytest

pytestmark = pytest.mark.browser

TIMEOUT_MS = 30_000


@pytest.fixture()
def page(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    browser_page = context.new_page()
    errors: list[str] = []
    browser_page.on("pageerror", lambda error: errors.append(str(error)))
    yield browser_page
    context.close()
    assert not errors, f"script errors on the page: {errors}"


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def api_case(live_server: str, findings: list[str]) -> dict:
    request = urllib.request.Request(f"{live_server}/cases", data=json.dumps({"findings": findings}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def test_the_articles_picture_is_one_click_away_and_matches_the_api(page, live_server, artifacts):
    page.goto(f"{live_server}/cases")
    page.get_by_role("link", name="The article's picture").click()
    expect(page.locator(".case-drivers > li").first).to_contain_text("psoas tightness")
    page.screenshot(path=str(artifacts / "cases-article-picture.png"), full_page=True)
    page.locator("#answer-title").evaluate("heading => heading.scrollIntoView()")  # its top at the top
    page.screenshot(path=str(artifacts / "cases-answer.png"))  # the README's picture of the page
    api = api_case(live_server, ["lbp:sitting-aggravated-low-back-pain", "lbp:limited-hip-extension-in-standing",
                                 "lbp:discomfort-lying-supine"])
    shown_drivers = page.locator(".case-drivers > li").evaluate_all("items => items.map(i => i.dataset.state)")
    assert shown_drivers == [d["state"] for d in api["drivers"]]
    shown_plan = page.locator(".case-plan tbody tr").evaluate_all("rows => rows.map(r => r.dataset.muscle)")
    assert shown_plan == [t["muscle"] for t in api["plan"]["targets"]]
    assert shown_plan[0] == "lbp:gluteus-medius" and "lbp:psoas-major" in shown_plan[1:]


def test_a_case_picked_from_the_checklist_has_a_url_that_reproduces_it(page, live_server):
    page.goto(f"{live_server}/cases")
    page.get_by_role("checkbox", name="restricted hip rotation").check()
    page.get_by_role("button", name="Reason about this case").click()
    expect(page.locator(".case-drivers > li").first).to_contain_text("deep hip rotator overload")
    assert "lbp%3Arestricted-hip-rotation" in page.url or "lbp:restricted-hip-rotation" in page.url
    plan = page.locator(".case-plan tbody tr").evaluate_all("rows => rows.map(r => r.dataset.muscle)")
    assert "lbp:psoas-major" not in plan
    shared = page.url
    page.goto(f"{live_server}/cases")
    page.goto(shared)
    expect(page.get_by_role("checkbox", name="restricted hip rotation")).to_be_checked()
    expect(page.locator(".case-drivers > li").first).to_contain_text("deep hip rotator overload")


def test_a_red_flag_on_the_page_says_refer_and_shows_no_plan(page, live_server):
    page.goto(f"{live_server}/cases")
    page.get_by_role("checkbox", name="saddle anaesthesia").check()
    page.get_by_role("checkbox", name="restricted hip rotation").check()
    page.get_by_role("button", name="Reason about this case").click()
    expect(page.locator(".case-red-flags")).to_contain_text("refer")
    assert page.locator(".case-plan").count() == 0


def drawn_chain(page) -> set[tuple[str, str]]:
    page.wait_for_selector("#graph[data-ready='true']")
    return {tuple(pair) for pair in page.evaluate(
        "window.lbpKgGraph.edges('.on-path').map(e => [e.source().id(), e.target().id()])")}


def chain_pairs(driver: dict) -> set[tuple[str, str]]:
    return {(edge["subject"].removeprefix("lbp:"), edge["object"].removeprefix("lbp:"))
            for reason in driver["because"] for edge in reason["edges"]}


@pytest.mark.parametrize("width", [390, 1024])
def test_the_drivers_chains_are_drawn_on_the_pattern_graph(chromium, live_server, artifacts, width):
    context = chromium.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    findings = ["lbp:restricted-hip-rotation", "lbp:lower-back-tightness"]
    api = api_case(live_server, findings)
    page.goto(f"{live_server}/cases?" + "&".join(f"finding={f}" for f in findings))
    # the first driver's chains are in bold, the rest of the pattern faded
    first, second = api["drivers"][0], api["drivers"][1]
    assert drawn_chain(page) == chain_pairs(first)
    on_chain = set(page.evaluate("window.lbpKgGraph.nodes('.on-path').map(n => n.id())"))
    assert on_chain == {end for pair in chain_pairs(first) for end in pair}
    faded = page.evaluate("window.lbpKgGraph.nodes('.faded').length")
    assert faded == page.evaluate("window.lbpKgGraph.nodes().length") - len(on_chain)
    # readable and whole in the page's narrower column too
    nodes = page.evaluate("""() => { const cy = window.lbpKgGraph, f = document.getElementById('graph');
        return cy.nodes().map(n => { const b = n.renderedBoundingBox({includeLabels: true});
          return b.x1 >= 0 && b.y1 >= 0 && b.x2 <= f.clientWidth && b.y2 <= f.clientHeight &&
                 parseFloat(n.style('font-size')) * cy.zoom() >= 11; }); }""")
    assert all(nodes)
    page.locator(".case-graph").screenshot(path=str(artifacts / f"cases-chains-{width}.png"))
    # each driver's button draws its own chains
    page.locator(f".case-drivers > li[data-state='{second['state']}']").get_by_role(
        "button", name="Draw its chains on the graph").click()
    page.wait_for_function("document.getElementById('graph-status').textContent.includes(%r)" % second["label"])
    assert drawn_chain(page) == chain_pairs(second)
    context.close()
