"""Search: find entities by label, synonym or prefix, best match first (GET /search).

Programs get the hits as JSON. A browser (which prefers text/html) lands: a text that names one
term exactly opens that term's page (303), anything else a page of results with a line of
definition each, and, when the text reads as one of the catalogue's questions, that question
ready to ask (service.kg.ask.suggest_questions).
"""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Flask, current_app, jsonify, redirect, render_template, request

from service.kg import ask
from service.kg.describe import one_line_definition
from service.web.errors import ApiError, prefers_html
from service.web.views.named_queries import CATALOG_KEY
from service.kg.vocabulary import expand_curie, prefixes

bp = Blueprint("search", __name__)

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def _hit(iri: str, label: str, type_curie: str | None, type_label: str | None, matched: str,
         curie: str, match: str) -> dict:
    """Shape one result: ``id`` is the full IRI; the rest helps a person pick."""
    return {"id": iri, "label": label, "type": type_curie, "matched": matched,
            "curie": curie, "typeLabel": type_label, "match": match}


def search_hits(q: str, limit: int = DEFAULT_LIMIT, types: list[str] | None = None) -> list[dict]:
    """Return the entities matching ``q`` (optionally only instances of ``types``), best first."""
    index = current_app.extensions["lbp_kg"].labels
    return [_hit(h["iri"], h["label"], h["type"], h["typeLabel"], h["matched"], h["id"], h["match"])
            for h in index.search(q, limit=limit, types=types)]


def suggestions(text: str, limit: int = 5) -> list[dict]:
    """Return entities someone typing ``text`` may have meant (search hits, then near spellings)."""
    index = current_app.extensions["lbp_kg"].labels
    hits = {h["iri"]: h for h in index.search(text, limit=limit)}
    return [_hit(e.iri, e.label, e.type, e.type_label,
                 hits[e.iri]["matched"] if e.iri in hits else e.label, e.curie,
                 hits[e.iri]["match"] if e.iri in hits else "similar spelling")
            for e in index.suggest(text, limit=limit)]


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.strip():
        raise ApiError(400, f"limit is empty: give a whole number from 1 to {MAX_LIMIT}, or leave limit out "
                            f"for {DEFAULT_LIMIT}", parameter="limit")
    try:
        limit = int(raw)
    except ValueError:
        raise ApiError(400, f"limit must be a whole number from 1 to {MAX_LIMIT}, not {raw!r}") from None
    if limit < 1:
        raise ApiError(400, f"limit must be at least 1 (and at most {MAX_LIMIT}), not {limit}")
    return min(limit, MAX_LIMIT)


def _type_iri(value: str) -> str:
    iri = expand_curie(value)
    if iri is not None:
        return iri
    if value.startswith(("http://", "https://")):
        return value
    raise ApiError(400, f"type {value!r} is not a class CURIE (lbp:Muscle) or IRI; known prefixes: "
                        + ", ".join(sorted(prefixes())))


#: what the results page calls entities whose shown type is a bare OWL or RDF one
PLAIN_KINDS = {"owl:Class": "category", "owl:ObjectProperty": "relation", "owl:DatatypeProperty": "property",
               "owl:AnnotationProperty": "note field", "owl:Ontology": "ontology module"}


@bp.get("/search")
def search():
    """Answer a search box: ``q`` (required), ``limit`` (1-100, default 20), ``type`` (repeatable)."""
    q = request.args.get("q", "").strip()
    if not q:
        raise ApiError(400, "give the text to search for in q, e.g. /search?q=gluteus")
    types = [_type_iri(t) for t in request.args.getlist("type") if t.strip()] or None
    limit = _limit(request.args.get("limit"))
    if prefers_html():
        response = _land(q, limit, types)
    else:
        response = jsonify(search_hits(q, limit, types))
    response.vary.add("Accept")
    return response


def entity_href(iri: str) -> str | None:
    """Return the page of an entity of this service (/id/<name>), None for an outside IRI."""
    base = current_app.extensions["lbp_kg.settings"].base_iri
    return f"{request.script_root}/id/{iri[len(base):]}" if iri.startswith(base) else None


def _land(q: str, limit: int, types: list[str] | None):
    """Open the page of the one term ``q`` names exactly, else render the results page."""
    kb = current_app.extensions["lbp_kg"]
    named = ask.exactly_named(q, kb.labels)
    if named is not None and named.fits(frozenset(types) if types else None) and entity_href(named.iri):
        return redirect(entity_href(named.iri), code=303)
    hits = [_shown(hit) for hit in search_hits(q, limit, types)]
    questions = [_question_link(suggested) for suggested in ask.suggest_questions(q, _catalogue(), kb.labels)]
    # a question matches no name as a whole: the terms it names are what it is about
    named = [] if hits else [_shown(_hit(e.iri, e.label, e.type, e.type_label, mention.text, e.curie, "named"))
                             for mention in ask.mentions(q, kb.labels) for e in mention.entities[:1]
                             if e.fits(frozenset(types) if types else None)]
    return current_app.make_response(render_template(
        "search_results.html", active_page="search", q=q, hits=hits, named=named, questions=questions))


def _shown(hit: dict) -> dict:
    """Add what the results page shows of a hit: its page, its kind in words, a line of definition."""
    return {**hit, "href": entity_href(hit["id"]) or hit["id"],
            "kind": hit["typeLabel"] or PLAIN_KINDS.get(hit["type"] or "", "term"),
            "definition": one_line_definition(current_app.extensions["lbp_kg"].store, hit["id"])}


def _catalogue():
    catalog = current_app.extensions.get(CATALOG_KEY)
    return list(catalog) if catalog is not None else []


def _question_link(suggested: ask.SuggestedQuestion) -> dict:
    """Describe a suggested question for the page: its words, its terms, and where it is answered."""
    query = suggested.query
    index = current_app.extensions["lbp_kg"].labels
    values = {}
    for name, entity in suggested.arguments.items():
        parameter = next(p for p in query.parameters if p.name == name)
        try:  # the label when it names the entity unambiguously, as a person would type it
            same = index.resolve(entity.label, parameter.type_iris or None) == entity
        except LookupError:
            same = False
        values[name] = entity.label if same else entity.curie
    # /questions fills the question's form from the address and asks it (static/questions.js)
    href = (f"{request.script_root}/questions?" + urlencode({"ask": query.name, **values}) + f"#q-{query.name}"
            if suggested.complete else f"{request.script_root}/questions#q-{query.name}")
    return {"name": query.name, "title": query.title, "description": query.description, "href": href,
            "complete": suggested.complete,
            "arguments": [{"parameter": name, "label": entity.label, "href": entity_href(entity.iri)}
                          for name, entity in suggested.arguments.items()],
            "missing": [p.name for p in query.parameters if p.name not in suggested.arguments]}


def init_app(app: Flask) -> None:
    """Register the search route."""
    app.register_blueprint(bp)
