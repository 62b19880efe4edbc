"""The byte spans of a normalised text's shingles, walked in place (numba).

One walk for every consumer (the MinHash signatures' 32-bit hashes, verify's exact
64-bit hash sets), so the shingles they see are the same by construction: ``ngram``
words split on ``" "`` (the text is normalised: one space between words), or
``ngram`` code points (one starts at every byte not of the form ``0b10xxxxxx``); a
text of fewer tokens is one shingle, itself. The walk is resumable: it fills at
most ``len(begins)`` spans per call, so a 200 MB document needs no buffer of its
size. ``reference.reference_shingles`` is the same rule in Python.

Example (inside a numba kernel)::

    state = np.zeros(WALK_STATE, np.int64)   # once per kernel: no allocation per text
    start_walk(state, start)
    while True:
        n = next_spans(data, start, end, ngram, char_mode, ring, state, begins, ends)
        for k in range(n):
            use(data[begins[k]:ends[k]])
        if state[DONE]:
            break
"""
from __future__ import annotations

import numpy as np
from numba import njit

_SPACE = np.uint8(ord(" "))
# state: [next byte, tokens seen, ring slot, start of the current word, done]
POS, NTOK, SLOT, WSTART, DONE = 0, 1, 2, 3, 4
WALK_STATE = 5


@njit(cache=True, nogil=True)
def start_walk(state, start):
    """Set ``state`` (``WALK_STATE`` int64) to the start of a text at byte ``start``."""
    state[POS] = start
    state[NTOK] = 0
    state[SLOT] = 0
    state[WSTART] = start
    state[DONE] = 0


@njit(cache=True, nogil=True, inline="always")  # in the callers' loops: no call per text
def next_spans(data, start, end, ngram, char_mode, ring, state, begins, ends):
    """The next shingles of ``data[start:end]``, as ``begins[:n]``, ``ends[:n]``; n.

    ``ring`` (``ngram`` int64) keeps the first byte of the last ``ngram`` tokens, as
    ``state`` the position: both carry over between calls. ``state[DONE]`` is set
    once every span has been returned."""
    if state[DONE]:
        return 0
    if end <= start:  # null or empty: no shingle
        state[DONE] = 1
        return 0
    i, ntok, slot, wstart = state[POS], state[NTOK], state[SLOT], state[WSTART]
    cap = begins.shape[0]
    n = 0
    # At most one span per position: checking room at the top is enough.
    while i <= end and n < cap:
        if char_mode:
            if i == end or (data[i] & 0xC0) != 0x80:
                if ntok >= ngram:
                    begins[n] = ring[slot]
                    ends[n] = i
                    n += 1
                if i < end:
                    ring[slot] = i
                    slot = 0 if slot + 1 == ngram else slot + 1
                    ntok += 1
        elif i == end or data[i] == _SPACE:
            ring[slot] = wstart
            slot = 0 if slot + 1 == ngram else slot + 1
            ntok += 1
            if ntok >= ngram:
                begins[n] = ring[slot]
                ends[n] = i
                n += 1
            wstart = i + 1
        i += 1
    state[POS], state[NTOK], state[SLOT], state[WSTART] = i, ntok, slot, wstart
    if i > end:
        if ntok >= ngram:
            state[DONE] = 1
        elif n < cap:  # too short for one shingle: the whole text is the shingle
            begins[n] = start
            ends[n] = end
            n += 1
            state[DONE] = 1
    return n
