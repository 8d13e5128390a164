"""The catalogue of named queries: every file parses, its header is the contract, bad headers fail."""
from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import RDFS, Namespace

from service.kg.catalog import Catalog, CatalogError, MissingParameter, load_query
from service.paths import QUERIES_DIR

LBP = Namespace("https://w3id.org/lbp-kg/id/")

#: the public contract: these names and parameters must not change
CONTRACT = {
    "compensators": ["muscle"],
    "inhibitors": ["muscle"],
    "attachments": ["muscle"],
    "innervation": ["muscle"],
    "indicators": ["muscle"],
    "motor-points": ["condition"],
    "causes": ["condition"],
    "explain": ["from", "to"],
    "assessments": ["condition"],
    "muscle-group-members": ["group"],
    "actions": ["muscle"],
    "muscles-by-action": ["action"],
    "treatments": ["condition"],
    "sources": ["term"],
    "downstream": ["term"],
    "muscles-by-spinal-level": ["level"],
    "lower-crossed-pattern": [],
}

GOOD_HEADER = """# name: {name}
# title: Things of a muscle
# description: Which things does this muscle have?
# param: muscle | lbp:Muscle | The muscle.
PREFIX lbp: <https://w3id.org/lbp-kg/id/>
SELECT ?muscle ?thing WHERE {{ ?muscle lbp:has ?thing }}
"""


@pytest.fixture(scope="module")
def catalog():
    return Catalog.load(QUERIES_DIR)


def test_the_catalogue_offers_at_least_fifteen_questions(catalog):
    assert len(catalog) >= 15


@pytest.mark.parametrize("name, params", CONTRACT.items())
def test_the_public_query_names_and_parameters_are_kept(catalog, name, params):
    assert name in catalog
    assert [p.name for p in catalog.get(name).parameters] == params


def test_every_query_is_named_after_its_file_and_says_what_it_asks(catalog):
    for query in catalog:
        assert query.name == query.path.stem
        assert query.title and query.description.endswith("?")


def test_every_entity_column_is_followed_by_its_label(catalog):
    for query in catalog:
        columns = list(query.columns)
        for column in columns:
            if f"{column}Label" in columns:
                assert columns.index(f"{column}Label") == columns.index(column) + 1, (query.name, column)


def test_internal_and_qc_queries_are_not_in_the_catalogue(catalog):
    assert "labels" not in catalog
    assert not any(name.endswith("-violation") for name in catalog.names)


def test_the_catalogue_json_lists_name_title_description_and_parameters(catalog):
    entry = next(e for e in catalog.as_json() if e["name"] == "explain")
    assert entry["title"] and entry["description"]
    assert [p["name"] for p in entry["parameters"]] == ["from", "to"]
    assert all(p["description"] for p in entry["parameters"])
    assert "lbp:Muscle" in entry["parameters"][0]["types"]


def test_parameter_types_are_expanded_to_class_iris(catalog):
    (muscle,) = catalog.get("compensators").parameters
    assert muscle.type_iris == ("https://w3id.org/lbp-kg/id/Muscle", "https://w3id.org/lbp-kg/id/MuscleGroup")


def test_a_parameter_of_any_type_has_no_type_restriction(catalog):
    (term,) = catalog.get("sources").parameters
    assert term.type_iris == () and term.as_json()["types"] == ["any"]


def test_binding_makes_substitutions_not_text(catalog):
    query = catalog.get("compensators")
    bound = query.bind({"muscle": "https://w3id.org/lbp-kg/id/gluteus-medius"})
    assert bound == {ox.Variable("muscle"): ox.NamedNode("https://w3id.org/lbp-kg/id/gluteus-medius")}


def test_binding_without_a_value_names_the_missing_parameter(catalog):
    with pytest.raises(MissingParameter, match="muscle"):
        catalog.get("compensators").bind({})


def test_a_well_formed_file_loads(tmp_path):
    path = tmp_path / "things.rq"
    path.write_text(GOOD_HEADER.format(name="things"))
    query = load_query(path)
    assert query.parameters[0].name == "muscle" and query.columns == ("muscle", "thing")


@pytest.mark.parametrize("text, complaint", [
    (GOOD_HEADER.format(name="other"), "must equal the file name"),
    (GOOD_HEADER.format(name="things").replace("# title: Things of a muscle\n", ""), "lacks title"),
    (GOOD_HEADER.format(name="things").replace("| lbp:Muscle |", "| lbp:Muscle"), "param line"),
    (GOOD_HEADER.format(name="things").replace("lbp:Muscle |", "zz:Muscle |"), "known prefix"),
    (GOOD_HEADER.format(name="things").replace("# param: muscle", "# param: nerve"), "never appears"),
    (GOOD_HEADER.format(name="things").replace("SELECT ?muscle ?thing", "SELECT ?thing"), "must be projected"),
    (GOOD_HEADER.format(name="things").replace("# title:", "# titel:"), "unknown header key"),
    (GOOD_HEADER.format(name="things").replace("WHERE {", "WHERE {{"), "does not parse"),
])
def test_a_malformed_file_is_refused_with_a_reason(tmp_path, text, complaint):
    path = tmp_path / "things.rq"
    path.write_text(text)
    with pytest.raises(CatalogError, match=complaint):
        load_query(path)


#: how a query spells out the lbp:causes family: a path of alternatives or a FILTER ... IN list
_CAUSAL_FAMILY = re.compile(r"\((lbp:causes(?:\s*[|,]\s*lbp:\w+)+)\)")


def test_every_spelled_out_causal_family_is_the_sub_properties_of_lbp_causes(modules_graph):
    # Paths cannot follow rdfs:subPropertyOf, and Virtuoso 7.2 cannot join a table of them
    # (queries/README.md), so the queries name the family; a new sub-property must be added to each.
    # A list may name other relations too (internal/prose-entity-claims adds indicates, treats...).
    family = {str(p).rsplit("/", 1)[-1] for p in modules_graph.transitive_subjects(RDFS.subPropertyOf, LBP.causes)}
    spelled = {(path.relative_to(QUERIES_DIR), match) for path in sorted(QUERIES_DIR.rglob("*.rq"))
               for match in _CAUSAL_FAMILY.findall(path.read_text())}
    assert {name for name, _ in spelled} >= {Path(f"{n}.rq") for n in ("causes", "downstream", "inhibitors")}
    for name, match in spelled:
        assert {term.strip().removeprefix("lbp:") for term in re.split(r"[|,]", match)} >= family, name
