"""Linked data: every entity IRI at /id/<name> and the JSON-LD context (the ontology: views/releases.py).

JSON-LD is written by service.kg.jsonld (compacted with the context, referring to it by its IRI,
served here at /context.jsonld).
"""
from __future__ import annotations

import re

from flask import Blueprint, Flask, Response, current_app, render_template, request
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS

from service.web import http_cache
from service.web.views import search
from service.kg.describe import describe_entity, entity_page, ontology_name
from service.web.errors import ApiError
from service.web.negotiation import (FORMAT_ALIASES, GRAPH_TYPES, NotAcceptable, answer_content_type,
                                     choose_media_type)
from service.kg.jsonld import CONTEXT_IRI, context_bytes, serialize_graph
from service.prose.lexicon import lexicon_for
from service.prose.sentences import edge_sentence, wording
from service.prose.summary import entity_summary

bp = Blueprint("entities", __name__)

#: Entity pages: Turtle for clients that take anything, HTML for browsers (which ask for it), and
#: plain JSON for JSON clients: the compacted JSON-LD without "@context", which the Link header
#: gives instead, as JSON-LD 1.1 (section 6.1) reads application/json as JSON-LD.
ENTITY_TYPES = GRAPH_TYPES + ("text/html", "application/json")
#: The Link header naming the context of an application/json answer (JSON-LD 1.1, section 6.1).
CONTEXT_LINK = f'<{CONTEXT_IRI}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
#: Local names the service can hold (kebab-case individuals, CamelCase classes and properties).
LOCAL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]*\Z")
SUGGESTION_COUNT = 5
#: Short names for the ?format= links on a page, one per graph media type.
FORMAT_LINKS = {"text/turtle": "ttl", "application/ld+json": "jsonld",
                "application/n-triples": "nt", "application/rdf+xml": "rdf"}
FORMAT_NAMES = {"text/turtle": "Turtle", "application/ld+json": "JSON-LD",
                "application/n-triples": "N-Triples", "application/rdf+xml": "RDF/XML"}
LICENCE_NAMES = {"https://creativecommons.org/licenses/by/4.0/": "CC BY 4.0"}

def _negotiate(offered: tuple[str, ...]) -> str:
    try:
        return choose_media_type(request.headers.get("Accept"), offered, request.args.get("format"))
    except NotAcceptable as err:
        aliases = sorted(alias for alias, media in FORMAT_ALIASES.items() if media in offered)
        raise ApiError(406, str(err), available=list(offered), formats=aliases) from None


def _kb():
    return current_app.extensions["lbp_kg"]


def _graph_response(body: bytes, media_type: str) -> Response:
    mimetype = media_type + ("; charset=utf-8" if media_type.startswith("text/") else "")
    return Response(body, content_type=mimetype)




def _not_found(local_name: str, iri: str) -> ApiError:
    text = re.sub(r"[-_]+", " ", local_name).strip()
    suggestions = search.suggestions(text, SUGGESTION_COUNT) if text else []
    hint = "; did you mean one of the suggestions?" if suggestions else "; try /search?q=..."
    return ApiError(404, f"no entity <{iri}> in this knowledge graph{hint}", suggestions=suggestions)


@bp.get("/id/<local_name>")
def entity(local_name: str):
    """Describe one entity as HTML, JSON-LD (in the profile asked for), Turtle, N-Triples, RDF/XML or plain JSON."""
    media_type = _negotiate(ENTITY_TYPES)
    content_type, profiles = answer_content_type(media_type, request.headers.get("Accept"))
    etag = http_cache.answer_etag(_kb().version, content_type)
    unchanged = http_cache.not_modified(etag)
    if unchanged is not None:
        return unchanged
    base_iri = current_app.extensions["lbp_kg.settings"].base_iri
    iri = base_iri + local_name
    graph = describe_entity(_kb().store, iri) if LOCAL_NAME.match(local_name) else Graph()
    if (URIRef(iri), None, None) not in graph:
        raise _not_found(local_name, iri)
    here = request.script_root + request.path
    alternates = [(FORMAT_NAMES[m], m, f"{here}?format={FORMAT_LINKS[m]}") for m in GRAPH_TYPES]
    if media_type == "text/html":
        page = entity_page(graph, iri, base_iri, id_path=f"{request.script_root}/id/")
        response = Response(render_template("entity.html", page=page, alternates=alternates,
                                            **entity_prose(iri, base_iri)),
                            content_type="text/html; charset=utf-8")
    else:
        response = _graph_response(serialize_graph(graph, media_type, first=iri, profiles=profiles), content_type)
    links = [f'<{href}>; rel="alternate"; type="{media}"' for _, media, href in alternates]
    if media_type == "application/json":
        links.append(CONTEXT_LINK)  # only here: a reader of application/ld+json must ignore it
    response.headers["Link"] = ", ".join(links)
    return http_cache.cacheable(response, etag)


def href_for(base_iri: str):
    """Return the function giving a term's link: its /id page here, or its own IRI elsewhere."""
    id_path = f"{request.script_root}/id/"
    return lambda iri: id_path + iri[len(base_iri):] if iri.startswith(base_iri) else iri


def entity_prose(iri: str, base_iri: str) -> dict:
    """Return what entity.html needs to write in sentences: the summary, and how to say an edge,
    head a relation and cite a source (service/prose)."""
    kb = _kb()
    lexicon = lexicon_for(kb)
    href = href_for(base_iri)
    return {
        "summary": entity_summary(kb, iri, href),
        "say": lambda subject, relation, object_: edge_sentence(lexicon, subject, relation, object_, href),
        "heading": lambda relation, direction: getattr(wording(lexicon, relation), direction),
        "cite": lexicon.citation,
        "ontology_name": ontology_name,
    }


@bp.get("/context.jsonld")
def context():
    """Serve the JSON-LD context every JSON-LD answer refers to."""
    response = Response(context_bytes(), content_type="application/ld+json")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def site_context() -> dict:
    """Give every template the ontology's version and licence (base.html shows them)."""
    kb = _kb()
    header = URIRef(kb.modules[0].iri) if kb.modules else None
    # the header module's own graph: small, unlike the merged graph every page would otherwise build
    licence = kb.modules[0].graph.value(header, DCTERMS.license) if header is not None else None
    return {
        "ontology_version": kb.ontology_version,
        "ontology_licence": {"href": str(licence), "name": LICENCE_NAMES.get(str(licence), str(licence))}
        if licence is not None else None,
    }


def init_app(app: Flask) -> None:
    """Register the linked-data routes and the site-wide template values."""
    app.register_blueprint(bp)
    app.context_processor(site_context)
