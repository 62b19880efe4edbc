"""A corpus with a known PreSelect answer: documents from several domains, and BPCs
planted so that the models' order tracks their benchmark order on one domain only.

Each domain has its own vocabulary (plus shared function words), so a fastText
selector can tell the domains apart. Planted BPC of document ``d`` under the model of
benchmark rank ``r`` (0 = worst): ``base_d + noise`` everywhere, minus ``gap * r`` on
the target domain. On the target domain the better model has the lower BPC (high
predictive strength); elsewhere the order is random (about 1 in N! documents gets the
top score by chance). Used by the tests and ``benchmarks/preselect.py``.

Example::

    docs = domain_corpus(["cooking", "astronomy", "law", "sports"], per_domain=200)
    bpc = planted_bpc(docs, target="astronomy", models=["m1", "m2", "m3"])
"""
from __future__ import annotations

import random

VOCAB = {
    "cooking": "simmer saute whisk braise roast knead dough butter garlic onion pepper "
               "oven skillet broth recipe flour sugar vinegar marinade fillet saucepan "
               "caramelize oregano basil thyme yeast batter glaze dumpling noodle".split(),
    "astronomy": "galaxy nebula orbit comet asteroid telescope redshift quasar pulsar "
                 "supernova planet eclipse spectrum luminosity parallax photon gravity "
                 "exoplanet cosmic stellar magnitude meteor solstice equinox crater".split(),
    "law": "plaintiff defendant statute verdict appeal tribunal contract tort liability "
           "jurisdiction counsel testimony affidavit injunction precedent clause "
           "litigation arbitration subpoena indictment acquittal negligence".split(),
    "sports": "striker goalkeeper referee tournament league midfielder penalty dribble "
              "sprint marathon relay hurdle racket inning pitcher umpire touchdown "
              "quarterback rebound playoff coach stadium championship".split(),
    "music": "melody harmony chord rhythm tempo sonata concerto symphony violin cello "
             "orchestra chorus lyric octave scale crescendo staccato bassoon".split(),
}
COMMON = ("the of and to in is a that for it with as was on by this be are from at an "
          "which or have not but they we can more also its their these than into").split()


def domain_corpus(domains: list[str], *, per_domain: int, seed: int = 0,
                  words: tuple[int, int] = (60, 160)) -> list[dict]:
    """``[{"id", "domain", "text"}]``, ``per_domain`` documents per domain, shuffled."""
    rng = random.Random(seed)
    docs = []
    for domain in domains:
        vocab = VOCAB[domain]
        for i in range(per_domain):
            n = rng.randint(*words)
            tokens = [rng.choice(vocab) if rng.random() < 0.45 else rng.choice(COMMON)
                      for _ in range(n)]
            sentences, at = [], 0
            while at < n:  # sentences of 6-14 words
                step = rng.randint(6, 14)
                part = tokens[at:at + step]
                sentences.append(part[0].capitalize() + " " + " ".join(part[1:]) + ".")
                at += step
            paragraphs = [" ".join(sentences[k:k + 4]) for k in range(0, len(sentences), 4)]
            docs.append({"domain": domain, "text": "\n\n".join(paragraphs),
                         "key": f"{domain}-{i:05d}"})
    rng.shuffle(docs)
    return [{"id": f"doc-{k:06d}", **d} for k, d in enumerate(docs)]


def planted_bpc(docs: list[dict], *, target: str, models: list[str], gap: float = 0.05,
                noise: float = 0.01, seed: int = 0) -> list[dict[str, float]]:
    """Per document, ``{model: bpc}``; ``models`` listed worst to best (benchmark order)."""
    rng = random.Random(seed)
    out = []
    for doc in docs:
        base = rng.uniform(0.9, 1.6)
        on_target = doc["domain"] == target
        out.append({m: base - (gap * rank if on_target else 0.0) + rng.gauss(0, noise)
                    for rank, m in enumerate(models)})
    return out


def auc(scores, positive) -> float:
    """Area under the ROC curve of ``scores`` for the boolean ``positive`` (ties count 1/2)."""
    pairs = sorted(zip(scores, positive), key=lambda p: p[0])
    ranks, i = [0.0] * len(pairs), 0
    while i < len(pairs):  # average ranks of tied scores
        j = i
        while j + 1 < len(pairs) and pairs[j + 1][0] == pairs[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        i = j + 1
    n_pos = sum(p for _, p in pairs)
    n_neg = len(pairs) - n_pos
    if not n_pos or not n_neg:
        raise ValueError("AUC needs positives and negatives")
    rank_sum = sum(r for r, (_, p) in zip(ranks, pairs) if p)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
