"""GET /search: labels, synonyms and prefixes, best match first, as [{id, label, type, matched}]."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from service.kg.labels import LabelIndex
from service.web.views.search import MAX_LIMIT

LBP = "https://w3id.org/lbp-kg/id/"
GLUTEUS_MUSCLES = {LBP + "gluteus-medius", LBP + "gluteus-maximus", LBP + "gluteus-minimus"}


def search(client, **params):
    response = client.get("/search", query_string=params)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.json


def test_every_hit_has_a_full_iri_a_label_a_type_and_what_matched(client):
    hits = search(client, q="gluteus medius")
    assert hits[0] == {**hits[0], "id": LBP + "gluteus-medius", "label": "gluteus medius",
                       "type": "lbp:Muscle", "matched": "gluteus medius"}


def test_a_prefix_finds_the_three_gluteus_muscles_at_the_top(client):
    hits = search(client, q="glute")
    top = [hit["id"] for hit in hits[:4]]
    assert GLUTEUS_MUSCLES <= set(top)
    assert set(top) - GLUTEUS_MUSCLES == {LBP + "gluteals"}  # the group they belong to


def test_a_synonym_finds_its_term_and_says_which_name_matched(client):
    hits = search(client, q="glute med")
    assert hits[0]["id"] == LBP + "gluteus-medius"
    assert hits[0]["matched"] == "glute med"


def test_a_short_name_finds_psoas_major_first(client):
    assert search(client, q="psoas")[0]["id"] == LBP + "psoas-major"


def test_search_ignores_case_and_extra_spaces(client):
    assert search(client, q="  GLUTEUS   Medius ")[0]["id"] == LBP + "gluteus-medius"


def test_type_narrows_the_hits_to_instances_of_a_class(client):
    hits = search(client, q="gluteus medius", type="lbp:MotorPoint")
    assert [hit["id"] for hit in hits] == [LBP + "gluteus-medius-motor-point"]


def test_limit_bounds_the_hits_and_is_capped(client):
    assert len(search(client, q="a", limit=3)) == 3
    assert len(search(client, q="a", limit=MAX_LIMIT * 10)) <= MAX_LIMIT


def test_no_match_is_an_empty_list(client):
    assert search(client, q="xylophone") == []


def test_a_missing_or_blank_query_is_400_json(client):
    for query in ({}, {"q": "   "}):
        response = client.get("/search", query_string=query)
        assert response.status_code == 400
        assert "q" in response.json["error"]


def test_a_bad_limit_or_type_is_400_json_saying_what_to_send(client):
    assert "whole number" in client.get("/search?q=glute&limit=many").json["error"]
    assert client.get("/search?q=glute&limit=0").status_code == 400
    empty = client.get("/search?q=glute&limit=")
    assert empty.status_code == 400 and "limit is empty" in empty.json["error"] and empty.json["parameter"] == "limit"
    assert "CURIE" in client.get("/search?q=glute&type=Muscle").json["error"]


@pytest.fixture(scope="module")
def crowded():
    """20,000 names containing "muscle", then the few that start with it, last in the index."""
    rows = [(LBP + f"m{n}", "label", f"synthetic muscle {n}") for n in range(20_000)]
    rows += [(LBP + "muscle", "label", "muscle"), (LBP + "back", "label", "muscle of the back"),
             (LBP + "pain", "label", "muscle pain"), (LBP + "pain", "type", LBP + "Symptom")]
    return LabelIndex.from_rows(rows)


def labels_and_ranks(hits):
    return [(hit["label"], hit["match"]) for hit in hits]


def test_the_bundled_ontology_is_searched_through_every_name_so_its_ranking_is_exact(app):
    index = app.extensions["lbp_kg"].labels
    for q in ("e", "s", "a", "muscle", "glut med"):
        assert sum(1 for _ in index.search_candidates(q)) < LabelIndex.MAX_EXAMINED


def test_a_word_in_every_name_fills_the_page_with_the_best_ranks_from_a_bounded_number_of_names(crowded):
    assert labels_and_ranks(crowded.search("muscle", limit=5)) == [
        ("muscle", "exact label"), ("muscle pain", "label prefix"), ("muscle of the back", "label prefix"),
        ("synthetic muscle 0", "label substring"), ("synthetic muscle 1", "label substring")]
    assert sum(1 for _ in crowded.search_candidates("muscle")) == LabelIndex.MAX_EXAMINED


def test_names_starting_with_the_query_come_shortest_first_however_many_there_are(crowded):
    assert labels_and_ranks(crowded.search("synthetic", limit=3)) == [
        ("synthetic muscle 0", "label prefix"), ("synthetic muscle 1", "label prefix"),
        ("synthetic muscle 2", "label prefix")]
    assert sum(1 for _ in crowded.search_candidates("synthetic")) == LabelIndex.MAX_EXAMINED


def test_a_name_starting_with_the_query_is_found_wherever_it_is_in_a_crowded_index(crowded):
    assert labels_and_ranks(crowded.search("muscle", types=[LBP + "Symptom"])) == [("muscle pain", "label prefix")]


def test_an_exact_name_comes_first_then_the_names_it_begins(crowded):
    hits = crowded.search("synthetic muscle 1234", limit=4)
    assert labels_and_ranks(hits) == [("synthetic muscle 1234", "exact label")] + [
        (f"synthetic muscle 1234{n}", "label prefix") for n in range(3)]


def test_words_of_a_query_found_in_no_name_find_nothing_in_a_crowded_index(crowded):
    assert crowded.search("synthetic muscle 802 overloadd") == []
    assert sum(1 for _ in crowded.search_candidates("synthetic muscle 802 overloadd")) == 0


def test_the_first_searches_of_a_new_index_answer_alike_however_many_ask_at_once():
    fresh = LabelIndex.from_rows([(LBP + f"m{n}", "label", f"synthetic muscle {n}") for n in range(2_000)])
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: fresh.search("synthetic muscle 1"), range(32)))
    assert all(answer == answers[0] for answer in answers) and len(answers[0]) == 20
