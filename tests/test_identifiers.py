"""Every external identifier in the shipped ontology comes from the project's reference files, or
from ontology/identifiers-read.tsv, the identifiers the curators read in their sources themselves."""
from __future__ import annotations

import csv
import re

import pytest
from rdflib import URIRef

from service.paths import ONTOLOGY_DIR
from tests.conftest import REFERENCE_DIR

#: identifiers the curators read in the source ontology itself (id, label, where read)
IDENTIFIERS_READ = ONTOLOGY_DIR / "identifiers-read.tsv"

OBO = "http://purl.obolibrary.org/obo/"
#: ontologies whose term IRIs are identifiers someone must have looked up
EXTERNAL_PREFIXES = ("UBERON", "FMA", "HP", "MONDO", "DOID", "MA")
#: relation and annotation IRIs that core.ttl declares from RO, BFO and IAO (terms.tsv lists them)
RELATION_PREFIXES = ("RO", "BFO", "IAO")
_CURIE = re.compile(r"\b([A-Za-z]+):(\d+)\b")


@pytest.fixture(scope="module")
def reference_iris() -> set[str]:
    """Every identifier terms.tsv names, in any column, as an OBO PURL."""
    iris = set()
    with open(REFERENCE_DIR / "terms.tsv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            for column in ("uberon_id", "fma_id", "other_id"):
                for prefix, local in _CURIE.findall(row[column] or ""):
                    iris.add(f"{OBO}{prefix}_{local}")
    return iris


def _obo_iris(graph, prefixes) -> set[str]:
    found = set()
    for triple in graph:
        for term in triple:
            if isinstance(term, URIRef) and str(term).startswith(OBO):
                local = str(term)[len(OBO):]
                if local.split("_")[0] in prefixes:
                    found.add(str(term))
    return found


def test_every_external_term_identifier_is_in_the_reference_files(kb, reference_iris):
    used = _obo_iris(kb.graph, EXTERNAL_PREFIXES)
    assert used, "the ontology maps to no external terms at all"
    assert sorted(used - reference_iris) == []


def test_every_identifier_read_by_the_curators_says_where_it_was_read():
    with open(IDENTIFIERS_READ, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert rows and all(_CURIE.fullmatch(row["id"]) and row["label"] and row["read in"] for row in rows)


def test_every_reused_relation_is_one_the_reference_files_or_the_curators_reading_list(kb):
    relations_listed = (REFERENCE_DIR / "terms.tsv").read_text(encoding="utf-8") + \
        IDENTIFIERS_READ.read_text(encoding="utf-8")
    used = _obo_iris(kb.graph, RELATION_PREFIXES)
    unlisted = sorted(iri for iri in used
                      if iri[len(OBO):].replace("_", ":", 1) not in relations_listed)
    assert unlisted == []
