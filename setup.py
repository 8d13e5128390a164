"""The wheel's build step: bundle the data files and the browser libraries into the package.

Everything else is declared in pyproject.toml. A wheel must run outside the checkout (issue 15), so
``build_py`` copies into ``service/bundled/`` of the built package (never of the source tree):

- ``ontology/`` and ``queries/`` (the ontology, shapes, context, catalog and every query), and
  ``deploy/gunicorn.conf.py`` (``lbp-kg serve --workers``'s defaults);
- the browser libraries the pages load (service/web/assets.json names them), installed at build
  time by ``npm ci`` from package.json and package-lock.json into a scratch folder: they are never
  committed, and only the named files go into the wheel.

service/paths.py reads ``service/bundled/`` when there is no checkout around the package. Editable
installs (``make setup``) read the checkout itself, so they skip all of this, and keep ``bench``
importable; the wheel ships only the ``service`` package.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
DATA_FOLDERS = ("ontology", "queries")
DATA_FILES = ("deploy/gunicorn.conf.py",)
NPM_MANIFESTS = ("package.json", "package-lock.json")
#: Developer-only packages: importable from an editable install, never installed by the wheel.
CHECKOUT_ONLY_PACKAGES = ["bench", "bench.*"]
#: setuptools runs this file with the command it builds for: "editable_wheel" for ``pip install -e``
#: (PEP 660), which is told apart here because the package list is fixed before any command runs.
EDITABLE = "editable_wheel" in sys.argv


class BuildPyWithData(build_py):
    """build_py that also bundles the data files and the pinned browser libraries."""

    def run(self):
        super().run()
        if self.editable_mode:
            return
        bundle = Path(self.build_lib) / "service" / "bundled"
        if bundle.exists():
            shutil.rmtree(bundle)
        for folder in DATA_FOLDERS:
            shutil.copytree(ROOT / folder, bundle / folder,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        for name in DATA_FILES:
            (bundle / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, bundle / name)
        self._bundle_browser_libraries(bundle / "node_modules")

    def _bundle_browser_libraries(self, target: Path) -> None:
        assets = json.loads((ROOT / "service" / "web" / "assets.json").read_text(encoding="utf-8"))["assets"]
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit("building the wheel needs npm (apt-get install npm): the pages' browser "
                             "libraries are installed from package-lock.json at build time")
        with tempfile.TemporaryDirectory(prefix="lbp-kg-npm-") as scratch:
            for name in NPM_MANIFESTS:
                shutil.copy2(ROOT / name, Path(scratch) / name)
            # --omit=dev: test-only packages stay out; --ignore-scripts: nothing the packages ship runs
            subprocess.run([npm, "ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund",
                            "--prefer-offline", "--loglevel=error"], cwd=scratch, check=True)
            for served_as, relative in assets.items():
                source = Path(scratch) / "node_modules" / relative
                if not source.is_file():
                    raise SystemExit(f"npm ci did not install {relative} (served as /assets/{served_as}); "
                                     "is service/web/assets.json in step with package.json?")
                (target / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / relative)
                self._bundle_licence(Path(scratch) / "node_modules", relative, target)

    @staticmethod
    def _bundle_licence(node_modules: Path, relative: str, target: Path) -> None:
        # each library's licence travels with its file (the package's folder is the part before dist/ or build/)
        parts = Path(relative).parts
        depth = 2 if parts[0].startswith("@") else 1
        package = Path(*parts[:depth])
        for licence in (node_modules / package).glob("LICEN[CS]E*"):
            shutil.copy2(licence, target / package / licence.name)


setup(
    packages=find_packages(include=["service", "service.*", *(CHECKOUT_ONLY_PACKAGES if EDITABLE else [])]),
    cmdclass={"build_py": BuildPyWithData},
)
