"""lbp-kg's vocabulary: the prefixes it writes and reads, and the one way IRIs become CURIEs and back.

Every CURIE in the service goes through ``compact_iri`` and ``expand_curie``: longest namespace
wins; OBO terms may be written as their IDs (``UBERON:0001371`` for
``http://purl.obolibrary.org/obo/UBERON_0001371``), as the OBO Foundry writes them.
"""
from __future__ import annotations

import re
from typing import Mapping

LBP = "https://w3id.org/lbp-kg/id/"
OBO = "http://purl.obolibrary.org/obo/"

PREFIXES = {
    "lbp": LBP,
    "obo": OBO,
    "owl": "http://www.w3.org/2002/07/owl#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "oboInOwl": "http://www.geneontology.org/formats/oboInOwl#",
    "sh": "http://www.w3.org/ns/shacl#",
}


#: an OBO ID: a prefix of letters (and digits), a colon, digits
_OBO_ID = re.compile(r"^(?P<prefix>[A-Za-z][A-Za-z0-9]*):(?P<local>[0-9]+)$")


def prefixes() -> dict[str, str]:
    """Return the prefixes lbp-kg uses for CURIEs, queries and serialisations."""
    return dict(PREFIXES)


def compact_iri(iri: str, known: Mapping[str, str] | None = None, *, obo_ids: bool = False) -> str:
    """Return the CURIE of ``iri`` under the longest matching namespace, else ``iri`` unchanged.

    With ``obo_ids``, an OBO term is written as its ID (``UBERON:0001371``) rather than ``obo:...``.
    """
    if obo_ids and iri.startswith(OBO) and "_" in iri[len(OBO):]:
        return iri[len(OBO):].replace("_", ":", 1)
    known = PREFIXES if known is None else known
    best = max(((prefix, ns) for prefix, ns in known.items() if iri.startswith(ns) and len(iri) > len(ns)),
               key=lambda pair: len(pair[1]), default=None)
    return iri if best is None else f"{best[0]}:{iri[len(best[1]):]}"


def expand_curie(text: str, known: Mapping[str, str] | None = None, *, obo_ids: bool = False) -> str | None:
    """Return the IRI a ``prefix:local`` CURIE stands for, or None when it is not one of a known prefix.

    With ``obo_ids``, an OBO ID (``UBERON:0001371``) stands for its OBO IRI.
    """
    if obo_ids:
        obo_id = _OBO_ID.match(text)
        if obo_id:
            return f"{OBO}{obo_id['prefix']}_{obo_id['local']}"
    known = PREFIXES if known is None else known
    prefix, sep, local = text.partition(":")
    if not sep or prefix not in known or local.startswith("//"):
        return None
    return known[prefix] + local
