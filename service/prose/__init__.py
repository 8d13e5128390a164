"""Plain words for people: the graph's edges as sentences, entity summaries, the explained path.

A layer between kg/ (which it reads) and curation/ and web/ (which show what it writes): it turns
terms and edges into English a clinician-educator can read, and never adds a claim the graph does
not hold (docs/architecture.md).
"""
