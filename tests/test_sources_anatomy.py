"""Every source of an anatomy claim is a standard anatomy reference (or the article, a guideline or an
ontology), never a flashcard site, a document-sharing copy, a mirror or a dictionary page.

An anatomy claim is a dcterms:source on an anatomy term (a muscle, group, nerve, bone, site, level,
body structure or action) or an owl:Axiom annotating one of the anatomy relations of such a term.
Its source must be an lbp:Source whose URL (dcterms:identifier) is on a host below, or, without a
URL, the practitioner's article or a guideline. The same hosts bound any web address written in an
anatomy term's own text (definitions, notes), so a page cannot come back through a note.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from rdflib import OWL, RDF, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS

LBP = Namespace("https://w3id.org/lbp-kg/id/")
OBO = Namespace("http://purl.obolibrary.org/obo/")

#: The standard references, by the domain their pages are served from, with why each is one.
STANDARD_ANATOMY_HOSTS = {
    "teachmeanatomy.info": "TeachMeAnatomy",
    "kenhub.com": "Kenhub",
    "radiopaedia.org": "Radiopaedia",
    "ncbi.nlm.nih.gov": "NCBI: StatPearls on the Bookshelf, and anatomical studies in PubMed Central",
    "pubmed.gov": "PubMed records of StatPearls chapters (NCBI)",
    "bartleby.com": "Gray's Anatomy, 20th U.S. edition (1918), as published online by Bartleby.com",
    "elsevier.com": "Elsevier, publisher of Gray's Anatomy: its Complete Anatomy reference pages",
    "imaios.com": "IMAIOS e-Anatomy, a radiological anatomy atlas",
    "imaios.cn": "IMAIOS e-Anatomy (the same atlas on its other domain)",
}
#: Ontologies whose own statements the anatomy module reuses (Uberon, FMA, RO through their PURLs).
ONTOLOGY_HOSTS = {"obolibrary.org": "OBO PURLs (Uberon, RO, BFO)", "ebi.ac.uk": "EBI Ontology Lookup Service"}
ALLOWED_HOSTS = {**STANDARD_ANATOMY_HOSTS, **ONTOLOGY_HOSTS}
#: Sources that need no web address: the practitioner's article and guidelines.
ALLOWED_KINDS_WITHOUT_URL = {LBP["source-kind-practitioner-article"], LBP["source-kind-clinical-guideline"]}

ANATOMY_CLASSES = (LBP.Muscle, LBP.MuscleGroup, LBP.Bone, LBP.BonySite, LBP.SoftTissueSite, LBP.Nerve,
                   LBP.SpinalSegment, LBP.BodyStructure, LBP.Action)
ANATOMY_RELATIONS = (OBO.RO_0002372, OBO.RO_0002373, OBO.RO_0002005, OBO.RO_0002568, OBO.BFO_0000050,
                     LBP.hasSegmentalInnervation, LBP.hasPrimaryAction, LBP.memberOf, LBP.hasMember)
URL_IN_TEXT = re.compile(r"https?://[^\s)\"'<>]+")


def host_allowed(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return any(host == domain or host.endswith("." + domain) for domain in ALLOWED_HOSTS)


def anatomy_terms(graph: Graph) -> set:
    return {term for cls in ANATOMY_CLASSES for term in graph.subjects(RDF.type, cls)}


def anatomy_claim_sources(graph: Graph) -> dict:
    """Every source of an anatomy claim, with the terms whose claims cite it."""
    terms = anatomy_terms(graph)
    cited: dict = {}
    for term in terms:
        for source in graph.objects(term, DCTERMS.source):
            cited.setdefault(source, set()).add(term)
    for axiom in graph.subjects(RDF.type, OWL.Axiom):
        subject = graph.value(axiom, OWL.annotatedSource)
        if subject in terms and graph.value(axiom, OWL.annotatedProperty) in ANATOMY_RELATIONS:
            for source in graph.objects(axiom, DCTERMS.source):
                cited.setdefault(source, set()).add(subject)
    return cited


def disallowed_sources(graph: Graph) -> list[tuple]:
    """(source, why) for each source of an anatomy claim that is not a standard reference."""
    problems = []
    for source in anatomy_claim_sources(graph):
        if not isinstance(source, URIRef) or (source, RDF.type, LBP.Source) not in graph:
            problems.append((source, "not an lbp:Source record"))
            continue
        url = graph.value(source, DCTERMS.identifier)
        if url is None:
            if graph.value(source, LBP.sourceKind) not in ALLOWED_KINDS_WITHOUT_URL:
                problems.append((source, "no URL, and not the article or a guideline"))
        elif not host_allowed(str(url)):
            problems.append((source, f"host of {url} is not a standard reference"))
    return problems


def disallowed_addresses_in_text(graph: Graph) -> list[tuple]:
    found = []
    for term in anatomy_terms(graph):
        for _, _, value in graph.triples((term, None, None)):
            if isinstance(value, Literal):
                found += [(term, url) for url in URL_IN_TEXT.findall(str(value)) if not host_allowed(url)]
    return found


@pytest.fixture(scope="module")
def graph(modules_graph) -> Graph:
    return modules_graph


def test_every_source_of_an_anatomy_claim_is_a_standard_reference(graph):
    cited = anatomy_claim_sources(graph)
    assert len(cited) > 40
    assert disallowed_sources(graph) == []


def test_no_anatomy_term_names_a_page_outside_the_standard_references_in_its_text(graph):
    assert disallowed_addresses_in_text(graph) == []


def test_every_standard_reference_host_is_actually_cited(graph):
    hosts = {(urlsplit(str(graph.value(source, DCTERMS.identifier))).hostname or "")
             for source in anatomy_claim_sources(graph) if graph.value(source, DCTERMS.identifier)}
    for domain in STANDARD_ANATOMY_HOSTS:
        if domain in ("imaios.cn",):  # one atlas on two domains; imaios.com is checked
            continue
        assert any(host == domain or host.endswith("." + domain) for host in hosts), domain


@pytest.mark.parametrize("url", [
    "https://www.cram.com/flashcards/structures-of-the-thigh-511558",
    "https://www.scribd.com/document/561231783/Bursae",
    "https://medical-dictionary.thefreedictionary.com/erector+spinae+(muscles)",
    "http://www.gpnotebook.co.uk/simplepage.cfm?ID=-181075889",
    "https://www.drugs.com/dict/psoas-major-muscle.html",
    "https://www.rrnursingschool.biz/abdominal-wall-2/the-femoral-nerve-l234-fig-441.html",
    "http://www.bartelby.net/107/pages/page475.html",
    "https://teachmeanatomy.info.example.net/encyclopaedia/p/psoas-major",
])
def test_a_source_on_a_page_outside_the_standard_references_is_caught(graph, url):
    bad = LBP["source-test-bad-page"]
    probe = Graph()
    probe += graph
    probe.add((bad, RDF.type, LBP.Source))
    probe.add((bad, DCTERMS.identifier, Literal(url)))
    probe.add((LBP["psoas-major"], DCTERMS.source, bad))
    assert [source for source, _ in disallowed_sources(probe)] == [bad]


def test_a_bare_web_page_or_an_unsourced_record_is_caught(graph):
    probe = Graph()
    probe += graph
    probe.add((LBP["iliacus"], DCTERMS.source, URIRef("https://teachmeanatomy.info/encyclopaedia/i/iliacus/")))
    record = LBP["source-test-no-url"]
    probe.add((record, RDF.type, LBP.Source))
    probe.add((record, LBP.sourceKind, LBP["source-kind-anatomy-reference"]))
    axiom = LBP["axiom-test"]
    probe.add((axiom, RDF.type, OWL.Axiom))
    probe.add((axiom, OWL.annotatedSource, LBP["gluteus-medius"]))
    probe.add((axiom, OWL.annotatedProperty, OBO.RO_0002373))
    probe.add((axiom, OWL.annotatedTarget, LBP["greater-trochanter"]))
    probe.add((axiom, DCTERMS.source, record))
    assert {source for source, _ in disallowed_sources(probe)} == {
        URIRef("https://teachmeanatomy.info/encyclopaedia/i/iliacus/"), record}


def test_a_page_written_into_a_note_is_caught(graph):
    probe = Graph()
    probe += graph
    probe.add((LBP["femoral-nerve"], LBP.spinalLevelNote,
               Literal("as read at https://www.rrnursingschool.biz/abdominal-wall-2/the-femoral-nerve.html")))
    assert [term for term, _ in disallowed_addresses_in_text(probe)] == [LBP["femoral-nerve"]]


def test_the_article_and_guidelines_may_be_cited_without_a_web_address(graph):
    probe = Graph()
    probe += graph
    probe.add((LBP["psoas-major"], DCTERMS.source, LBP["source-lau-low-back-pain-glutes"]))
    assert disallowed_sources(probe) == []
