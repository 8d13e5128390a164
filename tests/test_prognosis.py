"""The prognosis by duration: the article's expectation depends on how long the pattern has stood
("present for years generally takes more consistent work to fully resolve than a recent onset
case", "What to expect when you visit"). The graph holds one statement that holds whatever the
duration and one per duration, each sourced with its section and hedge; the `prognosis` named
query answers one row per statement; a case gives the statement for its duration."""
from __future__ import annotations

from service.kg.vocabulary import LBP

ARTICLE = "Lau: Low back pain and the role of the glutes"
SECTION = "What to expect when you visit"
ARTICLE_PICTURE = ["low back pain worse after prolonged sitting", "difficulty fully straightening the hip in standing",
                   "cannot lie flat"]
SOURCED_STATEMENTS = """PREFIX lbp: <https://w3id.org/lbp-kg/id/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX obo: <http://purl.obolibrary.org/obo/>
SELECT ?prognosis ?duration WHERE {
  ?prognosis a lbp:Prognosis ; obo:IAO_0000115 ?statement ; dcterms:source lbp:source-lau-low-back-pain-glutes ;
             lbp:sourceSection ?section ; lbp:hedge ?hedge ; lbp:evidenceCode obo:ECO_0000303 .
  OPTIONAL { ?prognosis lbp:forDuration ?duration } }"""


def case_prognosis(client, duration=None) -> dict:
    body = {"findings": ARTICLE_PICTURE, **({"duration": duration} if duration else {})}
    response = client.post("/cases", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["plan"]["prognosis"]


def test_the_prognosis_query_answers_one_row_per_statement(ask):
    rows = ask("prognosis", condition="lower crossed syndrome")
    statements = [row["prognosis"] for row in rows]
    assert len(statements) == len(set(statements)) == 3, "a statement is printed more than once"
    assert [row["durationLabel"] for row in rows] == [None, "long-standing", "recent"]  # the general one first
    for row in rows:
        assert row["statement"] and row["sourceLabel"] == ARTICLE and row["section"] == SECTION, row
        assert row["hedge"], row


def test_each_duration_has_its_own_sourced_statement_in_the_graph(kb):
    durations = [row["duration"].value if row["duration"] is not None else None
                 for row in kb.store.query(SOURCED_STATEMENTS)]
    assert sorted(durations, key=str) == sorted([None, LBP + "duration-recent", LBP + "duration-long-standing"], key=str)


def test_a_recent_and_a_long_standing_case_get_different_prognoses_each_sourced(client):
    recent, long_standing = case_prognosis(client, "recent"), case_prognosis(client, "long-standing")
    assert recent["statement"] != long_standing["statement"]
    assert "recent onset" in recent["statement"] and "less consistent work" in recent["statement"]
    assert "for years" in long_standing["statement"] and "more consistent work" in long_standing["statement"]
    for note, duration in ((recent, "recent"), (long_standing, "long-standing")):
        assert note["duration"] == duration
        assert (note["sourceLabel"], note["section"], note["hedges"]) == (ARTICLE, SECTION, ["generally"])
        # the statement that holds whatever the duration comes with it, and only this duration's
        assert [s["forDuration"] for s in note["statements"]] == [None, duration]
        assert note["statements"][1]["statement"] == note["statement"]


def test_a_case_without_a_duration_gets_the_general_statement_and_both_durations(client):
    note = case_prognosis(client)
    assert note["duration"] is None and note["hedges"] == ["most patients"]
    assert "depends on how established the pattern is" in note["statement"]
    assert [s["forDuration"] for s in note["statements"]] == [None, "long-standing", "recent"]
    assert all(s["sourceLabel"] == ARTICLE and s["section"] == SECTION for s in note["statements"])


def test_the_case_page_shows_the_prognosis_for_the_duration_given(client):
    for duration, expected, other in (("recent", "recent onset generally needs less", "more consistent work"),
                                      ("long-standing", "present for years generally needs more", "less consistent work")):
        html = client.get("/cases", query_string={"finding": ARTICLE_PICTURE, "duration": duration}).get_data(as_text=True)
        section = html[html.index('class="case-prognosis"'):]
        section = section[:section.index("</ul>")]
        assert expected in section and other not in section and ARTICLE in section and "hedged: generally" in section
