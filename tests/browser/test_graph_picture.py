"""The /graph picture in headless Chromium at phone, small-laptop and desktop widths: the whole pattern
inside the frame, labels at least 11 px on screen at the opening zoom and inside their shapes, the
anatomy on demand, edge labels on selection, and the keyboard. Screenshots go to test-artifacts/.

Shapes are checked with the renderer's own hit test (the function Cytoscape uses to decide whether
a click falls on a node), so "inside" means inside the drawn outline, not its bounding box.
"""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

TIMEOUT_MS = 30_000
WIDTHS = (390, 1024, 1280)
READABLE_PX = 11

#: per node: is it inside the frame, its label's size on screen, are its label's corners inside its shape
MEASURE_NODES = """() => {
  const cy = window.lbpKgGraph, frame = document.getElementById('graph');
  const width = frame.clientWidth, height = frame.clientHeight, renderer = cy.renderer();
  return cy.nodes().map(node => {
    const box = node.renderedBoundingBox({includeLabels: true, includeOverlays: false});
    const label = node.boundingBox({includeNodes: false, includeEdges: false, includeLabels: true, includeOverlays: false});
    const shape = renderer.nodeShapes[renderer.getNodeShape(node)];
    const at = node.position();
    const radius = node.pstyle('corner-radius').value === 'auto' ? 'auto' : node.pstyle('corner-radius').pfValue;
    const corners = [[label.x1, label.y1], [label.x2, label.y1], [label.x1, label.y2], [label.x2, label.y2]];
    return {
      id: node.id(), shape: node.style('shape'),
      inside: box.x1 >= 0 && box.y1 >= 0 && box.x2 <= width && box.y2 <= height && box.w > 0,
      fontPx: parseFloat(node.style('font-size')) * cy.zoom(),
      labelInShape: label.w > 0 && corners.every(([x, y]) =>
        shape.checkPoint(x, y, 0, node.width(), node.height(), at.x, at.y, radius, node._private.rscratch)),
    };
  });
}"""


def open_graph(chromium, live_server, width: int, path: str = "/graph"):
    context = chromium.new_context(viewport={"width": width, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server}{path}")
    page.wait_for_selector("#graph[data-ready='true']")
    return context, page, errors


@pytest.fixture()
def graph_at(chromium, live_server):
    opened = []

    def at(width: int, path: str = "/graph"):
        context, page, errors = open_graph(chromium, live_server, width, path)
        opened.append((context, errors))
        return page

    yield at
    for context, errors in opened:
        context.close()
        assert not errors, f"script errors on the page: {errors}"


def assert_readable_and_whole(nodes: list[dict]) -> None:
    outside = [n["id"] for n in nodes if not n["inside"]]
    assert not outside, f"nodes outside the frame: {outside}"
    small = [(n["id"], round(n["fontPx"], 1)) for n in nodes if n["fontPx"] < READABLE_PX]
    assert not small, f"labels under {READABLE_PX} px on screen: {small}"
    spilling = [(n["id"], n["shape"]) for n in nodes if not n["labelInShape"]]
    assert not spilling, f"labels spilling out of their shapes: {spilling}"


@pytest.mark.parametrize("width", WIDTHS)
def test_the_whole_pattern_fits_the_frame_readably_at_every_width(graph_at, artifacts, width):
    page = graph_at(width)
    nodes = page.evaluate(MEASURE_NODES)
    ids = {n["id"] for n in nodes}
    assert {"prolonged-sitting", "psoas-tightness", "anterior-pelvic-tilt", "gluteus-medius-inhibition",
            "quadratus-lumborum-overload", "low-back-pain"} <= ids
    assert_readable_and_whole(nodes)
    # the frame fits the page: no sideways scrolling, and the picture is centred in it
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    centre = page.evaluate("""() => { const cy = window.lbpKgGraph, box = cy.elements().renderedBoundingBox();
                                      return [(box.x1 + box.x2) / 2, cy.width() / 2]; }""")
    assert abs(centre[0] - centre[1]) < 2
    page.locator("#graph").screenshot(path=str(artifacts / f"graph-picture-{width}.png"))


def test_the_diamond_of_anterior_pelvic_tilt_holds_its_label(graph_at):
    page = graph_at(1280)
    [tilt] = [n for n in page.evaluate(MEASURE_NODES) if n["id"] == "anterior-pelvic-tilt"]
    assert tilt["shape"] == "diamond" and tilt["labelInShape"]


def test_the_anatomy_is_drawn_on_demand_and_still_fits(graph_at, artifacts):
    page = graph_at(1024)
    drawn = set(page.evaluate("window.lbpKgGraph.nodes().map(n => n.id())"))
    assert "gluteus-medius" not in drawn and "gluteus-medius-inhibition" in drawn
    assert "hidden" in page.locator("#graph-status").inner_text()
    page.get_by_role("checkbox", name="show the anatomy").check()
    page.wait_for_function("window.lbpKgGraph.nodes('#gluteus-medius').length === 1")
    steps = page.evaluate("window.lbpKgGraph.edges().map(e => [e.source().id(), e.data('relation'), e.target().id()])")
    assert ["gluteus-medius-inhibition", "stateOf", "gluteus-medius"] in steps
    assert page.locator("#graph-edges tr").count() == len(steps)  # the list follows the picture
    assert_readable_and_whole(page.evaluate(MEASURE_NODES))
    page.locator("#graph").screenshot(path=str(artifacts / "graph-picture-anatomy-1024.png"))


def test_a_focus_on_a_muscle_fits_on_a_phone(graph_at, artifacts):
    page = graph_at(390, "/graph?focus=gluteus%20medius")
    nodes = page.evaluate(MEASURE_NODES)
    assert "gluteus-medius" in {n["id"] for n in nodes}  # a focus shows its anatomy
    assert_readable_and_whole(nodes)
    page.locator("#graph").screenshot(path=str(artifacts / "graph-picture-focus-390.png"))


def test_the_keyboard_walks_the_terms_and_shows_their_links_in_words(graph_at):
    page = graph_at(1024)
    page.locator("#graph").focus()
    page.keyboard.press("Home")
    first = page.evaluate("window.lbpKgGraph.nodes(':selected').map(n => n.id())")
    assert len(first) == 1
    page.keyboard.press("ArrowDown")
    [second] = page.evaluate("window.lbpKgGraph.nodes(':selected').map(n => n.data('label'))")
    assert second != first[0]
    box = page.locator("#graph-selection")
    assert box.is_visible() and box.locator("h3").inner_text() == second
    # each link of the selected term is written out, and drawn with a readable label
    links = page.evaluate("""() => { const cy = window.lbpKgGraph, node = cy.nodes(':selected');
        return node.connectedEdges().map(e => ({text: e.source().data('label') + ' ' + e.data('label') + ' ' + e.target().data('label'),
                                                shown: e.style('label'), px: parseFloat(e.style('font-size')) * cy.zoom()})); }""")
    assert links and [item.inner_text() for item in box.locator("li").all()] == [link["text"] for link in links]
    assert all(link["shown"] and link["px"] >= READABLE_PX for link in links)
    page.keyboard.press("Escape")
    assert page.evaluate("window.lbpKgGraph.nodes(':selected').length") == 0
    zoom = page.evaluate("window.lbpKgGraph.zoom()")
    page.get_by_role("button", name="Zoom in").click()
    assert page.evaluate("window.lbpKgGraph.zoom()") > zoom
    page.get_by_role("button", name="Fit").click()
    assert abs(page.evaluate("window.lbpKgGraph.zoom()") - zoom) < 1e-6


def test_edge_labels_show_on_hover_and_the_legend_names_every_kind_of_line(graph_at):
    page = graph_at(1280)
    assert page.evaluate("window.lbpKgGraph.edges().filter(e => e.style('label')).length") == 0
    point = page.evaluate("""() => { const cy = window.lbpKgGraph, frame = document.getElementById('graph').getBoundingClientRect();
        const edge = cy.edges().filter(e => e.source().id() === 'psoas-tightness' && e.target().id() === 'anterior-pelvic-tilt');
        const p = edge.renderedMidpoint(); return [frame.left + p.x, frame.top + p.y]; }""")
    page.mouse.move(point[0], point[1])
    page.wait_for_function("window.lbpKgGraph.edges('.labelled').length > 0")
    relations = set(page.evaluate("window.lbpKgGraph.edges().map(e => e.data('label'))"))
    legend = page.locator("#graph-legend-edges").inner_text()
    assert all(relation in legend for relation in relations)


def test_on_a_touch_screen_a_swipe_scrolls_the_page_and_the_buttons_zoom(chromium, live_server):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{live_server}/graph")
    page.wait_for_selector("#graph[data-ready='true']")
    assert page.evaluate("[window.lbpKgGraph.userPanningEnabled(), window.lbpKgGraph.userZoomingEnabled()]") == [False, False]
    zoom = page.evaluate("window.lbpKgGraph.zoom()")
    page.get_by_role("button", name="Zoom in").tap()
    assert page.evaluate("window.lbpKgGraph.zoom()") > zoom
    context.close()


def test_the_selected_terms_links_stay_in_view_and_close(graph_at):
    page = graph_at(1024)
    page.locator("#graph").focus()
    page.keyboard.press("End")  # the last term, at the foot of a picture taller than the window
    box = page.locator("#graph-selection")
    assert box.is_visible() and box.bounding_box()["y"] + box.bounding_box()["height"] <= 800
    box.get_by_role("button", name="Close").click()
    assert box.is_hidden() and page.evaluate("window.lbpKgGraph.nodes(':selected').length") == 0
