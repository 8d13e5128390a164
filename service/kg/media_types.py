"""What each kind of answer can be served as: media types as data, default first."""
from __future__ import annotations

#: SELECT and ASK results
SOLUTION_TYPES = (
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
    "application/json",
)

#: CONSTRUCT / DESCRIBE results, entity descriptions and the ontology
GRAPH_TYPES = (
    "text/turtle",
    "application/ld+json",
    "application/n-triples",
    "application/rdf+xml",
)

#: OBO 1.4 flat files: the whole ontology (/ontology) and releases can be served so, not query answers
OBO_TYPE = "text/obo"

#: rdflib serializer name for each graph media type
RDFLIB_FORMAT = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
}

#: file-style names accepted in a ``format=`` query parameter, for links and downloads
FORMAT_ALIASES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "ttl": "text/turtle",
    "turtle": "text/turtle",
    "jsonld": "application/ld+json",
    "json-ld": "application/ld+json",
    "nt": "application/n-triples",
    "ntriples": "application/n-triples",
    "rdf": "application/rdf+xml",
    "rdfxml": "application/rdf+xml",
    "html": "text/html",
}
