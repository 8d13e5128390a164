"""The package keeps its walls (docs/architecture.md): layers import only the layers below them,
only the web layer imports Flask or Werkzeug, no import cycle, no module over 450 lines and no
folder over 16 modules, and no SPARQL in Python string constants."""
from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

from service.paths import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "service"
#: the layers, bottom first; paths and config are the foundation every layer may use
LAYERS = ("store", "engine", "kg", "prose", "curation", "web", "cli")
FOUNDATION = ("paths", "config")


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def imports_of(path: Path) -> list[str]:
    """Every service module a file imports, wherever the import statement stands."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "service":
                found += [f"service.{alias.name}" for alias in node.names]
            elif node.module.startswith("service."):
                found.append(node.module)
                found += [f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in MODULES]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("service.")]
    return [name for name in found if name in MODULES or any(m.startswith(name + ".") for m in MODULES)]


def third_party_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
    return names


@pytest.mark.parametrize("module", [m for m in MODULES if layer_of(m) in LAYERS])
def test_each_module_imports_only_its_own_layer_and_those_below(module):
    own = LAYERS.index(layer_of(module))
    upward = [target for target in imports_of(MODULES[module])
              if layer_of(target) in LAYERS and LAYERS.index(layer_of(target)) > own]
    assert not upward, f"{module} ({layer_of(module)}) imports from a layer above it: {upward}"


def test_only_the_web_layer_imports_flask_or_werkzeug():
    outside = [m for m, path in MODULES.items()
               if layer_of(m) != "web" and third_party_imports(path) & {"flask", "werkzeug"}]
    assert not outside


def test_no_module_imports_itself_back_through_others():
    graph = defaultdict(set)
    for module, path in MODULES.items():
        graph[module] = {t for t in imports_of(path) if t in MODULES and t != module}
    on_path, done, cycles = [], set(), []

    def visit(module):
        if module in on_path:
            cycles.append(on_path[on_path.index(module):] + [module])
            return
        if module in done:
            return
        on_path.append(module)
        for target in graph[module]:
            visit(target)
        on_path.pop()
        done.add(module)

    for module in list(graph):
        visit(module)
    assert not cycles, cycles[0]


def test_modules_and_folders_stay_small():
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text(encoding="utf-8").splitlines())) > 450}
    crowded = {str(d): n for d in {p.parent for p in MODULES.values()} if (n := len(list(d.glob("*.py")))) > 16}
    assert not long and not crowded


SPARQL_TEXT = re.compile(r"\b(SELECT|CONSTRUCT|ASK|DESCRIBE|INSERT|DELETE)\b[^\n]*\bWHERE\b\s*\{", re.I)


def test_no_sparql_in_python_string_constants():
    found = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SPARQL_TEXT.search(node.value):
                found.append(f"{module}:{node.lineno}")
    assert not found, "SPARQL belongs in queries/*.rq: " + ", ".join(found)
