"""Search: find entities by label, synonym or prefix, best match first (GET /search)."""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify, request

from service.kg import labels
from service.web.errors import ApiError
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


@bp.get("/search")
def search():
    """Answer a search box: ``q`` (required), ``limit`` (1-100, default 20), ``type`` (repeatable)."""
    q = request.args.get("q", "").strip()
    if not q:
        raise ApiError(400, "give the text to search for in q, e.g. /search?q=gluteus")
    types = [_type_iri(t) for t in request.args.getlist("type") if t.strip()] or None
    return jsonify(search_hits(q, _limit(request.args.get("limit")), types))


def init_app(app: Flask) -> None:
    """Register the search route."""
    app.register_blueprint(bp)
