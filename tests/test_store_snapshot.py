"""Snapshots on disk: one per graph version, shared read-only, removed a day after their last use."""
from __future__ import annotations

import os
import time

import pyoxigraph as ox

from service.store.oxigraph import STALE_SNAPSHOT_SECONDS, OxigraphStore, snapshot_path

GRAPH = "https://w3id.org/lbp-kg/test/module"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
A_DAY_AGO = time.time() - STALE_SNAPSHOT_SECONDS - 60


def small_store(version: str) -> OxigraphStore:
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("https://w3id.org/lbp-kg/id/a"), ox.NamedNode(RDFS_LABEL), ox.Literal("a"),
                      ox.NamedNode(GRAPH)))
    return OxigraphStore(store=store, module_graphs=[GRAPH], version=version, triple_count=1, graph_sizes={GRAPH: 1})


def age(path, when=A_DAY_AGO):
    os.utime(path, (when, when))


def test_a_store_opened_from_its_snapshot_answers_and_reports_the_same_graphs(tmp_path):
    written = small_store("v1")
    opened = written.on_snapshot(tmp_path)
    assert opened.snapshot == snapshot_path(tmp_path, "v1") == written.write_snapshot(tmp_path)
    assert (opened.graph_sizes, opened.triple_count, opened.module_graphs) == ({GRAPH: 1}, 1, [GRAPH])
    assert [row["label"].value for row in opened.query("SELECT ?label WHERE { ?s ?p ?label }")] == ["a"]


def test_writing_a_version_removes_what_other_versions_left_unused_for_a_day(tmp_path):
    old = small_store("old").write_snapshot(tmp_path)
    for leftover in (old, old.with_suffix(".lock"), old.with_suffix(".modules.json")):
        leftover.touch()
        age(leftover)
    recent = small_store("recent").write_snapshot(tmp_path)
    small_store("new").write_snapshot(tmp_path)
    assert sorted(p.name for p in old.parent.iterdir()) == ["new", "recent"]
    assert recent.is_dir()


def test_opening_a_snapshot_marks_it_used(tmp_path):
    snapshot = small_store("v1").write_snapshot(tmp_path)
    age(snapshot)
    OxigraphStore.from_snapshot(snapshot, version="v1", module_graphs=[GRAPH], has_inferred=False,
                                graph_sizes={GRAPH: 1})
    assert snapshot.stat().st_mtime > A_DAY_AGO + 60
