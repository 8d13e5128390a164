"""Changing the ontology safely: the gate, validation, reasoning, conventions, diffs and the write store."""
