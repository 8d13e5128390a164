"""The label index: one entity per name, CURIE or IRI; helpful errors; ranked search."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from service.kg.label_cache import cached_label_index
from service.kg.labels import AmbiguousEntity, EntityNotFound, LabelIndex, normalise
from service.kg.spelling import SpellingIndex

LBP = "https://w3id.org/lbp-kg/id/"
MUSCLE = LBP + "Muscle"


@pytest.fixture(scope="module")
def index(app):
    return app.extensions["lbp_kg"].labels


@pytest.fixture()
def twins():
    """A small index where two muscles share the synonym "glute"."""
    rows = [
        (LBP + "a", "label", "alpha muscle"), (LBP + "a", "synonym", "glute"),
        (LBP + "b", "label", "beta muscle"), (LBP + "b", "synonym", "glute"),
        (LBP + "c", "label", "glute pain"),
    ]
    rows += [(LBP + x, kind, MUSCLE) for x in "ab" for kind in ("type", "asserted-type")]
    rows += [(LBP + "c", "type", LBP + "Symptom")]
    return LabelIndex.from_rows(rows)


def test_names_compare_without_case_hyphens_or_extra_spaces():
    assert normalise("  Gluteus-Medius ") == normalise("gluteus  medius") == "gluteus medius"


@pytest.mark.parametrize("value", [
    "gluteus medius", "Gluteus Medius", "lbp:gluteus-medius", LBP + "gluteus-medius",
])
def test_a_label_curie_or_iri_resolves_to_the_entity(index, value):
    assert index.resolve(value).iri == LBP + "gluteus-medius"


def test_an_external_id_resolves_through_its_exact_match(index):
    assert index.resolve("UBERON:0001298").iri == LBP + "psoas-major"
    assert index.resolve("http://purl.obolibrary.org/obo/HP_0003419").iri == LBP + "low-back-pain"


def test_a_synonym_resolves_when_no_label_matches(index):
    assert index.resolve("cannot lie flat").iri == LBP + "discomfort-lying-supine"


def test_resolving_reports_the_entity_type_and_its_label(index):
    entity = index.resolve("psoas major")
    assert entity.curie == "lbp:psoas-major"
    assert (entity.type, entity.type_label) == ("lbp:Muscle", "muscle")


def test_types_include_superclasses(index):
    assert LBP + "DysfunctionState" in index.resolve("psoas tightness").types


def test_types_follow_the_class_hierarchy_from_the_asserted_types_through_cycles():
    rows = [(LBP + "x", "label", "x"), (LBP + "x", "asserted-type", LBP + "A"),
            (LBP + "A", "subclass-of", LBP + "B"), (LBP + "B", "subclass-of", LBP + "C"),
            (LBP + "C", "subclass-of", LBP + "A")]
    assert LabelIndex.from_rows(rows).get(LBP + "x").types == {LBP + "A", LBP + "B", LBP + "C"}


def test_entities_of_the_same_classes_share_one_set_of_types(index):
    one, other = index.resolve("psoas major"), index.resolve("gluteus medius")
    assert one.types is other.types


def test_a_misspelling_is_not_found_but_the_intended_entity_is_suggested(index):
    with pytest.raises(EntityNotFound) as caught:
        index.resolve("glutues medius", [MUSCLE])
    assert caught.value.suggestions[0].label == "gluteus medius"


@pytest.mark.parametrize(("misspelt", "meant"), [
    ("gluteus medus", "gluteus medius"), ("psaos major", "psoas major"), ("quadratus lumborm", "quadratus lumborum"),
    ("piriformus", "piriformis"), ("lower crosed syndrome", "lower crossed syndrome"),
    ("tk9", "T9 spinal nerve level"),  # a name so short that the misspelling shares no trigram with it
])
def test_a_misspelt_name_suggests_the_entity_it_names_first(index, misspelt, meant):
    assert index.suggest(misspelt)[0].label == meant


def test_near_spellings_are_only_suggested_when_of_an_accepted_type(index):
    assert {e.type for e in index.suggest("quadratus lumborm")} == {"lbp:Muscle", "lbp:OverloadedState"}
    assert [e.label for e in index.suggest("quadratus lumborm", frozenset({MUSCLE}))] == [
        "quadratus lumborum", "quadratus femoris"]


def test_a_string_like_no_name_suggests_nothing(index):
    assert index.suggest("xqzvkwpl jjjrrr") == []


def test_suggestions_stop_at_the_limit(index):
    assert len(index.suggest("gluteus medus", limit=2)) == 2


def test_the_similarity_of_a_bounded_number_of_names_is_computed_however_many_names_share_its_letters():
    rows = [(LBP + f"m{n}", "label", f"synthetic muscle {n}") for n in range(20_000)]
    rows.append((LBP + "gluteus-medius", "label", "gluteus medius"))
    many = LabelIndex.from_rows(rows)
    assert len(many.spellings().candidates("synthetic muscle 1234x")) == SpellingIndex.MAX_CANDIDATES
    assert many.suggest("synthetic muscle 1234x")[0].label == "synthetic muscle 1234"
    assert many.suggest("glutues medius")[0].label == "gluteus medius"


def test_the_spelling_index_is_built_once_however_many_requests_ask_for_it_at_once(twins):
    with ThreadPoolExecutor(max_workers=8) as pool:
        built = list(pool.map(lambda _: twins.spellings(), range(32)))
    assert all(spellings is built[0] for spellings in built)


def test_an_entity_of_the_wrong_type_is_not_found_and_the_message_says_what_it_is(index):
    with pytest.raises(EntityNotFound, match="symptom"):
        index.resolve("low back pain", [MUSCLE])


def test_a_name_shared_by_two_entities_of_the_accepted_types_is_ambiguous(twins):
    with pytest.raises(AmbiguousEntity) as caught:
        twins.resolve("glute", [MUSCLE])
    assert [c.label for c in caught.value.candidates] == ["alpha muscle", "beta muscle"]


def test_the_type_restriction_can_settle_an_ambiguity(twins):
    assert twins.resolve("glute pain").iri == LBP + "c"
    assert twins.resolve("alpha muscle", [MUSCLE]).iri == LBP + "a"


def test_a_label_beats_a_synonym(twins):
    rows = [(LBP + "x", "label", "glute"), (LBP + "y", "synonym", "glute")]
    assert LabelIndex.from_rows(rows).resolve("glute").iri == LBP + "x"


def test_search_ranks_exact_label_before_prefix_before_substring(index):
    hits = index.search("gluteus medius")
    assert hits[0]["id"] == "lbp:gluteus-medius" and hits[0]["match"] == "exact label"
    ranks = [h["match"] for h in index.search("glute")]
    assert ranks == sorted(ranks, key=["identifier", "exact label", "exact synonym", "synonym", "label prefix",
                                       "synonym prefix", "label substring", "synonym substring",
                                       "word prefixes"].index)


def test_search_answers_with_id_label_type_and_what_matched(index):
    hit = index.search("psoas major", limit=1)[0]
    assert {"id", "label", "type", "matched"} <= set(hit)
    assert hit["matched"] == "psoas major"


def test_search_finds_a_term_by_the_start_of_each_word(index):
    assert "lbp:gluteus-medius" in [h["id"] for h in index.search("glut med")]


def test_search_can_be_restricted_to_types_and_limited(index):
    hits = index.search("gluteus", limit=3, types=[MUSCLE])
    assert len(hits) == 3 and all(h["type"] == "lbp:Muscle" for h in hits)


def test_search_for_nothing_finds_nothing(index):
    assert index.search("   ") == [] and index.search("zzqqxx") == []


def test_an_index_rebuilt_from_its_record_answers_as_the_original(index):
    copy = LabelIndex.from_record(json.loads(json.dumps(index.to_record())))
    assert copy.to_record() == index.to_record() and len(copy) == len(index)
    assert copy.resolve("UBERON:0001298") == index.resolve("UBERON:0001298")
    assert copy.search("glut med") == index.search("glut med")
    assert copy.suggest("glutues medius") == index.suggest("glutues medius")


def test_the_index_of_a_graph_version_is_built_once_then_read_from_the_cache(kb, tmp_path, monkeypatch):
    built = cached_label_index(kb.store, tmp_path)
    assert list(tmp_path.glob(f"query-store/{kb.store.version}.labels-*.json"))

    def must_not_build(*args, **kwargs):
        raise AssertionError("the index was built again")

    monkeypatch.setattr(LabelIndex, "from_store", must_not_build)
    assert cached_label_index(kb.store, tmp_path).to_record() == built.to_record()


def test_an_index_that_cannot_be_cached_is_still_built(kb, tmp_path):
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    assert cached_label_index(kb.store, not_a_directory).resolve("gluteus medius").iri == LBP + "gluteus-medius"
