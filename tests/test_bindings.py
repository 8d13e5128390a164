"""Binding parameters in the query text (the rdflib and remote backends) does what substitution does.

pyoxigraph's substitution (SEP-0007) is the reference: a query bound by ``bind_with_values`` and
run without substitutions must answer exactly as the original query run with them, on small
graphs built to tell the cases apart and on every named query's example.
"""
from __future__ import annotations

from collections import Counter

import pyoxigraph as ox
import pytest

from bench.named_queries import core_data, example_bindings
from service.store.bindings import bind_with_values
from service.kg.catalog import Catalog
from service.kg.labels import LabelIndex
from service.paths import QUERIES_DIR
from service.store import OxigraphStore

EX = "http://example.org/"
LBP = "https://w3id.org/lbp-kg/id/"
A, C = ox.NamedNode(EX + "a"), ox.NamedNode(EX + "c")


@pytest.fixture(scope="module")
def store():
    """Two edges, a -p-> b and c -p-> d: a subquery that sorts and keeps one row picks a, not c."""
    graph = ox.Store()
    for subject, target in (("a", "b"), ("c", "d")):
        graph.add(ox.Quad(ox.NamedNode(EX + subject), ox.NamedNode(EX + "p"), ox.NamedNode(EX + target)))
    return graph


def answers(store, query: str, **substitutions) -> Counter:
    """The rows of ``query`` with ``substitutions`` bound by pyoxigraph."""
    bound = {ox.Variable(name): term for name, term in substitutions.items()}
    return Counter(tuple(str(term) for term in row) for row in store.query(query, substitutions=bound))


def answers_bound_with_values(store, query: str, **substitutions) -> Counter:
    """The rows of ``query`` with ``substitutions`` written into it as VALUES blocks."""
    return Counter(tuple(str(term) for term in row) for row in store.query(bind_with_values(query, substitutions)))


# --- the outer WHERE clause -----------------------------------------------------------------------

def test_bound_values_open_the_where_clause_and_ignore_keywords_in_strings_and_comments():
    query = 'SELECT ?x # WHERE { in a comment\nWHERE { ?x ?p "WHERE {" }'
    bound = bind_with_values(query, {"x": ox.NamedNode(LBP + "psoas-major")})
    assert bound == ('SELECT ?x # WHERE { in a comment\nWHERE {\n'
                     f'  VALUES (?x) {{ (<{LBP}psoas-major>) }}\n ?x ?p "WHERE {{" }}')


def test_bound_literals_are_escaped_so_a_value_cannot_change_the_query():
    bound = bind_with_values("ASK { ?x ?p ?o }", {"x": ox.Literal('a" } ; DROP ALL #\n')})
    assert '"a\\" } ; DROP ALL #\\n"' in bound
    with pytest.raises(ValueError):
        ox.NamedNode("http://example.org/> } DROP ALL {")


def test_a_bare_describe_gets_a_where_clause_binding_its_variable():
    bound = bind_with_values("DESCRIBE ?entity", {"entity": ox.NamedNode(LBP + "psoas-major")})
    assert bound == f"DESCRIBE ?entity\nWHERE {{ VALUES (?entity) {{ (<{LBP}psoas-major>) }} }}\n"


def test_a_construct_template_is_not_taken_for_the_where_clause():
    bound = bind_with_values("CONSTRUCT { ?x ?p ?o } { ?x ?p ?o }", {"x": C})
    assert bound == f"CONSTRUCT {{ ?x ?p ?o }} {{\n  VALUES (?x) {{ ({C}) }}\n ?x ?p ?o }}"


def test_a_brace_in_an_expression_of_the_projection_is_not_taken_for_the_where_clause(store):
    query = "SELECT ?x (EXISTS { ?x ?p ?o } AS ?linked) WHERE { ?x ?p ?o }"
    assert answers_bound_with_values(store, query, x=C) == answers(store, query, x=C) == Counter(
        {(str(C), '"true"^^<http://www.w3.org/2001/XMLSchema#boolean>'): 1})


# --- subqueries -----------------------------------------------------------------------------------

def test_a_subquery_that_projects_the_variable_is_bound_inside(store):
    query = "SELECT ?x ?y WHERE { { SELECT ?x WHERE { ?x ?p ?o } ORDER BY ?x LIMIT 1 } ?x ?q ?y }"
    bound = bind_with_values(query, {"x": C})
    assert bound.count(f"VALUES (?x) {{ ({C}) }}") == 2
    assert answers_bound_with_values(store, query, x=C) == answers(store, query, x=C) == Counter(
        {(str(C), f"<{EX}d>"): 1})


def test_a_subquery_that_does_not_project_the_variable_keeps_its_own(store):
    query = "SELECT ?x ?o WHERE { { SELECT ?o WHERE { ?x ?p ?o } ORDER BY ?o LIMIT 1 } }"
    assert bind_with_values(query, {"x": C}).count("VALUES") == 1
    assert answers_bound_with_values(store, query, x=C) == answers(store, query, x=C) == Counter(
        {(str(C), f"<{EX}b>"): 1})


def test_a_subquery_nested_in_one_that_does_not_project_the_variable_keeps_its_own(store):
    query = ("SELECT ?x ?y WHERE { { SELECT ?y WHERE {"
             " { SELECT ?x WHERE { ?x ?p ?o } ORDER BY ?x LIMIT 1 } ?x ?q ?y } } }")
    assert bind_with_values(query, {"x": C}).count("VALUES") == 1
    assert answers_bound_with_values(store, query, x=C) == answers(store, query, x=C) == Counter(
        {(str(C), f"<{EX}b>"): 1})


def test_subqueries_nested_in_ones_that_project_the_variable_are_bound_at_every_level(store):
    query = ("SELECT ?x ?y WHERE { { SELECT ?x ?y WHERE {"
             " { SELECT ?x WHERE { ?x ?p ?o } ORDER BY ?x LIMIT 1 } ?x ?q ?y } } }")
    assert bind_with_values(query, {"x": C}).count("VALUES") == 3
    assert answers_bound_with_values(store, query, x=C) == answers(store, query, x=C) == Counter(
        {(str(C), f"<{EX}d>"): 1})


def test_a_select_star_subquery_is_bound_inside(store):
    query = "SELECT ?x ?y WHERE { { SELECT * WHERE { ?x ?p ?y } ORDER BY ?x LIMIT 1 } }"
    assert bind_with_values(query, {"x": C}).count("VALUES") == 2
    assert answers_bound_with_values(store, query, x=C) == answers(store, query, x=C) == Counter(
        {(str(C), f"<{EX}d>"): 1})


def test_a_variable_named_only_as_an_expression_result_is_not_bound_inside(store):
    # (... AS ?x) assigns ?x: a VALUES block binding it inside would make the subquery invalid
    query = "SELECT ?x WHERE { { SELECT (MIN(?s) AS ?x) WHERE { ?s ?p ?o } } }"
    assert bind_with_values(query, {"x": A}).count("VALUES") == 1
    assert answers_bound_with_values(store, query, x=A) == Counter({(str(A),): 1})


def test_each_subquery_binds_only_the_variables_it_projects(store):
    query = ("SELECT ?x ?z WHERE { { SELECT ?x WHERE { ?x ?p ?o } ORDER BY ?x LIMIT 1 }"
             " { SELECT ?z WHERE { ?z ?p ?o } ORDER BY ?z LIMIT 1 } }")
    bound = bind_with_values(query, {"x": C, "z": C})
    assert bound.count(f"VALUES (?x ?z) {{ ({C} {C}) }}") == 1
    assert bound.count(f"VALUES (?x) {{ ({C}) }}") == bound.count(f"VALUES (?z) {{ ({C}) }}") == 1
    assert answers_bound_with_values(store, query, x=C, z=C) == answers(store, query, x=C, z=C) == Counter(
        {(str(C), str(C)): 1})


def test_a_where_clause_that_is_only_a_subquery_is_bound_around_and_inside_it(store):
    query = "SELECT ?x WHERE { SELECT ?x WHERE { ?x ?p ?o } ORDER BY ?x LIMIT 1 }"
    assert answers_bound_with_values(store, query, x=C) == answers(store, query, x=C) == Counter({(str(C),): 1})


def test_select_and_braces_in_strings_and_comments_are_not_taken_for_subqueries(store):
    query = 'SELECT ?x WHERE { ?x ?p ?o # { SELECT ?x WHERE {\n FILTER(?o != "{ SELECT ?x WHERE {") }'
    assert bind_with_values(query, {"x": C}).count("VALUES") == 1
    assert answers_bound_with_values(store, query, x=C) == answers(store, query, x=C) == Counter({(str(C),): 1})


def test_a_query_with_unbalanced_braces_is_refused():
    with pytest.raises(ValueError, match="unbalanced"):
        bind_with_values("SELECT ?x WHERE { { SELECT ?x WHERE { ?x ?p ?o }", {"x": C})


# --- the named queries --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ontology():
    store = OxigraphStore.from_data(core_data())
    return store, LabelIndex.from_store(store)


CATALOG = Catalog.load(QUERIES_DIR)


@pytest.mark.parametrize("name", [q.name for q in CATALOG if q.parameters])
def test_every_named_query_bound_with_values_answers_its_example_as_substitution_does(ontology, name):
    store, index = ontology
    query = CATALOG.get(name)
    substitutions = example_bindings(query, index)
    expected = Counter(tuple(map(str, row)) for row in store.query(query.text, substitutions=substitutions))
    text = bind_with_values(query.text, {variable.value: term for variable, term in substitutions.items()})
    assert Counter(tuple(map(str, row)) for row in store.query(text)) == expected and expected
