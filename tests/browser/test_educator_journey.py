"""An educator's journey through the web pages, in headless Chromium, at laptop and phone widths.

Search for a muscle by keyboard, open its page, see it on the graph, trace the pattern from
prolonged sitting to low back pain, ask which muscles compensate for gluteus medius, and run a
query in the SPARQL editor. Each step leaves a screenshot in test-artifacts/.
"""
from __future__ import annotations

import pytest

from tests.browser.conftest import page_at_width

pytestmark = pytest.mark.browser

WIDTHS = {"laptop": 1280, "phone": 390}


@pytest.fixture(params=list(WIDTHS), ids=list(WIDTHS))
def page(request, chromium):
    """A fresh browser page at one of the two widths, failing the test on any script error."""
    with page_at_width(chromium, WIDTHS[request.param]) as browser_page:
        browser_page.width_name = request.param
        yield browser_page


def expect(locator):
    """Playwright's retrying assertions (imported here: without Chromium the module is only skipped)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def shoot(page, artifacts, step: str) -> None:
    page.screenshot(path=str(artifacts / f"{page.width_name}-{step}.png"), full_page=False)


def graph_node_ids(page) -> set[str]:
    page.wait_for_selector("#graph[data-ready='true']")
    return set(page.evaluate("window.lbpKgGraph.nodes().map(n => n.id())"))


def test_search_finds_a_muscle_by_keyboard_and_opens_its_page(page, live_server, artifacts):
    page.goto(f"{live_server}/")
    search = page.get_by_role("combobox", name="Find a muscle, posture, state or symptom")
    search.press_sequentially("gluteus med", delay=30)
    # the suggestions for what has been typed so far, best first
    expect(page.get_by_role("option").first).to_contain_text("gluteus medius")
    assert search.get_attribute("aria-expanded") == "true"
    shoot(page, artifacts, "1-search")
    search.press("ArrowDown")
    assert search.get_attribute("aria-activedescendant") == page.get_by_role("option").first.get_attribute("id")
    search.press("Enter")
    page.wait_for_url("**/id/gluteus-medius")
    assert page.locator("h1").inner_text() == "gluteus medius"
    shoot(page, artifacts, "2-entity")


def test_entity_page_leads_to_its_graph_with_its_states_and_compensators(page, live_server, artifacts):
    page.goto(f"{live_server}/id/gluteus-medius")
    page.get_by_role("link", name="See gluteus medius on the graph").click()
    ids = graph_node_ids(page)
    assert {"gluteus-medius", "gluteus-medius-inhibition", "quadratus-lumborum-overload", "gluteals"} <= ids
    assert page.locator("h1").inner_text() == "Around gluteus medius"
    assert page.locator("#graph-legend li").filter(has_text="muscle").count() >= 1
    shoot(page, artifacts, "3-graph-focus")


def test_graph_draws_the_lower_crossed_syndrome_with_a_legend_and_a_list(page, live_server, artifacts):
    page.goto(f"{live_server}/graph")
    ids = graph_node_ids(page)
    assert {"prolonged-sitting", "psoas-tightness", "anterior-pelvic-tilt", "gluteus-medius-inhibition",
            "quadratus-lumborum-overload", "low-back-pain"} <= ids
    drawn = page.evaluate("window.lbpKgGraph.nodes().filter(n => n.renderedBoundingBox().w > 0).length")
    assert drawn == len(ids)
    legend = page.locator("#graph-legend").inner_text()
    for kind in ("contributing factor", "posture", "inhibited muscle", "overloaded muscle", "symptom"):
        assert kind in legend
    assert page.locator("#graph-edges tr").count() == page.evaluate("window.lbpKgGraph.edges().length")
    shoot(page, artifacts, "4-graph")


def test_graph_highlights_the_explained_path_from_sitting_to_low_back_pain(page, live_server, artifacts):
    page.goto(f"{live_server}/graph?from=prolonged%20sitting&to=low%20back%20pain")
    graph_node_ids(page)
    hops = page.evaluate("window.lbpKgGraph.edges('.on-path').map(e => [e.source().id(), e.target().id()])")
    assert ["prolonged-sitting", "psoas-tightness"] in hops
    assert ["anterior-pelvic-tilt", "gluteus-medius-inhibition"] in hops
    assert any(target == "low-back-pain" for _, target in hops)
    steps = page.locator("#graph-path-steps li.path-step")
    assert steps.first.inner_text().startswith("Prolonged sitting causes psoas tightness.")
    assert page.locator("h1").inner_text() == "From prolonged sitting to low back pain"
    shoot(page, artifacts, "5-graph-path")


def test_compensators_question_for_gluteus_medius_shows_quadratus_lumborum(page, live_server, artifacts):
    page.goto(f"{live_server}/questions#q-compensators")
    muscle = page.locator("#q-compensators-muscle")
    muscle.press_sequentially("gluteus medi", delay=30)
    expect(page.locator("#q-compensators-muscle-list [role=option]").first).to_contain_text("gluteus medius")
    muscle.press("ArrowDown")
    muscle.press("Enter")
    assert muscle.input_value() == "gluteus medius"
    muscle.press("Enter")
    results = page.locator("#q-compensators-results")
    answer = results.get_by_role("link", name="quadratus lumborum", exact=True)
    answer.first.wait_for()
    assert answer.first.get_attribute("href") == "/id/quadratus-lumborum"
    csv = page.locator("#q-compensators a.download[data-format=csv]").get_attribute("href")
    assert csv == "/queries/compensators?muscle=gluteus+medius&format=csv&download=1"  # saved as a file
    page.locator("#q-compensators details summary").click()
    assert "SELECT" in page.locator("#q-compensators details pre").inner_text()
    results.scroll_into_view_if_needed()
    shoot(page, artifacts, "6-questions")


def test_sparql_editor_runs_a_query(page, live_server, artifacts):
    page.goto(f"{live_server}/sparql")
    page.wait_for_function("window.lbpKgEditor !== undefined")
    tabs = page.evaluate("Object.values(window.lbpKgEditor._tabs).map(t => t.getName())")
    assert "Muscles that compensate for an inhibited muscle" in tabs
    page.evaluate("""() => { window.lbpKgEditor.getTab().setQuery(
        'PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\\n' +
        'SELECT ?label WHERE { <https://w3id.org/lbp-kg/id/gluteus-medius> rdfs:label ?label }'); }""")
    page.locator(".yasqe_queryButton").first.click()
    page.locator(".yasr").get_by_text("gluteus medius").first.wait_for()
    shoot(page, artifacts, "7-sparql")
