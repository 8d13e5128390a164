"""Locate the project's bundled data: ontology, shapes and named queries."""
from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_DIR = PROJECT_ROOT / "ontology"
ONTOLOGY_HEADER = ONTOLOGY_DIR / "lbp.ttl"
CATALOG_FILE = ONTOLOGY_DIR / "catalog-v001.xml"
SHAPES_DIR = ONTOLOGY_DIR / "shapes"
EXTENSIONS_DIR = ONTOLOGY_DIR / "extensions"
CONTEXT_FILE = ONTOLOGY_DIR / "context.jsonld"
QUERIES_DIR = PROJECT_ROOT / "queries"
QC_QUERIES_DIR = QUERIES_DIR / "qc"
#: Where `lbp-kg release` writes each version (<dir>/<X.Y.Z>/) and the service finds them.
RELEASES_DIR = PROJECT_ROOT / "build" / "release"
