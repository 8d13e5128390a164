"""Snapshots on disk: one per graph version, shared read-only, removed a day after their last use."""
from __future__ import annotations

import os
import time

import pyoxigraph as ox

from service.store import OxigraphStore
from service.store.oxigraph import STALE_SNAPSHOT_SECONDS, open_snapshot, snapshot_path

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


def test_a_snapshot_answers_as_the_store_it_was_written_from(tmp_path):
    written = small_store("v1").write_snapshot(tmp_path)
    assert written == snapshot_path(tmp_path, "v1")
    opened = open_snapshot(written)
    assert [row["label"].value for row in opened.query("SELECT ?label WHERE { GRAPH ?g { ?s ?p ?label } }")] == ["a"]


def test_writing_a_version_removes_what_other_versions_left_unused_for_a_day(tmp_path):
    old = small_store("old").write_snapshot(tmp_path)
    for leftover in (old, old.with_suffix(".lock"), old.with_suffix(".modules.json")):
        leftover.touch()
        age(leftover)
    recent = small_store("recent").write_snapshot(tmp_path)
    small_store("new").write_snapshot(tmp_path)
    assert sorted(p.name for p in old.parent.iterdir()) == ["new", "recent"]
    assert recent.is_dir()


def test_asking_again_for_a_written_snapshot_marks_it_used(tmp_path):
    snapshot = small_store("v1").write_snapshot(tmp_path)
    age(snapshot)
    assert small_store("v1").write_snapshot(tmp_path) == snapshot
    assert snapshot.stat().st_mtime > A_DAY_AGO + 60
