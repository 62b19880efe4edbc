"""Assembling the corpus: clean documents, labelled noise, and the final shuffled rows."""

from __future__ import annotations

import ast
import random

from .chunking import MIN_CLEAN_WORDS, Doc, ShingleIndex, chunk_group
from .duplicates import make_near_dup, make_normalized_dup
from .lowquality import (
    EXPECTED_RULE,
    Material,
    code_token_lines,
    identifier_entries,
    lq_boilerplate,
    lq_bullets,
    lq_ellipsis_lines,
    lq_ngram_spam,
    lq_no_stopwords,
    lq_symbol_heavy,
    numeric_tables,
)
from .sources import c_module_groups, comment_group, docstring_group, extra_groups, parse_modules, topic_groups
from .text import gopher_failures, shingles

SEED = 20231204

# Share of the final corpus per label family.
FRAC_EXACT = 0.05  # exact_dup + exact_dup_normalized
FRAC_EXACT_NORMALIZED = 0.35  # of the exact duplicates, the share that differ in whitespace/case
FRAC_NEAR = 0.05
FRAC_LOW_QUALITY = 0.10
FRAC_POOL = 0.06  # clean candidates held back as raw material for low-quality docs
EMPTY_TEXTS = ["", " ", "\n", "\n\n", "\t  \n", "\u3000", None, None, None, None]


def build(rng_seed: int = SEED, log=print) -> list[dict]:
    rng = random.Random(rng_seed)
    parsed = parse_modules()
    groups = (topic_groups() + [docstring_group(pm) for pm in parsed] + c_module_groups() + extra_groups()
              + [g for pm in parsed if (g := comment_group(pm)) is not None])

    # 1. chunk into candidate documents
    candidates: list[tuple[str, str, str]] = []  # (text, source, title)
    for g in groups:
        for text in chunk_group(g, rng):
            if len(text.split()) >= MIN_CLEAN_WORDS:
                candidates.append((text, g.source, g.title))
    log(f"candidates: {len(candidates)} from {len(groups)} groups")

    # 2. keep pairwise-distinct candidates that pass the (strict) Gopher rules
    index = ShingleIndex()
    clean: list[Doc] = []
    titles: dict[int, str] = {}
    rejected: list[Doc] = []  # distinct but failing Gopher: their prose paragraphs feed low-quality docs
    n_close = n_gopher = 0
    for i, (text, source, title) in enumerate(candidates):
        sh = shingles(text)
        if index.too_close(sh):
            n_close += 1
            continue
        index.add(i, sh)  # failing candidates still block later overlapping ones
        if gopher_failures(text, strict=True):
            n_gopher += 1
            rejected.append(Doc(key=-1, text=text, source=source, kind="rejected"))
            continue
        key = len(clean)
        clean.append(Doc(key=key, text=text, source=source, kind="clean", sh=sh))
        titles[key] = title
    log(f"dropped {n_close} overlapping candidates, {n_gopher} failing the strict Gopher rules; {len(clean)} left")

    # 3. hold back raw material for low-quality docs
    order = list(range(len(clean)))
    rng.shuffle(order)
    n_pool = round(len(clean) * FRAC_POOL)
    pool_ids = set(order[:n_pool])
    pool = [clean[i] for i in sorted(pool_ids)]
    clean = [d for d in clean if d.key not in pool_ids]
    n_clean = len(clean)
    total = n_clean / (1 - FRAC_EXACT - FRAC_NEAR - FRAC_LOW_QUALITY)
    n_exact = round(total * FRAC_EXACT)
    n_exact_norm = round(n_exact * FRAC_EXACT_NORMALIZED)
    n_near = round(total * FRAC_NEAR)
    n_lq = round(total * FRAC_LOW_QUALITY)

    next_key = len(clean) + n_pool
    docs: list[Doc] = list(clean)

    def new_doc(text, source, kind, dup_of=None) -> Doc:
        nonlocal next_key
        d = Doc(key=next_key, text=text, source=source, kind=kind, dup_of=dup_of)
        next_key += 1
        docs.append(d)
        return d

    # 4. exact duplicates: ~20% of duplicated originals get two or three copies
    clean_sorted = sorted(clean, key=lambda d: d.key)
    originals = rng.sample(clean_sorted, k=min(len(clean_sorted), n_exact))
    copies: list[Doc] = []
    for o in originals:
        copies.append(o)
        if rng.random() < 0.2:
            copies += [o] * rng.randint(1, 2)
    copies = copies[:n_exact]
    rng.shuffle(copies)
    made_norm = 0
    for o in copies:
        if made_norm < n_exact_norm:
            t = make_normalized_dup(o, rng)
            if t is not None:
                new_doc(t, o.source, "exact_dup_normalized", o.key)
                made_norm += 1
                continue
        new_doc(o.text, o.source, "exact_dup", o.key)

    # 5. near duplicates of long-enough originals
    long_enough = [d for d in clean_sorted if len(d.text.split()) >= 150]
    near_src = rng.sample(long_enough, k=min(len(long_enough), n_near * 2))
    styles = ("edits", "header_footer", "truncate")
    made = 0
    for o in near_src:
        if made >= n_near:
            break
        style = styles[made % 3]
        t = make_near_dup(o, titles[o.key], rng, style)
        if t is None:
            continue
        new_doc(t, o.source, "near_dup", o.key)
        made += 1

    # 6. low-quality documents from held-back material
    mat = Material(pool + rejected, rng)
    one_liner_module: dict[str, str] = {}  # one-line docstring -> first module that has it
    for pm in parsed:
        for node in ast.walk(pm.tree):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
                d = ast.get_docstring(node)
                if d and "\n" not in d.strip() and 3 <= len(d.split()) <= 15:
                    one_liner_module.setdefault(" ".join(d.split()), pm.name)
    one_liners = sorted(one_liner_module)
    rng.shuffle(one_liners)
    src_mods = [pm for pm in parsed if len(identifier_entries(pm)) >= 40]
    rng.shuffle(src_mods)
    code_mods = list(parsed)
    rng.shuffle(code_mods)
    tables = numeric_tables()

    lq_kinds = ["too_short", "boilerplate_repeated_lines", "symbol_heavy", "bullet_list",
                "ellipsis_lines", "no_stopwords", "ngram_spam", "non_alpha"]
    weights = {"too_short": 2}
    slots = [k for k in lq_kinds for _ in range(weights.get(k, 1))]
    plan = [slots[i % len(slots)] for i in range(n_lq)]
    rng.shuffle(plan)
    table_rows = list(tables)
    table_cursor = {src: 0 for src, _ in tables}
    nonalpha_count = 0
    for kind in plan:
        for _attempt in range(20):
            source = "stdlib"
            mat.begin()
            if kind == "too_short":
                text = one_liners.pop()
                source = f"stdlib:{one_liner_module[text]}"
                ok = len(text.split()) < 20
            else:
                if kind == "boilerplate_repeated_lines":
                    text = lq_boilerplate(mat, one_liners, rng)
                elif kind == "symbol_heavy":
                    text = lq_symbol_heavy(mat, rng)
                elif kind == "bullet_list":
                    text = lq_bullets(mat, rng)
                elif kind == "ellipsis_lines":
                    text = lq_ellipsis_lines(mat, rng)
                elif kind == "ngram_spam":
                    text = lq_ngram_spam(mat, rng)
                elif kind == "no_stopwords":
                    pm = src_mods.pop()
                    text = lq_no_stopwords(pm, rng)
                    source = f"stdlib:{pm.name}"
                else:  # non_alpha: numeric tables and tokenised source, alternately
                    nonalpha_count += 1
                    if nonalpha_count % 2:
                        src, rows = table_rows[(nonalpha_count // 2) % len(table_rows)]
                        start = table_cursor[src]
                        n = rng.randint(18, 40)
                        if start >= len(rows):
                            continue
                        text = "\n".join(rows[start:start + n])
                        table_cursor[src] = start + n
                        source = src
                    else:
                        pm = code_mods.pop()
                        lines = code_token_lines(pm, rng)
                        if not lines:
                            continue
                        text = "\n".join(lines)
                        source = f"stdlib:{pm.name}"
                if source == "stdlib":  # made from held-back material
                    source = mat.source
                fails = gopher_failures(text)
                ok = len(text.split()) >= 40 and any(r in fails for r in EXPECTED_RULE[kind])
            if ok:
                new_doc(text, source, f"low_quality:{kind}")
                break
        else:
            raise RuntimeError(f"could not build a low_quality:{kind} document")

    # 7. empty / whitespace-only / null texts
    for t in EMPTY_TEXTS:
        new_doc(t, "synthetic:empty", "empty")

    # 8. deterministic shuffle; keep members of a duplicate cluster apart
    def cluster(d: Doc) -> int:
        return d.dup_of if d.dup_of is not None else d.key

    rng.shuffle(docs)
    for _ in range(100):
        bad = [i for i in range(len(docs) - 1) if cluster(docs[i]) == cluster(docs[i + 1])]
        if not bad:
            break
        for i in bad:
            j = rng.randrange(len(docs))
            docs[i + 1], docs[j] = docs[j], docs[i + 1]
    key_to_id = {d.key: f"qs-{i:06d}" for i, d in enumerate(docs)}
    rows = [
        {"id": key_to_id[d.key], "text": d.text, "source": d.source, "kind": d.kind,
         "dup_of": key_to_id[d.dup_of] if d.dup_of is not None else None}
        for d in docs
    ]
    return rows
