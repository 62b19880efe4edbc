"""Makers of low-quality documents, each built to fail a named Gopher rule."""

from __future__ import annotations

import ast
import inspect
import random
import re
import string
import tokenize

from .chunking import Doc
from .sources import Para, ParsedModule, split_paras
from .text import STOP_WORDS

# The Gopher rule(s) each low-quality kind must trip (gopher_failures() names).
EXPECTED_RULE = {
    "boilerplate_repeated_lines": ("dup_line_frac", "dup_line_char_frac"),
    "symbol_heavy": ("hash_ratio", "ellipsis_ratio"),
    "bullet_list": ("bullet_lines",),
    "ellipsis_lines": ("ellipsis_lines",),
    "no_stopwords": ("stop_words_distinct",),
    "ngram_spam": ("top_2_gram", "top_3_gram", "top_4_gram"),
    "non_alpha": ("non_alpha_words",),
}


SENT_SPLIT = re.compile(r"(?<=[.!?:;])\s+(?=[A-Z\"'(`])")


def sentences_of(text: str) -> list[str]:
    out = []
    for para in re.split(r"\n\s*\n", text):
        flat = " ".join(para.split())
        out += [s for s in SENT_SPLIT.split(flat) if len(s.split()) >= 4]
    return out


def is_prose(p: Para) -> bool:
    if p.heading or p.n_words < 15 or re.search(r"^\s*(>>>|\.\.\.|[|+]|\S+\s*::=)", p.text, re.M):
        return False
    lines = p.text.split("\n")
    if sum(ln.startswith((" ", "\t")) for ln in lines) > len(lines) / 3:
        return False  # code or grammar block
    words = p.text.split()
    return sum(any(c.isalpha() for c in w) for w in words) / len(words) >= 0.9


class Material:
    """Prose paragraphs of held-back documents, handed out in order, one document at a time, never reused."""

    def __init__(self, docs: list[Doc], rng: random.Random) -> None:
        self.docs = [(d.source, [p.text for p in split_paras(d.text) if is_prose(p)]) for d in docs]
        self.docs = [(src, paras) for src, paras in self.docs if paras]
        rng.shuffle(self.docs)
        self.sources: list[str] = []

    def begin(self) -> None:
        """Start a new output document (resets ``source``)."""
        self.sources = []

    @property
    def source(self) -> str:
        return " + ".join(self.sources)

    def take(self, min_words: int) -> str:
        """Paragraphs totalling ``min_words``+ words; ``self.source`` names the documents used."""
        got, w = [], 0
        while w < min_words and self.docs:
            src, paras = self.docs[-1]
            if src not in self.sources:
                self.sources.append(src)
            p = paras.pop(0)
            if not paras:
                self.docs.pop()
            got.append(p)
            w += len(p.split())
        if w < min_words:
            raise RuntimeError("ran out of low-quality material; raise FRAC_POOL")
        return "\n\n".join(got)


def lq_boilerplate(mat: Material, shorts: list[str], rng: random.Random) -> str:
    nav = [shorts.pop() for _ in range(rng.randint(3, 5))]
    body = sentences_of(mat.take(rng.randint(60, 150)))
    out = list(nav)
    step = rng.randint(2, 4)
    for i in range(0, len(body), step):
        out += body[i:i + step]
        out += nav
    return "\n".join(out)


def lq_symbol_heavy(mat: Material, rng: random.Random) -> str:
    sents = sentences_of(mat.take(rng.randint(80, 200)))
    if rng.random() < 0.5:
        out = []
        for s in sents:
            tags = [w.strip(string.punctuation).lower() for w in s.split()]
            tags = [w for w in tags if len(w) > 3 and w.isalpha()]
            rng.shuffle(tags)
            out.append("#" * rng.randint(1, 3) + " " + s + " " + " ".join("#" + w for w in tags[:rng.randint(2, 5)]))
        return "\n".join(out)
    words = " ".join(sents).split()
    out = []
    for i, w in enumerate(words):
        out.append(w.rstrip(".,;:") + ("..." if i % rng.randint(3, 6) == 0 else ""))
    return " ".join(out)


def lq_bullets(mat: Material, rng: random.Random) -> str:
    sents = sentences_of(mat.take(rng.randint(100, 220)))
    while len(sents) < 12:
        sents += sentences_of(mat.take(60))
    mark = rng.choice(("- ", "• ", "-", "  - "))
    return "\n".join(mark + s.rstrip(".") for s in sents)


def lq_ellipsis_lines(mat: Material, rng: random.Random) -> str:
    sents = sentences_of(mat.take(rng.randint(120, 260)))
    while len(sents) < 10:
        sents += sentences_of(mat.take(60))
    dots = rng.choice(("...", "…", " ..."))
    out = []
    for s in sents:
        ws = s.split()
        if rng.random() < 0.8 and len(ws) > 7:
            out.append(" ".join(ws[: rng.randint(5, min(12, len(ws) - 1))]).rstrip(",.;:") + dots)
        else:
            out.append(s)
    return "\n".join(out)


def lq_ngram_spam(mat: Material, rng: random.Random) -> str:
    text = mat.take(rng.randint(40, 90))
    sents = sentences_of(text) or [" ".join(text.split()[:20])]
    ws = rng.choice(sents).split()
    k = rng.randint(3, min(8, len(ws)))
    start = rng.randrange(0, len(ws) - k + 1)
    phrase = " ".join(ws[start:start + k]).strip(",;:")
    reps = rng.randint(15, 45)
    sep = rng.choice((" ", " ", "\n", ", "))
    return sents[0] + "\n\n" + sep.join([phrase] * reps) + "\n\n" + sents[-1]


def identifier_entries(pm: ParsedModule) -> list[tuple[str, str]]:
    out = []
    for node in pm.tree.body:
        if isinstance(node, ast.ClassDef):
            out.append((node.name, "class"))
            for sub in node.body:
                if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    out.append((f"{node.name}.{sub.name}", "method"))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.append((node.name, "function"))
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name) and t.id.isupper():
                    out.append((t.id, "constant"))
    seen: set[str] = set()
    return [(n, k) for n, k in out if n.lower() not in STOP_WORDS and not (n in seen or seen.add(n))]


def lq_no_stopwords(pm: ParsedModule, rng: random.Random) -> str:
    entries = identifier_entries(pm)
    style = rng.choice(("table", "index", "tags"))
    if style == "table":
        lines = [f"{pm.name} API index", "Name Kind"]
        lines += [f"{pm.name}.{n} {k}" for n, k in entries]
    elif style == "index":
        lines = [f"{pm.name}:"] + [", ".join(n for n, _ in entries[i:i + 6]) for i in range(0, len(entries), 6)]
    else:
        lines = [" ".join(n.split(".")[-1] for n, _ in entries)]
    return "\n".join(lines)


def code_token_lines(pm: ParsedModule, rng: random.Random) -> list[str] | None:
    funcs = [n for n in ast.walk(pm.tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    funcs = [f for f in funcs if f.end_lineno and 12 <= f.end_lineno - f.lineno <= 60]
    if not funcs:
        return None
    f = funcs[rng.randrange(len(funcs))]
    src = "\n".join(pm.source.split("\n")[f.lineno - 1:f.end_lineno])
    src = inspect.cleandoc("\n" + src) if src.startswith((" ", "\t")) else src
    lines, cur = [], []
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING,
            tokenize.ENDMARKER, tokenize.STRING}
    try:
        for tok in tokenize.generate_tokens(iter(src.splitlines(keepends=True)).__next__):
            if tok.type == tokenize.NEWLINE:
                if cur:
                    lines.append(" ".join(cur))
                cur = []
            elif tok.type not in skip:
                cur.append(tok.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None
    return lines


def numeric_tables() -> list[tuple[str, list[str]]]:
    import html.entities
    import http
    import opcode
    import token

    tables = []
    rows = [f"{v:>3} {v:03o} {v:08b} {name}" for name, v in sorted(opcode.opmap.items(), key=lambda kv: kv[1])]
    tables.append(("stdlib:opcode", rows))
    rows = [f"{v:>3} {v:03o} {name}" for v, name in sorted(token.tok_name.items())]
    tables.append(("stdlib:token", rows))
    rows = [f"{s.value} {s.value:o} {s.value % 100:02d} {s.phrase}" for s in http.HTTPStatus]
    tables.append(("stdlib:http", rows))
    rows = [f"&#{cp}; {cp} {cp:o} {cp:016b} {name}" for cp, name in sorted(html.entities.codepoint2name.items())]
    tables.append(("stdlib:html.entities", rows))
    return tables
