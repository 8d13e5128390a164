"""Names spelt nearly like a text: the "did you mean" of a lookup that found nothing.

``SpellingIndex`` is built from the label index's normalised keys (service.kg.labels builds it on
the first suggestion asked for) and answers in time bounded however many names the graph has.
"""
from __future__ import annotations

import difflib
import heapq
import itertools
import math
from array import array
from collections import Counter
from typing import Iterable

from service.store.oxigraph import cyclic_gc_paused


class SpellingIndex:
    """Find the names spelt nearly like a text, in time bounded however many names there are.

    The names are normalised keys. Each key's trigrams (of the key with a space either side) point
    back to it. A text's candidates are the keys sharing most of its trigrams, counted over its
    rarest trigrams only, until ``POSTINGS_READ`` key numbers have been read, and of a length that
    can reach the cutoff; at most ``MAX_CANDIDATES`` of them are then ranked by ``difflib.SequenceMatcher``, as
    ``difflib.get_close_matches`` would rank every key. A trigram found in most keys (" synthetic"
    in a generated graph) says little about which one was meant, and is the one skipped.
    """

    #: key numbers read from the trigram postings per request, at most
    POSTINGS_READ = 20_000
    #: keys whose similarity is computed per request, at most
    MAX_CANDIDATES = 100
    #: a text this short can share no trigram with the key it misspells ("tk9" for "t9"), so the
    #: keys of a length that could match are candidates too
    SHORT_TEXT = 4

    def __init__(self, keys: Iterable[str]):
        self.keys = sorted(keys)
        postings: dict[str, array] = {}
        by_length: dict[int, array] = {}
        with cyclic_gc_paused():
            for number, key in enumerate(self.keys):
                for gram in _trigrams(key):
                    posting = postings.get(gram)
                    if posting is None:
                        posting = postings[gram] = array("i")
                    posting.append(number)
                if len(key) <= self.SHORT_TEXT * 2:  # as long as a short text's match can be
                    by_length.setdefault(len(key), array("i")).append(number)
        self._postings = postings
        self._short_keys = by_length

    def candidates(self, key: str, cutoff: float = 0.75) -> list[str]:
        """Return the keys whose similarity to ``key`` is worth computing, most shared trigrams first."""
        postings = sorted((self._postings[g] for g in _trigrams(key) if g in self._postings), key=len)
        shared: Counter[int] = Counter()
        budget = self.POSTINGS_READ
        for posting in postings:
            if len(posting) > budget:
                if not shared:  # every trigram is common: a slice of the rarest is all there is time for
                    shared.update(posting[:budget])
                break
            shared.update(posting)
            budget -= len(posting)
        # the ratio is 2 * matches / (both lengths): a key shorter or longer than these cannot reach the cutoff
        shortest = math.ceil(len(key) * cutoff / (2 - cutoff) - 1e-9)
        longest = math.floor(len(key) * (2 - cutoff) / cutoff + 1e-9)
        numbers: Iterable[int] = (number for number, _ in shared.most_common())
        if len(key) <= self.SHORT_TEXT:
            numbers = itertools.chain(numbers, *(self._short_keys.get(n, ()) for n in range(shortest, longest + 1)))
        chosen: dict[int, None] = {}
        for number in numbers:
            if shortest <= len(self.keys[number]) <= longest:
                chosen[number] = None
                if len(chosen) == self.MAX_CANDIDATES:
                    break
        return [self.keys[number] for number in chosen]

    def close_matches(self, key: str, n: int = 10, cutoff: float = 0.75) -> list[str]:
        """Return up to ``n`` candidate keys at least ``cutoff`` similar to ``key``, most similar first."""
        matcher = difflib.SequenceMatcher()
        matcher.set_seq2(key)
        scored = []
        for candidate in self.candidates(key, cutoff):
            matcher.set_seq1(candidate)
            if matcher.real_quick_ratio() >= cutoff and matcher.quick_ratio() >= cutoff:
                score = matcher.ratio()
                if score >= cutoff:
                    scored.append((score, candidate))
        return [candidate for _, candidate in heapq.nlargest(n, scored)]


def _trigrams(key: str) -> set[str]:
    padded = f" {key} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}
