"""Locate the project's bundled data (ontology, shapes, named queries, browser libraries) and state.

Two layouts, one set of names:

- **a checkout** (``pip install -e .``, ``make setup``): everything is read from the project folder
  beside ``service/``, and state is written there too (``var/cache``, ``build/release``);
- **an installed wheel** (``pip install lbp_kg-*.whl``): the wheel's build (setup.py) copies
  ``ontology/``, ``queries/``, ``deploy/gunicorn.conf.py`` and the browser libraries the pages load
  into ``service/bundled/``, which is read-only in site-packages; state goes to the user's cache and
  data folders (``$XDG_CACHE_HOME/lbp-kg``, ``$XDG_DATA_HOME/lbp-kg``), as every setting can
  still override.

A checkout is recognised by its ``pyproject.toml`` and ``ontology/lbp.ttl`` beside ``service/``, so an
editable install always reads the files being edited.
"""
from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
#: Where the wheel's build puts the data files (absent in a checkout; see setup.py).
BUNDLED_DIR = PACKAGE_DIR / "bundled"
_CHECKOUT = PACKAGE_DIR.parent
#: True when running from a checkout, False when running from an installed wheel.
IN_CHECKOUT = (_CHECKOUT / "pyproject.toml").is_file() and (_CHECKOUT / "ontology" / "lbp.ttl").is_file()

#: The folder holding ontology/, queries/, deploy/ and node_modules/: the checkout, or the bundle.
PROJECT_ROOT = _CHECKOUT if IN_CHECKOUT else BUNDLED_DIR
ONTOLOGY_DIR = PROJECT_ROOT / "ontology"
ONTOLOGY_HEADER = ONTOLOGY_DIR / "lbp.ttl"
CATALOG_FILE = ONTOLOGY_DIR / "catalog-v001.xml"
SHAPES_DIR = ONTOLOGY_DIR / "shapes"
CONTEXT_FILE = ONTOLOGY_DIR / "context.jsonld"
QUERIES_DIR = PROJECT_ROOT / "queries"
QC_QUERIES_DIR = QUERIES_DIR / "qc"
#: The browser libraries: ``npm ci``'s folder in a checkout; in the wheel, only the files
#: service/web/assets.json names, at the same paths.
NODE_MODULES_DIR = PROJECT_ROOT / "node_modules"
#: gunicorn settings ``lbp-kg serve --workers`` uses by default.
GUNICORN_CONFIG = PROJECT_ROOT / "deploy" / "gunicorn.conf.py"


def _user_dir(variable: str, fallback: str) -> Path:
    # The XDG base directories, as the freedesktop.org specification resolves them.
    base = os.environ.get(variable)
    return (Path(base) if base and os.path.isabs(base) else Path.home() / fallback) / "lbp-kg"


#: Where state is written: the checkout, or the user's data folder for an installed wheel.
STATE_DIR = _CHECKOUT if IN_CHECKOUT else _user_dir("XDG_DATA_HOME", ".local/share")
#: Researchers' extension modules (writable: curated writes go there).
EXTENSIONS_DIR = ONTOLOGY_DIR / "extensions" if IN_CHECKOUT else STATE_DIR / "extensions"
#: The loaded store and reasoning results, kept between restarts.
CACHE_DIR = _CHECKOUT / "var" / "cache" if IN_CHECKOUT else _user_dir("XDG_CACHE_HOME", ".cache")
#: Where `lbp-kg release` writes each version (<dir>/<X.Y.Z>/) and the service finds them.
RELEASES_DIR = STATE_DIR / "build" / "release" if IN_CHECKOUT else STATE_DIR / "releases"
