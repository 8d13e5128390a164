"""What the benchmark asks: the floor, /health, every named query and four SPARQL queries.

A ``Workload`` is one URL on lbp-kg plus, where the peers can answer the same question, the
SPARQL text they run: the query itself for /sparql workloads, and for a named query its ``.rq``
file with the parameter bound by a trailing ``VALUES`` clause (the peers have no named queries).
"""
from __future__ import annotations

import json
import re
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote, urlencode

import pyoxigraph as ox

from service.store.bindings import bind_with_values

BENCH_QUERIES_DIR = Path(__file__).with_name("queries")
RESOLVE_TERM_QUERY = BENCH_QUERIES_DIR / "support" / "resolve-term.rq"
#: the SPARQL workloads, in the order the report lists them
SPARQL_QUERY_NAMES = ("label-lookup", "two-hops", "property-path", "aggregate")
SPARQL_RESULTS_JSON = "application/sparql-results+json"
JSON_ANSWER = "application/sparql-results+json, application/json;q=0.9"

LBP = "https://w3id.org/lbp-kg/id/"
#: A realistic value for a parameter, by the first class it accepts (what a clinician would ask).
PARAMETER_VALUES = {
    f"{LBP}Muscle": "gluteus medius",
    f"{LBP}MuscleGroup": "deep hip rotators",
    f"{LBP}Action": "hip abduction",
    f"{LBP}Nerve": "superior gluteal nerve",
    f"{LBP}SpinalSegment": "L5",
    f"{LBP}Condition": "lower crossed syndrome",
    f"{LBP}RiskFactor": "prolonged sitting",
    f"{LBP}DysfunctionState": "gluteus medius inhibition",
    f"{LBP}Treatment": "motor point acupuncture",
    f"{LBP}Bone": "femur",
}
ANY_TYPE_VALUE = "gluteus medius"


@dataclass(frozen=True)
class Workload:
    """One thing to measure: a path on lbp-kg and, when the peers can run it too, its SPARQL."""

    name: str
    group: str  # floor, health, named or sparql
    path: str
    accept: str
    sparql: str | None = None
    #: sent with ``Cache-Control: no-cache``: lbp-kg evaluates every request instead of replaying
    #: a cached answer (peers cache nothing, so they run each workload once, without it)
    fresh: bool = False
    #: a named workload's query name and its parameters' IRIs (what lbp-kg binds by substitution)
    query: str | None = None
    bindings: tuple[tuple[str, str], ...] = ()

    @property
    def headers(self) -> dict[str, str]:
        """The request headers of this workload."""
        return {"Accept": self.accept, **({"Cache-Control": "no-cache"} if self.fresh else {})}

    def uncached(self) -> "Workload":
        """The same request, asking for a fresh evaluation every time."""
        return replace(self, fresh=True)


def read_query(path: Path) -> str:
    """Return a query file's text."""
    return Path(path).read_text(encoding="utf-8")


def sparql_workloads(queries_dir: Path = BENCH_QUERIES_DIR) -> list[Workload]:
    """Return the four /sparql workloads (label lookup, two hops, property path, aggregate)."""
    workloads = []
    for name in SPARQL_QUERY_NAMES:
        text = read_query(queries_dir / f"{name}.rq")
        workloads.append(Workload(name=f"sparql {name}", group="sparql",
                                  path="/sparql?" + urlencode({"query": text}, quote_via=quote),
                                  accept=SPARQL_RESULTS_JSON, sparql=text))
    return workloads


def fetch_catalogue(base_url: str, timeout: float = 10.0) -> list[dict]:
    """Return the named-query catalogue the service publishes at GET /queries."""
    request = urllib.request.Request(base_url + "/queries", headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        document = json.load(response)
    if isinstance(document, dict):
        document = document.get("queries", [])
    return list(document)


def parameter_value(types: list[str], prefixes: dict[str, str]) -> str:
    """Pick the benchmark's value for a parameter that accepts the given class CURIEs."""
    for curie in types:
        prefix, _, local = curie.partition(":")
        iri = prefixes.get(prefix, "") + local
        if iri in PARAMETER_VALUES:
            return PARAMETER_VALUES[iri]
    return ANY_TYPE_VALUE


class TermResolver:
    """Turn a parameter value (label or exact synonym) into an IRI, over the core ontology."""

    def __init__(self, ntriples: Path):
        self.store = ox.Store()
        self.store.bulk_load(path=str(ntriples), format=ox.RdfFormat.N_TRIPLES)
        self.query = read_query(RESOLVE_TERM_QUERY)

    def resolve(self, value: str, type_iris: list[str]) -> str | None:
        """Return the IRI of the term called ``value`` of one of the types (any type if none)."""
        rows = self.store.query(self.query, substitutions={ox.Variable("value"): ox.Literal(value, language="en")})
        for row in rows:
            if not type_iris or row["type"].value in type_iris:
                return row["term"].value
        return None


def example_values(queries_dir: Path, name: str) -> dict[str, str]:
    """Return the ``# example: param=value`` values a named query's file gives, if any."""
    path = Path(queries_dir) / f"{name}.rq"
    if not path.exists():
        return {}
    from service.kg.catalog import load_query

    return dict(getattr(load_query(path), "examples", ()))


def named_query_workloads(catalogue: list[dict], queries_dir: Path, resolver: TermResolver,
                          prefixes: dict[str, str]) -> tuple[list[Workload], list[str]]:
    """Return a workload per named query, with realistic parameter values, and any problems found.

    A parameter takes the value of the query file's ``# example:`` line, else a value picked by
    the class it accepts (PARAMETER_VALUES).
    """
    workloads, problems = [], []
    for entry in catalogue:
        name = entry["name"]
        examples = example_values(queries_dir, name)
        params, bindings = {}, {}
        for parameter in entry.get("parameters", []):
            types = [t for t in parameter.get("types", []) if t != "any"]
            value = examples.get(parameter["name"]) or parameter_value(types, prefixes)
            params[parameter["name"]] = value
            type_iris = [prefixes.get(t.partition(":")[0], "") + t.partition(":")[2] for t in types]
            iri = resolver.resolve(value, type_iris)
            if iri is None:
                problems.append(f"{name}: no term called {value!r} of type {' or '.join(types) or 'any'}; "
                                "the peers do not run this query")
            else:
                bindings[parameter["name"]] = iri
        path = f"/queries/{quote(name)}" + (("?" + urlencode(params, quote_via=quote)) if params else "")
        source = Path(queries_dir) / f"{name}.rq"
        sparql = None
        if source.exists() and len(bindings) == len(params):
            # the peers take no substitutions: bind as the service's rdflib and remote backends do
            sparql = bind_with_values(read_query(source), {k: ox.NamedNode(v) for k, v in bindings.items()})
        label = name + "".join(f" ({k}={v})" for k, v in params.items())
        workloads.append(Workload(name=f"named {label}", group="named", path=path,
                                  accept=JSON_ANSWER, sparql=sparql, query=name,
                                  bindings=tuple(sorted(bindings.items())) if len(bindings) == len(params) else ()))
    return workloads, problems
