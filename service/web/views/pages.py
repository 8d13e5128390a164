"""The pages people use: home, the pattern as a picture, the questions, and the SPARQL editor.

The browser libraries (Cytoscape.js, YASGUI) are installed by ``npm ci`` into node_modules/ and
served from there under /assets/, so the pages work offline; when they are missing, the pages
say what to run instead of showing a blank box.
"""
from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request, send_file, url_for

from service.kg import ask, labels
from service.web import graph_view
from service.web.views import named_queries
from service.store.bindings import bind_with_values
from service.kg.catalog import HEADER_LINE, Catalog, NamedQuery, Parameter
from service.web.errors import ApiError
from service.paths import NODE_MODULES_DIR, QUERIES_DIR
from service.prose.lexicon import lexicon_for
from service.prose.path import ExplainedPath, explain_path

bp = Blueprint("web", __name__)

#: The browser files a page may load, by the name they are served under at /assets/<name>: data in
#: web/assets.json, which the wheel's build (setup.py) reads too, to bundle exactly these.
ASSETS = json.loads((Path(__file__).resolve().parent.parent / "assets.json").read_text(encoding="utf-8"))["assets"]
GRAPH_ASSETS = ("cytoscape.min.js", "cytoscape-dagre.min.js")
EDITOR_ASSETS = ("yasgui.min.js", "yasgui.min.css")
INSTALL_COMMAND = "npm ci"
DEFAULT_NODE_MODULES = NODE_MODULES_DIR

#: The SPARQL editor's first tabs, lessons for someone learning SPARQL (queries/examples/README.md).
EXAMPLES_DIR = QUERIES_DIR / "examples"
EXAMPLES_KEY = "lbp_kg.editor_lessons"

#: The worked example on the home page and in the graph page's hints.
EXAMPLE_EXPLAIN = {"from": "prolonged sitting", "to": "low back pain"}


def node_modules_dir() -> Path:
    """Return where ``npm ci`` put the browser libraries (the ``node_modules_dir`` extra setting)."""
    configured = current_app.config.get("LBP_KG_EXTRA", {}).get("node_modules_dir")
    return Path(configured) if configured else DEFAULT_NODE_MODULES


def missing_assets(names: tuple[str, ...]) -> list[str]:
    """Return the node_modules paths among ``names`` that are not installed."""
    root = node_modules_dir()
    return [ASSETS[name] for name in names if not (root / ASSETS[name]).is_file()]


def _kb():
    return current_app.extensions["lbp_kg"]


def _entity_href(name: str) -> str:
    return f"{request.script_root}/id/{name}"


def _catalogue() -> list[NamedQuery]:
    """Return the named queries of the public catalogue, in catalogue order."""
    catalog = current_app.extensions.get(named_queries.CATALOG_KEY)
    if catalog is None:  # the pages work without the /queries blueprint too
        catalog = current_app.extensions[named_queries.CATALOG_KEY] = Catalog.load()
    return list(catalog)


@bp.get("/")
def home():
    """Render the home page: search, entry points, muscles A to Z and the questions."""
    muscles = graph_view.muscles_a_to_z(_kb())
    letters: dict[str, list[dict]] = {}
    for muscle in muscles:
        letters.setdefault(muscle["label"][:1].upper(), []).append(muscle)
    return render_template("home.html", active_page="search", letters=letters, queries=_catalogue(),
                           example=EXAMPLE_EXPLAIN)


@bp.get("/graph")
def graph_page():
    """Render the interactive graph: the whole pattern, one term's neighbourhood, or a path."""
    focus = request.args.get("focus", "").strip()
    try:
        focus_label = current_app.extensions["lbp_kg"].labels.resolve(focus).label if focus else ""
    except LookupError:
        focus_label = focus  # the page shows the error /graph.json gives for it
    path_from, path_to = request.args.get("from", "").strip(), request.args.get("to", "").strip()
    return render_template(
        "graph.html",
        active_page="graph",
        focus=focus,
        focus_label=focus_label,
        path_from=path_from,
        path_to=path_to,
        path=None if focus else path_steps(path_from, path_to),
        missing=missing_assets(GRAPH_ASSETS),
        install_command=INSTALL_COMMAND,
        example=EXAMPLE_EXPLAIN,
    )


@bp.get("/graph.json")
def graph_data():
    """Return the graph as Cytoscape elements with its legend: the pattern, or ``focus``'s neighbourhood."""
    kb = _kb()
    index = current_app.extensions["lbp_kg"].labels
    text = request.args.get("focus", "").strip()
    if not text:
        data = graph_view.graph_elements(index, graph_view.pattern_edges(kb), _entity_href)
        return jsonify(focus=None, title="The lower crossed syndrome pattern", **data)
    focus = _resolve(index, text)
    name = graph_view.local_name(focus.iri)
    data = graph_view.graph_elements(index, graph_view.neighbourhood_edges(kb, focus.iri), _entity_href,
                                    focus=focus.iri)
    return jsonify(focus={"iri": focus.iri, "id": name, "label": focus.label, "href": _entity_href(name)},
                   title=f"Around {focus.label}", **data)


def path_steps(path_from: str, path_to: str) -> ExplainedPath | None:
    """Return the explained path for the page's step-by-step list (templates/_path_steps.html).

    None when no path is asked for or an end names no single term: the picture's script then
    says why (it asks /queries/explain, whose JSON error carries the suggestions).
    """
    explain = next((q for q in _catalogue() if q.name == "explain"), None)
    if not (path_from and path_to) or explain is None:
        return None
    try:
        return explain_path(_kb(), explain, {"from": path_from, "to": path_to}, _term_href)
    except (ask.UnresolvedArgument, ask.UnknownParameters, LookupError, ValueError):
        return None


def _term_href(iri: str) -> str:
    return _entity_href(graph_view.local_name(iri)) if iri.startswith(graph_view.LBP) else iri


def _resolve(index: labels.LabelIndex, text: str) -> labels.Entity:
    """Return the entity ``text`` names (label, synonym, CURIE or IRI); 404 or 409 when it cannot."""
    try:
        return index.resolve(text)
    except labels.EntityNotFound as err:
        raise ApiError(404, f"{err}; pick one of the suggestions, or search at /search?q=",
                       focus=text, suggestions=[e.summary() for e in err.suggestions]) from None
    except labels.AmbiguousEntity as err:
        raise ApiError(409, str(err), focus=text, candidates=[e.summary() for e in err.candidates]) from None


def example_for(query: NamedQuery, param: Parameter) -> str | None:
    """Return the value the query's header suggests for a parameter (``# example:``), if any."""
    return dict(query.examples).get(param.name)


@bp.get("/questions")
def questions():
    """Render every named query as a form, with its SPARQL and download links."""
    return render_template("questions.html", active_page="questions", queries=_catalogue(), example_for=example_for)


@bp.get("/favicon.ico")
def favicon():
    """Serve the site icon where browsers look for it unasked (the pages name static/favicon.svg)."""
    # the bytes, not a file stream: a few hundred of them, and no file left for a client to close
    response = Response((Path(current_app.static_folder) / "favicon.svg").read_bytes(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.get("/assets/<path:name>")
def asset(name: str):
    """Serve one whitelisted browser library file from node_modules/."""
    if name not in ASSETS:
        raise ApiError(404, f"no asset called {name!r}; available: {', '.join(sorted(ASSETS))}")
    path = node_modules_dir() / ASSETS[name]
    if not path.is_file():
        raise ApiError(404, f"{ASSETS[name]} is not installed; run `{INSTALL_COMMAND}` in the "
                            "project folder (it installs package-lock.json into node_modules/)")
    return send_file(path, max_age=3600)


def editor_example(query: NamedQuery, index: labels.LabelIndex) -> dict:
    """Return a catalogue query as an editor tab, its parameters bound to example values.

    The tab opens with the question in words and what each VALUES block binds; the notes the
    file carries for its maintainers (how it is written to be fast on each engine) are left out,
    as they would only puzzle someone reading the query to learn from it.

    The values are bound as the rdflib and remote backends bind them: a VALUES block opening the
    WHERE clause and every subquery that projects the parameter. A trailing VALUES clause would
    not do: the named queries start from their parameter in a subquery, which it never reaches.
    """
    terms, notes = {}, [f"# {query.title}\n# {query.description}\n"]
    for param in query.parameters:
        example = example_for(query, param)
        try:
            entity = index.resolve(example, param.type_iris) if example else None
        except LookupError:
            entity = None
        if entity is not None:
            terms[param.name] = ox.NamedNode(entity.iri)
            notes.append(f"# ?{param.name} is {entity.label} in every VALUES block below:\n"
                         f"# change them all to ask about another {param.name.replace('_', ' ')}.\n")
    body = "".join(line for line in query.text.splitlines(keepends=True) if not line.lstrip().startswith("#"))
    return {"name": query.title, "query": "".join(notes) + bind_with_values(body.strip() + "\n", terms)}


def teaching_examples() -> list[dict]:
    """Return the editor's first tabs: queries/examples/, written for someone learning SPARQL."""
    lessons = current_app.extensions.get(EXAMPLES_KEY)
    if lessons is None:
        lessons = current_app.extensions[EXAMPLES_KEY] = [
            {"name": lesson.title,
             "query": f"# {lesson.title}\n# {lesson.description}\n" + _without_header(lesson.text)}
            for lesson in Catalog.load(EXAMPLES_DIR)]
    return lessons


def _without_header(text: str) -> str:
    """Return a query file's text after its ``# key: value`` header (the catalogue reads it)."""
    lines = text.splitlines(keepends=True)
    while lines and HEADER_LINE.match(lines[0]):
        lines.pop(0)
    return "".join(lines)


def render_sparql_editor() -> str:
    """Render the YASGUI SPARQL editor page: the lessons, then the catalogue's queries, as example tabs.

    sparql.py calls this from its bare-GET branch when the client prefers text/html.
    """
    index = current_app.extensions["lbp_kg"].labels
    return render_template(
        "sparql_editor.html",
        active_page="sparql",
        endpoint=f"{request.script_root}/sparql",
        examples=teaching_examples() + [editor_example(query, index) for query in _catalogue()],
        missing=missing_assets(EDITOR_ASSETS),
        install_command=INSTALL_COMMAND,
    )


def entity_extras(iri: str) -> dict:
    """Return what the web pages add to an entity page: a graph link and the motor points.

    Called from templates/entity_web.html, which entity.html includes.
    """
    if not iri.startswith(graph_view.LBP):
        return {"graph_href": None, "motor_points": []}
    name = graph_view.local_name(iri)
    points: dict[str, dict] = {}
    for row in _kb().store.query(graph_view.internal_query("web-motor-points"),
                                 substitutions={ox.Variable("muscle"): ox.NamedNode(iri)}):
        point_iri = row["point"].value
        point = points.setdefault(point_iri, {
            "label": _value(row["pointLabel"]) or graph_view.local_name(point_iri),
            "href": _entity_href(graph_view.local_name(point_iri)),
            "location": _value(row["location"]),
            "targets": [],
        })
        if row["target"] is not None:
            point["targets"].append({
                "treatment": _value(row["treatmentLabel"]),
                "condition": _value(row["conditionLabel"]),
                "priority": _value(row["priority"]),
                "indication": _value(row["indication"]),
                "source": _value(row["sourceLabel"]),
                "source_href": (_entity_href(graph_view.local_name(row["source"].value))
                                if row["source"] is not None else None),
                # shown by title, author and year (service/prose/lexicon.py)
                "citation": (lexicon_for(_kb()).citation(row["source"].value)
                             if row["source"] is not None else None),
            })
    return {"graph_href": url_for("web.graph_page", focus=f"lbp:{name}"), "motor_points": list(points.values())}


def _value(term) -> str | None:
    return term.value if term is not None else None


def init_app(app: Flask) -> None:
    """Register the web pages, and the helper entity pages call for their graph link and motor points."""
    app.register_blueprint(bp)
    app.add_template_global(entity_extras, "web_entity_extras")
