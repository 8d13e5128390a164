"""Turn an edge (subject, relation, object) into a sentence that is true of the things it names.

The causal graph links states, not muscles: ``anterior-pelvic-tilt inhibits gluteus-medius-inhibition``.
Read word for word that says "anterior pelvic tilt inhibits gluteus medius inhibition", which is
false (the tilt brings the inhibition about). ``edge_sentence`` names a muscle's state by its
muscle (lbp:stateOf), with an adjective as subject ("inhibited gluteus medius overloads ...") and
bare as the object of a relation that already says what happens to it ("... inhibits gluteus
medius", "... overloads quadratus lumborum"). Every other term keeps its label. The verb comes
from the relation, or from the nearest relation above it that has words here, in the number of
its subject ("overloaded lumbar extensors cause low back pain").

This is the one place an edge becomes words: entity pages, the path list and (through the same
function) the picture's edge labels and the cases page read it.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Iterable

from service.kg.vocabulary import LBP, OBO
from service.prose.lexicon import Lexicon

DCTERMS = "http://purl.org/dc/terms/"


@dataclass(frozen=True)
class Wording:
    """How a relation reads: its verb (singular, plural) and page headings for each direction."""

    singular: str
    plural: str
    #: heading over the edges going out ("Nerve roots"), and over those coming in ("Muscles it supplies")
    outgoing: str
    incoming: str
    #: the object is named by its muscle, because the verb says what happens to that muscle
    object_as_muscle: bool = False
    #: a muscle's state as subject is named "inhibited gluteus medius": the causal relations, where
    #: it is the muscle in that state that acts (not "inhibited gluteus medius is a state of ...")
    subject_as_muscle: bool = False


#: Plain words for the relations people meet on the pages; a relation missing here reads as the
#: nearest relation above it that is here, else as its own label.
WORDINGS: dict[str, Wording] = {
    LBP + "causes": Wording("causes", "cause", "Causes", "Caused by", subject_as_muscle=True),
    LBP + "inhibits": Wording("inhibits", "inhibit", "Inhibits", "Inhibited by", object_as_muscle=True,
                                subject_as_muscle=True),
    LBP + "overloads": Wording("overloads", "overload", "Overloads", "Overloaded by", object_as_muscle=True,
                                 subject_as_muscle=True),
    LBP + "contributesTo": Wording("contributes to", "contribute to", "Contributes to", "Contributed to by",
                                   subject_as_muscle=True),
    LBP + "isDirectSourceOf": Wording("is a direct source of", "are a direct source of",
                                      "Is a direct source of", "Arises directly from", subject_as_muscle=True),
    LBP + "indicates": Wording("points to", "point to", "Points to", "Pointed to by"),
    LBP + "aggravatedBy": Wording("is made worse by", "are made worse by", "Made worse by", "Makes worse"),
    LBP + "relievedBy": Wording("is eased by", "are eased by", "Eased by", "Eases"),
    LBP + "treats": Wording("treats", "treat", "Treats", "Treated by"),
    LBP + "appliesTo": Wording("is used for", "are used for", "Used for", "Assessed or treated by"),
    LBP + "examines": Wording("examines", "examine", "Examines", "Examined by"),
    LBP + "hasPossibleFinding": Wording("can show", "can show", "Can show", "Shown by"),
    LBP + "appliedAt": Wording("is applied at", "are applied at", "Applied at", "Where it is applied"),
    LBP + "releasesMoreThan": Wording("gives a stronger release than", "give a stronger release than",
                                      "Gives a stronger release than", "Releases less than"),
    LBP + "hasProtocol": Wording("is given by the protocol", "are given by the protocol", "Protocols", "Protocol of"),
    LBP + "usesTreatment": Wording("uses", "use", "Uses", "Used by"),
    LBP + "forCondition": Wording("is for", "are for", "For", "Targets and prognoses"),
    LBP + "targetMuscle": Wording("targets", "target", "Targets", "Targeted by"),
    LBP + "atMotorPoint": Wording("is needled at", "are needled at", "At the motor point", "Targets here"),
    LBP + "motorPointOf": Wording("is the motor point of", "are the motor points of", "Motor point of", "Motor points"),
    LBP + "stateOf": Wording("is a state of", "are states of", "State of", "Its states"),
    LBP + "hasSegmentalInnervation": Wording("receives nerve fibres from", "receive nerve fibres from",
                                             "Nerve roots", "Muscles supplied from this level"),
    LBP + "hasPrimaryAction": Wording("mainly produces", "mainly produce", "Main actions",
                                      "Muscles that mainly produce it"),
    LBP + "memberOf": Wording("belongs to", "belong to", "Belongs to", "Members"),
    LBP + "hasMember": Wording("includes", "include", "Members", "Belongs to"),
    LBP + "involves": Wording("involves", "involve", "Involves", "Involved in"),
    OBO + "BFO_0000050": Wording("is part of", "are part of", "Part of", "Parts"),
    OBO + "BFO_0000051": Wording("has as a part", "have as a part", "Parts", "Part of"),
    OBO + "RO_0002371": Wording("is attached to", "are attached to", "Attached to", "Muscles attached here"),
    OBO + "RO_0002372": Wording("arises from", "arise from", "Origin", "Muscles arising here"),
    OBO + "RO_0002373": Wording("inserts on", "insert on", "Insertion", "Muscles inserting here"),
    OBO + "RO_0002005": Wording("is supplied by", "are supplied by", "Nerve supply", "Muscles it supplies"),
    OBO + "RO_0002134": Wording("supplies", "supply", "Supplies", "Nerve supply"),
    OBO + "RO_0002568": Wording("is opposed by", "are opposed by", "Opposed by", "Opposes"),
    OBO + "RO_0004029": Wording("includes", "include", "Features", "Feature of"),
    OBO + "RO_0002452": Wording("produces", "produce", "Symptoms and signs", "Produced by"),
    DCTERMS + "source": Wording("is sourced from", "are sourced from", "Sources", "Cited by"),
}


@dataclass(frozen=True)
class Phrase:
    """Words standing for one term, the term they stand for, and who says so (when a claim does)."""

    text: str
    iri: str
    href: str
    plural: bool = False
    citations: tuple = ()
    #: the edge (subject, relation, object) the citations vouch for
    claim: tuple[str, str, str] | None = None


@dataclass(frozen=True)
class Predicate:
    """A verb and what it is said of: "overloads quadratus lumborum and lumbar extensors"."""

    singular: str
    plural: str
    objects: tuple[Phrase, ...]

    @property
    def shared_citations(self) -> tuple:
        """The citations every object shares, to be shown once after them all (else empty)."""
        first = self.objects[0].citations
        return first if len(self.objects) > 1 and all(o.citations == first for o in self.objects) else ()


@dataclass(frozen=True)
class Sentence:
    """Subjects and what is said of them; ``text`` is the plain sentence, ``verb`` agrees."""

    subjects: tuple[Phrase, ...]
    predicates: tuple[Predicate, ...]
    #: plain words that end the sentence ("; the point lies ..."), never a claim of their own
    tail: str = ""

    @property
    def plural(self) -> bool:
        return len(self.subjects) > 1 or self.subjects[0].plural

    def verb(self, predicate: Predicate) -> str:
        return predicate.plural if self.plural else predicate.singular

    @property
    def text(self) -> str:
        """The sentence in plain text, capitalised and ended with a full stop."""
        said = ", and ".join(f"{self.verb(p)} {listing(o.text for o in p.objects)}" for p in self.predicates)
        words = f"{listing(s.text for s in self.subjects)} {said}{self.tail}"
        return words[:1].upper() + words[1:] + "."


def listing(items: Iterable[str]) -> str:
    """Return "a", "a and b" or "a, b and c"."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def wording(lexicon: Lexicon, relation: str) -> Wording:
    """Return the words for ``relation``: its own, the nearest ancestor's, or built from its label."""
    # a sub-property of lbp:inhibits still says its object's muscle becomes inhibited
    for ancestor in lexicon.ancestors(relation):
        if ancestor in WORDINGS:
            return WORDINGS[ancestor]
    label = lexicon.label(relation)
    return Wording(label, _plural_verb(label), label[:1].upper() + label[1:], f"{label[:1].upper() + label[1:]} (from)")


def _plural_verb(phrase: str) -> str:
    first, _, rest = phrase.partition(" ")
    plural = {"is": "are", "has": "have", "does": "do"}.get(first)
    if plural is None:
        plural = first[:-2] if first.endswith(("ches", "shes", "sses", "xes")) else \
            first[:-1] if first.endswith("s") and not first.endswith("ss") else first
    return f"{plural} {rest}".strip()


def term_phrase(lexicon: Lexicon, iri: str, href_for: Callable[[str], str], *, role: str,
                wording_: Wording | None = None) -> Phrase:
    """Return the words for a term as the subject or object of a sentence (see the module doc)."""
    owner = lexicon.owner(iri)
    adjective = lexicon.state_adjective(iri) if owner else None
    if adjective and role == "object" and wording_ is not None and wording_.object_as_muscle:
        return Phrase(lexicon.label(owner), iri, href_for(iri), plural=lexicon.is_plural(owner))
    if adjective and role == "subject" and wording_ is not None and wording_.subject_as_muscle:
        return Phrase(f"{adjective} {lexicon.label(owner)}", iri, href_for(iri), plural=lexicon.is_plural(owner))
    return Phrase(lexicon.label(iri), iri, href_for(iri), plural=lexicon.is_plural(iri))


def edge_sentence(lexicon: Lexicon, subject: str, relation: str, object_: str,
                  href_for: Callable[[str], str], citations: tuple = (), cite: str = "object") -> Sentence:
    """Return the edge ``subject relation object`` as a true sentence.

    ``citations`` (who makes the claim) go with the object, or with the subject when ``cite`` is
    "subject" (for sentences that gather what leads to one thing).
    """
    words = wording(lexicon, relation)
    subj = term_phrase(lexicon, subject, href_for, role="subject", wording_=words)
    obj = term_phrase(lexicon, object_, href_for, role="object", wording_=words)
    if citations and cite == "subject":
        subj = replace(subj, citations=citations, claim=(subject, relation, object_))
    elif citations:
        obj = replace(obj, citations=citations, claim=(subject, relation, object_))
    return Sentence(subjects=(subj,), predicates=(Predicate(words.singular, words.plural, (obj,)),))


def merge_by_subject(sentences: Iterable[Sentence]) -> list[Sentence]:
    """Join sentences with the same subject: one predicate per verb, its objects listed once each."""
    merged: dict[tuple, dict[tuple, list[Phrase]]] = {}
    for sentence in sentences:
        predicates = merged.setdefault(sentence.subjects, {})
        for predicate in sentence.predicates:
            objects = predicates.setdefault((predicate.singular, predicate.plural), [])
            objects.extend(o for o in predicate.objects if o not in objects)
    return [Sentence(subjects, tuple(Predicate(s, p, tuple(objs)) for (s, p), objs in predicates.items()))
            for subjects, predicates in merged.items()]


def merge_by_predicate(sentences: Iterable[Sentence]) -> list[Sentence]:
    """Join one-predicate sentences that say the same of different subjects: "A and B cause C"."""
    merged: dict[tuple, list[Phrase]] = {}
    for sentence in sentences:
        for predicate in sentence.predicates:
            subjects = merged.setdefault((predicate.singular, predicate.plural, predicate.objects), [])
            subjects.extend(s for s in sentence.subjects if s not in subjects)
    return [Sentence(tuple(subjects), (Predicate(singular, plural, objects),))
            for (singular, plural, objects), subjects in merged.items()]
