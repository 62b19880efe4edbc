"""Multilingual sentences offline: Faker's per-language word lists (real words of each
language, most from frequency lists) drawn into sentences, seeded.

They train and test the language-ID models; ``scripts/make_lid_model.py`` trains the
bundled ``data/models/lid.ftz`` on them. Words drawn at random are not grammatical
text, but a language's characters, affixes and function words are all there, which is
what a fastText language identifier keys on.
"""
from __future__ import annotations

import importlib
import random

# fastText label (ISO 639-1, as lid.176 names them) -> Faker locale of its word list
LOCALES = {"en": "en_US", "de": "de_DE", "fr": "fr_FR", "es": "es_ES", "it": "it_IT",
           "nl": "nl_NL", "pl": "pl_PL", "ru": "ru_RU", "cs": "cs_CZ", "da": "da_DK",
           "el": "el_GR", "uk": "uk_UA"}


def word_list(language: str) -> list[str]:
    module = importlib.import_module(f"faker.providers.lorem.{LOCALES[language]}")
    return list(module.Provider.word_list)


def sentences(language: str, n: int, *, seed: int, words: tuple[int, int] = (6, 18)) -> list[str]:
    """``n`` sentences of ``words`` words of ``language``, capitalised, with a full stop."""
    rng = random.Random(f"{language}:{seed}")
    vocabulary = word_list(language)
    out = []
    for _ in range(n):
        drawn = [rng.choice(vocabulary) for _ in range(rng.randint(*words))]
        text = " ".join(drawn)
        out.append(text[:1].upper() + text[1:] + rng.choice(".?!."))
    return out


def documents(language: str, n: int, *, seed: int) -> list[str]:
    """``n`` documents of 2..8 sentences, some split over lines."""
    rng = random.Random(f"doc:{language}:{seed}")
    pool = sentences(language, n * 8, seed=seed)
    out = []
    for _ in range(n):
        k = rng.randint(2, 8)
        sep = rng.choice([" ", " ", "\n"])
        out.append(sep.join(pool.pop() for _ in range(k)))
    return out


def training_lines(per_language: int, *, seed: int = 0) -> list[str]:
    """fastText training lines, ``__label__<lang> <sentence>``, shuffled."""
    lines = [f"__label__{lang} {s}" for lang in LOCALES
             for s in sentences(lang, per_language, seed=seed)]
    random.Random(seed).shuffle(lines)
    return lines
