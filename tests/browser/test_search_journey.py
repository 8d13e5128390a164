"""An educator's searches, in headless Chromium at phone, small-laptop and laptop widths.

Type a term's name and press Enter to land on its page; type a question and reach its answer; follow
a mistyped address's suggestion; ask a question without the suggestion list getting in the way;
download the ontology as a file. Each step leaves a screenshot in test-artifacts/.
"""
from __future__ import annotations

import pytest

from tests.browser.conftest import PAGE_TIMEOUT_MS, page_at_width

pytestmark = pytest.mark.browser

WIDTHS = {"phone": 390, "small-laptop": 1024, "laptop": 1280}
SEARCH_BOX = "Find a muscle, posture, state or symptom"


@pytest.fixture(params=list(WIDTHS), ids=list(WIDTHS))
def page(request, chromium):
    """A fresh page at one width, failing the test on any script error."""
    with page_at_width(chromium, WIDTHS[request.param], accept_downloads=True) as browser_page:
        browser_page.width_name = request.param
        yield browser_page


def expect(locator):
    """Playwright's retrying assertions, given as long as the page's actions (a loaded machine can
    take more than their default 5 s to answer a suggestion)."""
    from playwright.sync_api import expect as playwright_expect

    playwright_expect.set_options(timeout=PAGE_TIMEOUT_MS)
    return playwright_expect(locator)


def shoot(page, artifacts, step: str) -> None:
    page.screenshot(path=str(artifacts / f"search-{page.width_name}-{step}.png"))


def test_typing_a_synonym_and_pressing_enter_lands_on_the_muscle(page, live_server, artifacts):
    page.goto(f"{live_server}/")
    search = page.get_by_role("combobox", name=SEARCH_BOX)
    search.press_sequentially("glute med", delay=20)
    expect(page.get_by_role("option").first).to_contain_text("gluteus medius")
    shoot(page, artifacts, "1-typed")
    search.press("Enter")  # no suggestion picked: the form is sent, and the one term named opens
    page.wait_for_url("**/id/gluteus-medius")
    assert page.locator("h1").inner_text() == "gluteus medius"
    shoot(page, artifacts, "2-landed")


def test_the_search_button_lands_too_and_a_partial_name_shows_results(page, live_server, artifacts):
    page.goto(f"{live_server}/")
    search = page.get_by_role("combobox", name=SEARCH_BOX)
    search.fill("sitting")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url("**/search?q=sitting")
    assert page.locator("h1").inner_text() == "Search results for “sitting”"
    hit = page.locator(".search-hit").filter(has=page.get_by_role("link", name="prolonged sitting", exact=True))
    expect(hit.locator(".tag")).to_have_text("contributing factor")
    expect(hit.locator(".search-hit-definition")).to_contain_text("seated")
    assert page.get_by_role("listbox").first.is_hidden()
    shoot(page, artifacts, "3-results")
    hit.get_by_role("link", name="prolonged sitting", exact=True).click()
    page.wait_for_url("**/id/prolonged-sitting")


def test_a_typed_question_leads_to_its_answer(page, live_server, artifacts):
    page.goto(f"{live_server}/")
    search = page.get_by_role("combobox", name=SEARCH_BOX)
    search.fill("which muscles compensate when gluteus medius is inhibited")
    search.press("Enter")
    page.wait_for_url("**/search?q=*")
    offered = page.locator(".question-match").first
    expect(offered).to_contain_text("when this muscle is inhibited")
    expect(offered).to_contain_text("gluteus medius")
    shoot(page, artifacts, "4-question-offered")
    offered.get_by_role("link").click()
    page.wait_for_url("**/questions?ask=compensators*")
    assert page.locator("#q-compensators-muscle").input_value() == "gluteus medius"
    answer = page.locator("#q-compensators-results").get_by_role("link", name="quadratus lumborum", exact=True)
    answer.first.wait_for()
    assert answer.first.get_attribute("href") == "/id/quadratus-lumborum"
    page.locator("#q-compensators-results").scroll_into_view_if_needed()
    shoot(page, artifacts, "5-question-answered")


def test_a_mistyped_address_offers_the_term_meant(page, live_server, artifacts):
    response = page.goto(f"{live_server}/id/psoas-minr")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "Page not found"
    suggestion = page.locator(".error-choices").get_by_role("link", name="psoas major", exact=True)
    expect(suggestion).to_be_visible()
    shoot(page, artifacts, "6-not-found")
    suggestion.click()
    page.wait_for_url("**/id/psoas-major")


def _overlaps(a: dict, b: dict) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def test_the_suggestion_list_never_covers_ask_and_closes_on_enter(page, live_server, artifacts):
    page.goto(f"{live_server}/questions#q-compensators")
    muscle = page.locator("#q-compensators-muscle")
    suggestions = page.locator("#q-compensators-muscle-list")
    ask = page.locator("#q-compensators").get_by_role("button", name="Ask")
    muscle.press_sequentially("gluteus medius", delay=20)
    expect(suggestions).to_be_visible()
    expect(ask).to_be_visible()
    # both boxes from one layout (two separate reads could straddle the list's growing)
    list_box, ask_box = page.evaluate("""() => [document.getElementById("q-compensators-muscle-list"),
        document.querySelector("#q-compensators button[type=submit]")].map(e => {
            const r = e.getBoundingClientRect(); return {x: r.x, y: r.y, width: r.width, height: r.height}; })""")
    assert not _overlaps(list_box, ask_box), "the open list covers the Ask button"
    shoot(page, artifacts, "7-suggestions-open")
    muscle.press("Enter")  # no suggestion picked: the question is asked with what was typed
    expect(suggestions).to_be_hidden()
    assert muscle.get_attribute("aria-expanded") == "false"
    page.locator("#q-compensators-results").get_by_role("link", name="quadratus lumborum", exact=True).first.wait_for()
    page.wait_for_timeout(400)  # longer than the autocomplete's debounce: no list reopens late
    expect(suggestions).to_be_hidden()
    shoot(page, artifacts, "8-asked")


def test_the_home_list_closes_on_enter_before_the_page_changes(page, live_server):
    page.goto(f"{live_server}/")
    search = page.get_by_role("combobox", name=SEARCH_BOX)
    # hold the page: the form's navigation is stopped, so what Enter does to the list can be seen
    page.evaluate("document.querySelector('form[role=search]').addEventListener('submit', e => e.preventDefault())")
    search.press_sequentially("glut", delay=20)
    expect(page.locator("#home-search-list")).to_be_visible()
    search.press("Enter")
    expect(page.locator("#home-search-list")).to_be_hidden()
    page.wait_for_timeout(400)
    expect(page.locator("#home-search-list")).to_be_hidden()


def test_download_the_ontology_saves_a_file(page, live_server):
    page.goto(f"{live_server}/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the ontology").click()
    download = download_info.value
    assert download.suggested_filename == "lbp-kg-0.2.0.ttl"
    assert page.url == f"{live_server}/"  # the page stays; the tab is not filled with Turtle
