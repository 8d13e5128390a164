"""The catalogue of named queries: find ``queries/*.rq`` once, parse and check their headers.

A named query starts with ``# key: value`` comment lines (see queries/README.md):

    # name: compensators
    # title: Muscles that compensate for an inhibited muscle
    # description: Which muscles take over, and become overloaded, when this muscle is inhibited?
    # param: muscle | lbp:Muscle lbp:MuscleGroup | The inhibited muscle (label, synonym, CURIE or IRI).
    # example: muscle=gluteus medius

``example`` lines (one ``param=value`` each) give a value to try, e.g. for ``lbp-kg check``.
The header is the leading block of such lines; it ends at the first line that is not one (a bare
``#`` line, a blank line or the query itself), so free comments may follow it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from service.kg.vocabulary import expand_curie, prefixes
from service.paths import QUERIES_DIR

HEADER_LINE = re.compile(r"^#\s*(?P<key>[A-Za-z]+)\s*:\s*(?P<value>.*?)\s*$")
HEADER_KEYS = ("name", "title", "description", "param", "example")
VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: the type word that lets a parameter take an entity of any type
ANY_TYPE = "any"


class CatalogError(ValueError):
    """A named query file is malformed; the message names the file and what to fix."""


class MissingParameter(ValueError):
    """A named query was run without a value for one of its parameters."""

    def __init__(self, query: "NamedQuery", parameter: "Parameter"):
        self.query = query
        self.parameter = parameter
        super().__init__(f"query {query.name!r} needs the parameter {parameter.name!r}: {parameter.description}")


@dataclass(frozen=True)
class Parameter:
    """One parameter of a named query: the variable it binds and the entity types it accepts."""

    name: str
    #: accepted classes as written in the header (CURIEs); empty means any type
    types: tuple[str, ...]
    description: str
    #: the same classes as full IRIs
    type_iris: tuple[str, ...] = ()

    def as_json(self) -> dict:
        """Describe the parameter for the catalogue."""
        return {"name": self.name, "description": self.description, "types": list(self.types) or [ANY_TYPE]}


@dataclass(frozen=True)
class NamedQuery:
    """A competency question as a SPARQL query with a parsed header."""

    name: str
    title: str
    description: str
    parameters: tuple[Parameter, ...]
    text: str
    path: Path
    #: the projected variables, in order (the columns of every answer)
    columns: tuple[str, ...] = ()
    #: example parameter values from ``# example: param=value`` lines, in header order
    examples: tuple[tuple[str, str], ...] = ()

    def bind(self, iris: dict[str, str]) -> dict[ox.Variable, ox.NamedNode]:
        """Return SPARQL substitutions binding each parameter to its resolved entity IRI.

        The values are bound as terms, never pasted into the query text, so no value can change
        what the query does.
        """
        for parameter in self.parameters:
            if not iris.get(parameter.name):
                raise MissingParameter(self, parameter)
        return {ox.Variable(p.name): ox.NamedNode(iris[p.name]) for p in self.parameters}

    def as_json(self) -> dict:
        """Describe the query for the catalogue."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "parameters": [p.as_json() for p in self.parameters],
            "columns": list(self.columns),
        }


def _parse_param(value: str, path: Path) -> Parameter:
    parts = [part.strip() for part in value.split("|")]
    if len(parts) != 3 or not all(parts):
        raise CatalogError(f"{path.name}: a param line must read 'name | types | description', got {value!r}")
    name, type_text, description = parts
    if not VARIABLE_NAME.match(name):
        raise CatalogError(f"{path.name}: parameter name {name!r} is not a SPARQL variable name")
    types = tuple(type_text.split())
    if types == (ANY_TYPE,):
        return Parameter(name=name, types=(), description=description)
    iris = []
    for curie in types:
        iri = expand_curie(curie)
        if iri is None:
            raise CatalogError(f"{path.name}: parameter {name!r} accepts {curie!r}, which is neither "
                               f"'{ANY_TYPE}' nor a CURIE with a known prefix ({', '.join(prefixes())})")
        iris.append(iri)
    return Parameter(name=name, types=types, description=description, type_iris=tuple(iris))


def _parse_example(value: str, path: Path) -> tuple[str, str]:
    name, sep, example = (part.strip() for part in value.partition("="))
    if not sep or not name or not example:
        raise CatalogError(f"{path.name}: an example line must read 'param=value', got {value!r}")
    return name, example


def parse_header(text: str, path: Path) -> dict:
    """Return the header of a query file as {name, title, description, parameters}."""
    header: dict = {"parameters": [], "examples": []}
    for line in text.splitlines():
        match = HEADER_LINE.match(line)
        if not match:
            break
        key, value = match["key"], match["value"]
        if key not in HEADER_KEYS:
            raise CatalogError(f"{path.name}: unknown header key {key!r}; the header keys are "
                               + ", ".join(HEADER_KEYS))
        if key == "param":
            header["parameters"].append(_parse_param(value, path))
        elif key == "example":
            header["examples"].append(_parse_example(value, path))
        elif key in header:
            raise CatalogError(f"{path.name}: header key {key!r} is given twice")
        else:
            header[key] = value
    missing = [key for key in ("name", "title", "description") if not header.get(key)]
    if missing:
        raise CatalogError(f"{path.name}: the header lacks {', '.join(missing)} (see queries/README.md)")
    return header


def _projected_columns(text: str, path: Path) -> tuple[str, ...]:
    # Running the query on an empty store checks its syntax and yields its projection cheaply.
    try:
        result = ox.Store().query(text)
    except SyntaxError as err:
        raise CatalogError(f"{path.name}: the query does not parse: {err}") from None
    if isinstance(result, ox.QuerySolutions):
        return tuple(v.value for v in result.variables)
    return ()


def load_query(path: Path) -> NamedQuery:
    """Read one ``.rq`` file and check its header against its body."""
    text = path.read_text(encoding="utf-8")
    header = parse_header(text, path)
    if header["name"] != path.stem:
        raise CatalogError(f"{path.name}: header name {header['name']!r} must equal the file name "
                           f"{path.stem!r} (the file name is the public contract)")
    names = [p.name for p in header["parameters"]]
    if len(set(names)) != len(names):
        raise CatalogError(f"{path.name}: a parameter is declared twice: {names}")
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    for name in names:
        if not re.search(rf"[?$]{name}\b", body):
            raise CatalogError(f"{path.name}: parameter {name!r} never appears as ?{name} in the query")
    examples = header["examples"]
    for name, _ in examples:
        if name not in names:
            raise CatalogError(f"{path.name}: the example gives {name!r}, which is not a parameter ({names})")
    if len({name for name, _ in examples}) != len(examples):
        raise CatalogError(f"{path.name}: an example parameter is given twice")
    columns = _projected_columns(text, path)
    for name in names:
        # SPARQL substitution binds only projected variables (pyoxigraph refuses the others)
        if columns and name not in columns:
            raise CatalogError(f"{path.name}: parameter {name!r} must be projected (SELECT ... ?{name} ...)")
    return NamedQuery(
        name=header["name"],
        title=header["title"],
        description=header["description"],
        parameters=tuple(header["parameters"]),
        text=text,
        path=path,
        columns=columns,
        examples=tuple(examples),
    )


@dataclass(frozen=True)
class Catalog:
    """Every named query of a directory, by name, in file-name order."""

    queries: dict[str, NamedQuery]

    @classmethod
    def load(cls, directory: Path | str = QUERIES_DIR) -> "Catalog":
        """Parse every ``*.rq`` directly in ``directory`` (not qc/ or internal/)."""
        paths = sorted(Path(directory).glob("*.rq"))
        return cls(queries={query.name: query for query in map(load_query, paths)})

    def get(self, name: str) -> NamedQuery | None:
        """Return the named query, or None."""
        return self.queries.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self.queries

    def __iter__(self):
        return iter(self.queries.values())

    def __len__(self) -> int:
        return len(self.queries)

    @property
    def names(self) -> list[str]:
        """The query names, sorted."""
        return list(self.queries)

    def as_json(self) -> list[dict]:
        """Describe every query: name, title, description, parameters (and result columns)."""
        return [query.as_json() for query in self]


def read_query_file(path: Path | str) -> str:
    """Return the text of a query file the service runs internally (no header required)."""
    return Path(path).read_text(encoding="utf-8")
