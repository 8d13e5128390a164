"""Every data file of the service package goes into the wheel (pyproject's package-data).

Found when the favicon (an .svg) was served from a checkout but 404 from an installed wheel: the
wheel test catches it after a two-minute build; this catches it at once, and names the file.
"""
from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_non_python_file_of_the_service_package_is_package_data():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"]["*"]
    data_files = [p for p in (ROOT / "service").rglob("*")
                  if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts]
    assert data_files, "the service package has no data files: the test looks in the wrong place"
    left_out = [str(p.relative_to(ROOT)) for p in data_files if not any(fnmatch.fnmatch(p.name, g) for g in patterns)]
    assert not left_out, f"not in [tool.setuptools.package-data] of pyproject.toml, so not in the wheel: {left_out}"
