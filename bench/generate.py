"""Generate synthetic extension modules shaped like lbp-kg, at a chosen number of triples.

Each synthetic *unit* is one muscle with what the real ontology says about a muscle: labels,
synonyms and a definition; origin and insertion at bony sites that are part of bones; a nerve and a
spinal level; a group; a motor point; tight, inhibited and overloaded states (``lbp:stateOf``);
causal edges (``lbp:causes``/``lbp:inhibits``/``lbp:overloads``) and an ``lbp:indicates`` edge,
each with its ``owl:Axiom`` provenance annotation; and a treatment target. Shared things (bones,
nerves, groups, levels, actions, conditions, treatments) are introduced the first time a unit
uses them, so every reference points at a described entity.

Lines are written directly as N-Triples (no rdflib graph), so a million triples take seconds.
Every IRI is ``https://w3id.org/lbp-kg/id/syn-...``, which no real term uses; the claims cite a
synthetic source that says it is benchmark data, never the real article.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
from pathlib import Path
from typing import Iterator

#: Bump when the output changes, so cached files from an older generator are not reused.
GENERATOR_VERSION = 1

SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
MIN_TRIPLES = 500

LBP = "https://w3id.org/lbp-kg/id/"
OBO = "http://purl.obolibrary.org/obo/"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
RDFS_LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
OWL = "http://www.w3.org/2002/07/owl#"
OIO = "http://www.geneontology.org/formats/oboInOwl#"
DCTERMS_SOURCE = "<http://purl.org/dc/terms/source>"
XSD_POSITIVE_INTEGER = "<http://www.w3.org/2001/XMLSchema#positiveInteger>"

NAMED_INDIVIDUAL = f"<{OWL}NamedIndividual>"
DEFINITION = f"<{OBO}IAO_0000115>"
EXACT_SYNONYM = f"<{OIO}hasExactSynonym>"
RELATED_SYNONYM = f"<{OIO}hasRelatedSynonym>"
PART_OF = f"<{OBO}BFO_0000050>"
HAS_ORIGIN = f"<{OBO}RO_0002372>"
HAS_INSERTION = f"<{OBO}RO_0002373>"
INNERVATED_BY = f"<{OBO}RO_0002005>"
HAS_ANTAGONIST = f"<{OBO}RO_0002568>"
HAS_FEATURE = f"<{OBO}RO_0004029>"


def lbp(local: str) -> str:
    """Return the N-Triples form of an lbp: IRI."""
    return f"<{LBP}{local}>"


def literal_en(text: str) -> str:
    """Return an English language-tagged literal (the texts here need no escaping)."""
    return f'"{text}"@en'


def ontology_iri(size_name: str) -> str:
    """Return the ontology IRI of the synthetic module of the given size."""
    return f"https://w3id.org/lbp-kg/ontology/synthetic-{size_name}"


def parse_size(text: str) -> int:
    """Turn '10k', '100k', '1m' or a plain number into a triple count."""
    key = text.strip().lower()
    if key in SIZES:
        return SIZES[key]
    multiplier = 1
    if key.endswith("k"):
        key, multiplier = key[:-1], 1_000
    elif key.endswith("m"):
        key, multiplier = key[:-1], 1_000_000
    try:
        value = int(float(key) * multiplier)
    except ValueError:
        raise ValueError(f"size {text!r} is not a number like 10k, 100k, 1m or 25000") from None
    if value < MIN_TRIPLES:
        raise ValueError(f"size {text!r} is below the smallest synthetic module ({MIN_TRIPLES} triples)")
    return value


def size_name(triples: int) -> str:
    """Return the short name of a size ('100k' for 100000)."""
    for name, value in SIZES.items():
        if value == triples:
            return name
    return str(triples)


class _UnitWriter:
    """Build the N-Triples lines of synthetic units, introducing shared entities on first use."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.introduced: set[str] = set()
        self.axioms = 0

    def triple(self, out: list[str], s: str, p: str, o: str) -> None:
        out.append(f"{s} {p} {o} .\n")

    def individual(self, out: list[str], iri: str, cls: str, label: str, definition: str | None) -> None:
        self.triple(out, iri, RDF_TYPE, NAMED_INDIVIDUAL)
        self.triple(out, iri, RDF_TYPE, lbp(cls))
        self.triple(out, iri, RDFS_LABEL, literal_en(label))
        if definition is not None:
            self.triple(out, iri, DEFINITION, literal_en(definition))

    def shared(self, out: list[str], kind: str, index: int, cls: str, label: str) -> str:
        """Return a shared entity's IRI, describing it the first time it is used."""
        local = f"syn-{kind}-{index}"
        if local not in self.introduced:
            self.introduced.add(local)
            self.individual(out, lbp(local), cls, f"{label} {index}",
                            f"A {label} (number {index}) used only to benchmark lbp-kg.")
        return lbp(local)

    def claim(self, out: list[str], s: str, p: str, o: str, section: str) -> None:
        """Assert an edge and annotate it with its provenance, as the clinical module does."""
        self.triple(out, s, p, o)
        self.axioms += 1
        node = f"_:synax{self.axioms}"
        self.triple(out, node, RDF_TYPE, f"<{OWL}Axiom>")
        self.triple(out, node, f"<{OWL}annotatedSource>", s)
        self.triple(out, node, f"<{OWL}annotatedProperty>", p)
        self.triple(out, node, f"<{OWL}annotatedTarget>", o)
        self.triple(out, node, DCTERMS_SOURCE, lbp("syn-source-benchmark"))
        self.triple(out, node, lbp("sourceSection"), literal_en(section))
        self.triple(out, node, lbp("evidenceNote"), literal_en("Synthetic edge for benchmarking; not a clinical claim."))

    def unit(self, i: int) -> list[str]:
        """Return the lines describing synthetic muscle ``i`` and everything hanging off it."""
        out: list[str] = []
        rng = self.rng
        muscle = lbp(f"syn-muscle-{i}")
        bone = self.shared(out, "bone", i // 8, "Bone", "synthetic bone")
        other_bone = lbp(f"syn-bone-{rng.randrange(i // 8 + 1)}")
        nerve = self.shared(out, "nerve", i // 4, "Nerve", "synthetic nerve")
        group = self.shared(out, "group", i // 6, "MuscleGroup", "synthetic muscle group")
        level = self.shared(out, "level", i % 30, "SpinalSegment", "synthetic spinal level")
        action = self.shared(out, "action", i % 40, "Action", "synthetic action")
        condition = self.shared(out, "condition", i // 50, "Condition", "synthetic condition")
        treatment = self.shared(out, "treatment", i % 10, "Treatment", "synthetic treatment")

        self.individual(out, muscle, "Muscle", f"synthetic muscle {i}",
                        f"A synthetic skeletal muscle, number {i}, used only to benchmark lbp-kg.")
        self.triple(out, muscle, EXACT_SYNONYM, literal_en(f"syn muscle {i}"))
        self.triple(out, muscle, RELATED_SYNONYM, literal_en(f"synthetic m{i}"))
        origin, insertion = lbp(f"syn-site-{i}-origin"), lbp(f"syn-site-{i}-insertion")
        for site, whole, role in ((origin, bone, "origin"), (insertion, other_bone, "insertion")):
            self.individual(out, site, "BonySite", f"synthetic {role} site {i}",
                            f"The synthetic bony site where synthetic muscle {i} has its {role}.")
            self.triple(out, site, PART_OF, whole)
        self.triple(out, muscle, HAS_ORIGIN, origin)
        self.triple(out, muscle, HAS_INSERTION, insertion)
        self.triple(out, muscle, INNERVATED_BY, nerve)
        self.triple(out, muscle, lbp("hasSegmentalInnervation"), level)
        self.triple(out, muscle, lbp("hasPrimaryAction"), action)
        self.triple(out, muscle, lbp("memberOf"), group)
        if i > 0:
            self.triple(out, muscle, HAS_ANTAGONIST, lbp(f"syn-muscle-{rng.randrange(i)}"))

        motor_point = lbp(f"syn-motor-point-{i}")
        self.individual(out, motor_point, "MotorPoint", f"synthetic motor point {i}", None)
        self.triple(out, motor_point, lbp("motorPointOf"), muscle)
        self.triple(out, motor_point, lbp("locationDescription"),
                    f'"Midway along synthetic muscle {i}."')

        states = {}
        for kind, cls in (("tight", "TightState"), ("inhibited", "InhibitedState"),
                          ("overloaded", "OverloadedState")):
            state = lbp(f"syn-muscle-{i}-{kind}")
            self.individual(out, state, cls, f"synthetic muscle {i} {kind}",
                            f"Synthetic muscle {i} in the {kind} state.")
            self.triple(out, state, lbp("stateOf"), muscle)
            states[kind] = state
        previous = i - 1 if i > 0 else 0
        self.claim(out, lbp(f"syn-muscle-{previous}-tight"), lbp("inhibits"), states["inhibited"],
                   "Synthetic pattern: inhibition")
        self.claim(out, states["inhibited"], lbp("overloads"), states["overloaded"],
                   "Synthetic pattern: compensation")
        self.claim(out, states["overloaded"], lbp("causes"), condition, "Synthetic pattern: outcome")
        self.claim(out, condition, HAS_FEATURE, states["tight"], "Synthetic pattern: features")

        sign = lbp(f"syn-sign-{i}")
        self.individual(out, sign, "ClinicalSign", f"synthetic sign {i}",
                        f"A synthetic sign pointing to inhibition of synthetic muscle {i}.")
        self.claim(out, sign, lbp("indicates"), states["inhibited"], "Synthetic pattern: assessment")

        target = lbp(f"syn-treatment-target-{i}")
        self.individual(out, target, "TreatmentTarget", f"synthetic treatment target {i}", None)
        self.triple(out, target, lbp("forCondition"), condition)
        self.triple(out, target, lbp("targetMuscle"), muscle)
        self.triple(out, target, lbp("usesTreatment"), treatment)
        self.triple(out, target, lbp("atMotorPoint"), motor_point)
        self.triple(out, target, lbp("treatmentPriority"), f'"{rng.randint(1, 5)}"^^{XSD_POSITIVE_INTEGER}')
        self.triple(out, target, DCTERMS_SOURCE, lbp("syn-source-benchmark"))
        return out


def _header(size: str) -> list[str]:
    onto = f"<{ontology_iri(size)}>"
    source = lbp("syn-source-benchmark")
    return [
        f"{onto} {RDF_TYPE} <{OWL}Ontology> .\n",
        f"{onto} {RDFS_LABEL} {literal_en(f'lbp-kg synthetic benchmark extension ({size} triples)')} .\n",
        f"{source} {RDF_TYPE} {NAMED_INDIVIDUAL} .\n",
        f"{source} {RDF_TYPE} {lbp('Source')} .\n",
        f"{source} {RDFS_LABEL} {literal_en('synthetic benchmark data (not a clinical source)')} .\n",
        f"{source} {DEFINITION} {literal_en('Generated data used only to measure lbp-kg; it makes no clinical claim.')} .\n",
    ]


def generate_triples(target: int, seed: int = 0) -> Iterator[str]:
    """Yield exactly ``target`` N-Triples lines of synthetic units (deterministic for a seed)."""
    if target < MIN_TRIPLES:
        raise ValueError(f"a synthetic module needs at least {MIN_TRIPLES} triples, not {target}")
    writer = _UnitWriter(seed)
    lines = _header(size_name(target))
    written = len(lines)
    yield from lines
    units = 0
    while True:
        lines = writer.unit(units)
        if written + len(lines) > target:
            break
        yield from lines
        written += len(lines)
        units += 1
    # Top up with extra synonyms, spread over the muscles, so the count is exact.
    for extra in range(target - written):
        muscle = lbp(f"syn-muscle-{extra % units}")
        yield f"{muscle} {RELATED_SYNONYM} {literal_en(f'synthetic m{extra % units} alias {extra // units}')} .\n"


def extension_path(cache_dir: Path, target: int, seed: int = 0) -> Path:
    """Return where the synthetic module of this size and seed lives (one directory per size)."""
    name = size_name(target)
    return Path(cache_dir) / f"ext-{name}" / f"synthetic-{name}-seed{seed}-v{GENERATOR_VERSION}.nt"


def write_extension(cache_dir: Path, target: int, seed: int = 0) -> Path:
    """Write the synthetic module of this size into the cache unless it is already there."""
    path = extension_path(cache_dir, target, seed)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob("*.nt"):  # one module per directory: the service loads them all
        stale.unlink()
    partial = path.with_suffix(".nt.partial")
    with open(partial, "w", encoding="utf-8", buffering=1 << 20) as out:
        out.writelines(generate_triples(target, seed))
    os.replace(partial, path)
    return path


def main(argv: list[str] | None = None) -> int:
    """Write synthetic modules for the given sizes and print their paths."""
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=main.__doc__)
    parser.add_argument("--sizes", default="10k,100k,1m", help="comma-separated sizes (10k, 100k, 1m, or a number)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache-dir", default="var/bench", help="where the .nt files go (default var/bench)")
    args = parser.parse_args(argv)
    for size in args.sizes.split(","):
        path = write_extension(Path(args.cache_dir), parse_size(size), args.seed)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
