"""GET /search: labels, synonyms and prefixes, best match first, as [{id, label, type, matched}]."""
from __future__ import annotations

from service.search import MAX_LIMIT

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
    assert "CURIE" in client.get("/search?q=glute&type=Muscle").json["error"]
