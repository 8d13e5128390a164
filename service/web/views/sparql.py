"""The SPARQL 1.1 Protocol query operation at /sparql (read-only), and its service description.

GET ``?query=``, URL-encoded POST and direct POST (``application/sparql-query``) are accepted,
with ``default-graph-uri`` / ``named-graph-uri`` naming the service's own graphs. Answers are
negotiated (``Accept`` with q-values, or ``?format=``); the query itself runs through
``service.web.query_response.respond_to_query`` (guard, worker process, time limit, row cap).
A GET without a query returns the SPARQL Service Description, or the editor page to a browser.

Truncated results carry ``X-LBP-Truncated: true`` (and ``"truncated": true`` inside the JSON
``head``).
"""
from __future__ import annotations

from urllib.parse import parse_qsl

import pyoxigraph as ox
from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.datastructures import MIMEAccept, MultiDict

from service.web.errors import ApiError
from service.web.negotiation import FORMAT_ALIASES
from service.web.query_response import query_executor, respond_to_query
from service.store import ASSERTED_GRAPH, INFERRED_GRAPH

bp = Blueprint("sparql", __name__)

QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"
FORM_TYPE = "application/x-www-form-urlencoded"
DATASET_PARAMETERS = ("default-graph-uri", "named-graph-uri")

#: media types the service description can be served as, default first
DESCRIPTION_TYPES = ("text/turtle", "application/ld+json", "application/rdf+xml", "application/n-triples")

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
DCTERMS_TITLE = "http://purl.org/dc/terms/title"
RESULT_FORMATS = ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                  "Turtle", "JSON-LD", "N-Triples", "RDF_XML")


def _refuse_update() -> ApiError:
    return ApiError(403, "this endpoint is read-only: SPARQL Update is not accepted; "
                         "send a query (SELECT, ASK, CONSTRUCT or DESCRIBE) as query=")


def _form_parameters(body: bytes) -> MultiDict:
    try:
        return MultiDict(parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                                   encoding="utf-8", errors="strict"))
    except UnicodeDecodeError:
        raise ApiError(400, "the form body is not valid UTF-8; percent-encode the query as UTF-8") from None


def _direct_query(body: bytes) -> str:
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise ApiError(400, f"the query must be sent as UTF-8, not {charset}")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ApiError(400, f"the query body is not valid UTF-8 (byte {err.start})") from None


def _request_parameters() -> tuple[list[str], MultiDict]:
    """Return the query texts sent and the parameters (dataset, update ...) of this request."""
    if request.method in ("GET", "HEAD"):  # HEAD answers as GET does, without the body
        return request.args.getlist("query"), request.args
    mimetype = request.mimetype
    if mimetype == FORM_TYPE:
        params = MultiDict(request.args)
        params.update(_form_parameters(request.get_data(cache=True)))
        return params.getlist("query"), params
    if mimetype == QUERY_TYPE:
        return request.args.getlist("query") + [_direct_query(request.get_data(cache=True))], request.args
    if mimetype == UPDATE_TYPE:
        raise _refuse_update()
    raise ApiError(400, f"POST a query as {FORM_TYPE} (query=...) or as {QUERY_TYPE}; "
                        f"got {mimetype or 'no Content-Type'}")


@bp.route("/sparql", methods=["GET", "POST"])
def sparql_endpoint():
    """Answer a SPARQL query, or describe the service when no query is given."""
    queries, params = _request_parameters()
    if "update" in params:
        raise _refuse_update()
    if not queries:
        if request.method in ("GET", "HEAD") and not any(p in params for p in DATASET_PARAMETERS):
            return describe_service()
        raise ApiError(400, "missing the query parameter: send query=<SPARQL text>")
    if len(queries) > 1:
        raise ApiError(400, f"send exactly one query; got {len(queries)} query parameters")
    if not queries[0].strip():
        raise ApiError(400, "the query is empty")
    kb = current_app.extensions["lbp_kg"]
    return respond_to_query(kb, queries[0], default_graph_uris=params.getlist("default-graph-uri"),
                            named_graph_uris=params.getlist("named-graph-uri"))


# --- service description ----------------------------------------------------------------------

def prefers_html(accept: MIMEAccept, format_param: str | None) -> bool:
    """Tell whether the client wants a web page (the SPARQL editor) rather than RDF."""
    if format_param:
        return FORMAT_ALIASES.get(format_param.lower(), format_param.lower()) == "text/html"
    return accept.best_match(DESCRIPTION_TYPES + ("text/html",)) == "text/html"


def describe_service() -> Response:
    """Return the SPARQL 1.1 Service Description, or the editor page when HTML is preferred."""
    format_param = request.args.get("format")
    if "web" in current_app.blueprints and prefers_html(request.accept_mimetypes, format_param):
        from service.web.views import pages  # the page lives with the other pages, once they are registered

        query_executor(current_app.extensions["lbp_kg"]).warm_up()

        response = Response(pages.render_sparql_editor(), mimetype="text/html")
        response.vary.add("Accept")
        return response
    from service.web.negotiation import NotAcceptable, choose_media_type

    try:
        media_type = choose_media_type(request.headers.get("Accept"), DESCRIPTION_TYPES, format_param)
    except NotAcceptable as err:
        raise ApiError(406, str(err).replace("this resource", "the service description"),
                       available=list(DESCRIPTION_TYPES)) from None
    kb = current_app.extensions["lbp_kg"]
    query_executor(kb).warm_up()  # whoever reads the description usually sends a query next
    cache = kb.extras.setdefault("service_description", {})
    key = (request.base_url, media_type)
    if key not in cache:
        cache[key] = ox.serialize(service_description(kb.store, request.base_url),
                                  format=ox.RdfFormat.from_media_type(media_type),
                                  prefixes={"sd": SD, "formats": FORMATS, "void": VOID})
    response = Response(cache[key], mimetype=media_type)
    response.vary.add("Accept")
    return response


def service_description(store, endpoint: str) -> list[ox.Triple]:
    """Describe the endpoint: language, result formats, default dataset and named graphs."""
    service, dataset, default_graph = ox.NamedNode(endpoint), ox.BlankNode(), ox.BlankNode()

    def iri(value: str) -> ox.NamedNode:
        return ox.NamedNode(value)

    triples = [
        ox.Triple(service, iri(RDF_TYPE), iri(SD + "Service")),
        ox.Triple(service, iri(SD + "endpoint"), service),
        ox.Triple(service, iri(DCTERMS_TITLE), ox.Literal("lbp-kg SPARQL endpoint (read-only)", language="en")),
        ox.Triple(service, iri(SD + "supportedLanguage"), iri(SD + "SPARQL11Query")),
        ox.Triple(service, iri(SD + "feature"), iri(SD + "UnionDefaultGraph")),
        ox.Triple(service, iri(SD + "defaultDataset"), dataset),
        ox.Triple(dataset, iri(RDF_TYPE), iri(SD + "Dataset")),
        ox.Triple(dataset, iri(SD + "defaultGraph"), default_graph),
        ox.Triple(default_graph, iri(RDF_TYPE), iri(SD + "Graph")),
        ox.Triple(default_graph, iri(RDFS_COMMENT), ox.Literal(
            "the union of every named graph, unless the request names default graphs", language="en")),
        ox.Triple(default_graph, iri(VOID + "triples"), ox.Literal(str(store.triple_count),
                                                                 datatype=iri("http://www.w3.org/2001/XMLSchema#integer"))),
    ]
    triples += [ox.Triple(service, iri(SD + "resultFormat"), iri(FORMATS + name)) for name in RESULT_FORMATS]
    for name in store.graph_names:
        named, graph = ox.BlankNode(), ox.BlankNode()
        triples += [
            ox.Triple(dataset, iri(SD + "namedGraph"), named),
            ox.Triple(named, iri(RDF_TYPE), iri(SD + "NamedGraph")),
            ox.Triple(named, iri(SD + "name"), iri(name)),
            ox.Triple(named, iri(SD + "graph"), graph),
            ox.Triple(graph, iri(RDF_TYPE), iri(SD + "Graph")),
        ]
        if name in store.graph_sizes:
            triples.append(ox.Triple(graph, iri(VOID + "triples"), ox.Literal(
                str(store.graph_sizes[name]), datatype=iri("http://www.w3.org/2001/XMLSchema#integer"))))
        note = {ASSERTED_GRAPH: "virtual: every module graph, without inferred triples",
                INFERRED_GRAPH: "triples inferred by the reasoner at load time"}.get(name)
        if note:
            triples.append(ox.Triple(named, iri(RDFS_COMMENT), ox.Literal(note, language="en")))
    return triples


def init_app(app: Flask) -> None:
    """Register the /sparql endpoint."""
    app.register_blueprint(bp)
