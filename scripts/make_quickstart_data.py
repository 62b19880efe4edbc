#!/usr/bin/env python3
"""Build thresher's bundled quickstart corpus from English text that ships with CPython.

The corpus is made only from text that ships with CPython 3.11 (a full
install, e.g. python.org or pyenv builds; some Linux distributions split
tkinter, lib2to3, distutils or venv into separate packages):

* ``pydoc_data.topics.topics`` -- the language-reference topics that ``help()``
  shows (generated from the CPython documentation at release time);
* docstrings of pure-Python standard-library modules, read with :mod:`ast`
  from the ``.py`` sources (nothing is imported, so nothing runs), and those
  modules' longer comment blocks (their implementation notes);
* docstrings of a fixed list of built-in / C modules (``builtins``,
  ``itertools``, ``math``, ...), which have no source to parse and are
  imported (they have no import-time side effects);
* ``email/architecture.rst``, ``LICENSE.txt`` and the Zen of Python
  (``this.py``'s rot13 string, decoded without importing ``this``).

Skipped: modules whose source files carry a copyright or permission notice
other than the PSF's (``LICENCE_EXCLUDED``), ``turtle`` (zlib licence), the
``test`` package, ``idlelib``, ``turtledemo``, ``ensurepip`` and the
per-codec ``encodings`` modules.

From that text it builds "web-sized" documents (mostly 100-2000 words), keeps
them pairwise distinct (5-word-shingle Jaccard < 0.3, containment < 0.5) and
passing the Gopher quality and repetition rules (Rae et al. 2021, default
thresholds, with a safety margin), then injects labelled noise: exact
duplicates, exact duplicates up to whitespace/case, near duplicates,
low-quality documents of several kinds built by transforming real stdlib text,
and empty texts. Every row's ``kind`` says which it is; duplicates name their
original in ``dup_of``.

Output: ``data/quickstart/part-0000{0,1,2}.parquet`` (columns ``id``, ``text``,
``source``, ``kind``, ``dup_of``) and ``data/README.md``.

The output is a pure function of the Python version's standard library: fixed
seed, sorted inputs, fixed Parquet writer settings. On the same Python version
(and pyarrow version, which is recorded in each Parquet footer) the files are
byte-for-byte identical. Docstrings change between Python versions, so the
script refuses to run on anything but Python 3.11 unless ``--force`` is given.
``--check`` regenerates in memory and compares with the files on disk.

Usage::

    python scripts/make_quickstart_data.py            # (re)write data/quickstart + data/README.md
    python scripts/make_quickstart_data.py --check    # verify the committed files
"""

from __future__ import annotations

import argparse
import ast
import codecs
import collections
import importlib
import inspect
import json
import math
import os
import random
import re
import statistics
import string
import sys
import sysconfig
import tokenize
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

REQUIRED_PYTHON = (3, 11)
REFERENCE_PYTHON = "3.11.7"  # the version the committed files were generated with
SEED = 20231204
N_FILES = 3
ROW_GROUP_SIZE = 500
COMPRESSION = "zstd"
COMPRESSION_LEVEL = 9

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "data" / "quickstart"
DEFAULT_README = REPO_ROOT / "data" / "README.md"

# Share of the final corpus per label family.
FRAC_EXACT = 0.05  # exact_dup + exact_dup_normalized
FRAC_EXACT_NORMALIZED = 0.35  # of the exact duplicates, the share that differ in whitespace/case
FRAC_NEAR = 0.05
FRAC_LOW_QUALITY = 0.10
FRAC_POOL = 0.06  # clean candidates held back as raw material for low-quality docs
EMPTY_TEXTS = ["", " ", "\n", "\n\n", "\t  \n", "\u3000", None, None, None, None]

# Document sizes (whitespace words).
MIN_CLEAN_WORDS = 80
MAX_DOC_WORDS = 2000
TARGET_MEDIAN_WORDS = 120
TARGET_SIGMA = 0.75
LONG_DOC_SHARE = 0.05
LONG_DOC_MEDIAN_WORDS = 700

SHINGLE = 5
NEAR_JACCARD = (0.70, 0.95)  # accepted Jaccard range of a near_dup to its original
DISTINCT_JACCARD = 0.30  # clean docs must be below this Jaccard ...
DISTINCT_CONTAINMENT = 0.50  # ... and share less than this fraction of either's shingles

# Top-level stdlib names skipped: tests, the IDE and demos, turtle (zlib licence),
# vendored wheels, build artefacts, per-codec boilerplate, and modules read
# specially. Sources are parsed, never imported, so tkinter & co. are safe to read.
SKIPPED_TOP = {
    "test", "idlelib", "turtledemo", "turtle", "ensurepip", "site-packages", "lib-dynload",
    "pydoc_data", "antigravity", "this", "__hello__", "__phello__", "encodings",
}
SKIPPED_DIR_NAMES = {"test", "tests", "__pycache__"}

# Modules whose source files carry a licence or permission notice other than the
# PSF's (third-party copyright notices: Sam Rushing, Timothy O'Malley, Vinay Sajip,
# Greg Ward, eGenix, InfoSeek, Secret Labs, Gerhard Haering, Lars Gustaebel,
# Fredrik Lundh, MIT-licensed tomllib / wsgiref.validate, ...). Leaving them out
# keeps the whole corpus under the PSF License Version 2.
LICENCE_EXCLUDED = (
    "asynchat", "asyncore", "asyncio.taskgroups", "http.cookies", "logging", "optparse",
    "platform", "profile", "pstats", "re", "sqlite3", "tarfile", "tomllib", "trace",
    "urllib.robotparser", "uu", "wsgiref.validate", "xml.etree", "xmlrpc",
)

# Compiled modules read by importing them (no source to parse). Only modules
# every CPython build has and whose docstrings do not depend on the platform;
# for sys and time only the module docstring is used (their function sets vary).
C_MODULES = ("builtins", "itertools", "math", "cmath", "gc", "marshal", "array", "binascii",
             "unicodedata", "_io", "_thread", "_collections", "_functools", "_operator", "_abc",
             "_codecs", "atexit", "faulthandler", "_tracemalloc", "sys", "time")
C_MODULE_DOC_ONLY = {"sys", "time"}

# Gopher (Rae et al. 2021) rules, as in datatrove's GopherQualityFilter /
# GopherRepetitionFilter defaults.
STOP_WORDS = frozenset(["the", "be", "to", "of", "and", "that", "have", "with"])
STOP_WORDS_RE = re.compile(r"(?<!\w)(?:" + "|".join(sorted(STOP_WORDS)) + r")(?!\w)", re.I)
# datatrove counts lines starting with '•' or '-'; other implementations take more marks.
BULLETS = ("•", "●", "○", "◦", "▪", "▫", "■", "□", "‣", "⁃", "∙", "➢", "➤", "►", "▸", "▶", "-", "*", "–")
PUNCTUATION = frozenset(string.punctuation + "“”‘’«»…–—·•")
GOPHER = dict(
    min_doc_words=50, max_doc_words=100_000, min_avg_word_length=3, max_avg_word_length=10,
    max_symbol_word_ratio=0.1, max_bullet_lines_ratio=0.9, max_ellipsis_lines_ratio=0.3,
    max_non_alpha_words_ratio=0.8, min_stop_words=2,
    dup_line_frac=0.3, dup_para_frac=0.3, dup_line_char_frac=0.2, dup_para_char_frac=0.2,
    top_n_grams=((2, 0.2), (3, 0.18), (4, 0.16)),
    dup_n_grams=((5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10)),
)
# Clean documents must pass stricter versions of the rules, so that small
# differences between implementations (tokenisation, line splitting) do not
# flip them.
CLEAN_MARGIN = dict(
    min_avg_word_length=3.3, max_avg_word_length=8.5, max_symbol_word_ratio=0.05,
    max_bullet_lines_ratio=0.6, max_ellipsis_lines_ratio=0.15, max_non_alpha_words_ratio=0.85,
    min_stop_words=3, repetition_scale=0.9,
)


# --------------------------------------------------------------------------- helpers


def words_of(text: str) -> list[str]:
    return text.split()


def shingles(text: str, n: int = SHINGLE) -> set[str]:
    toks = text.lower().split()
    if len(toks) < n:
        return {" ".join(toks)} if toks else set()
    return {" ".join(toks[i:i + n]) for i in range(len(toks) - n + 1)}


def jaccard(a: set, b: set) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def normalize_for_exact(text: str) -> str:
    """The normalisation under which exact_dup_normalized rows equal their original."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def _dup_stats(items: list[str]) -> tuple[int, int]:
    seen: set[str] = set()
    n_dup = chars = 0
    for x in items:
        if x in seen:
            n_dup += 1
            chars += len(x)
        else:
            seen.add(x)
    return n_dup, chars


def _all_dup_ngram_chars(words: list[str], n: int) -> int:
    seen: set[str] = set()
    chars = idx = 0
    while idx < len(words) - n + 1:
        gram = "".join(words[idx:idx + n])
        if gram in seen:
            chars += len(gram)
            idx += n
        else:
            seen.add(gram)
            idx += 1
    return chars


def gopher_failures(text: str, strict: bool = False) -> list[str]:
    """Names of the Gopher quality/repetition rules ``text`` fails (whitespace words)."""
    g = dict(GOPHER)
    scale = 1.0
    if strict:
        g.update({k: v for k, v in CLEAN_MARGIN.items() if k in g})
        scale = CLEAN_MARGIN["repetition_scale"]
    out = []
    words = words_of(text)
    if not words:
        return ["empty"]
    non_symbol = [w for w in words if any(c not in PUNCTUATION for c in w)]
    if len(non_symbol) < g["min_doc_words"]:
        out.append("short_doc")
    if len(non_symbol) > g["max_doc_words"]:
        out.append("long_doc")
    if non_symbol:
        avg = sum(map(len, non_symbol)) / len(non_symbol)
        if not g["min_avg_word_length"] <= avg <= g["max_avg_word_length"]:
            out.append("avg_word_length")
    n = len(words)
    if text.count("#") / n > g["max_symbol_word_ratio"]:
        out.append("hash_ratio")
    if (text.count("...") + text.count("…")) / n > g["max_symbol_word_ratio"]:
        out.append("ellipsis_ratio")
    lines = text.splitlines() or [""]
    if sum(ln.lstrip().startswith(BULLETS) for ln in lines) / len(lines) > g["max_bullet_lines_ratio"]:
        out.append("bullet_lines")
    if sum(ln.rstrip().endswith(("...", "…")) for ln in lines) / len(lines) > g["max_ellipsis_lines_ratio"]:
        out.append("ellipsis_lines")
    if sum(any(c.isalpha() for c in w) for w in words) / n < g["max_non_alpha_words_ratio"]:
        out.append("non_alpha_words")
    if sum(w in STOP_WORDS for w in words) < g["min_stop_words"]:
        out.append("stop_words")  # datatrove: stop-word tokens, case-sensitive
    if len({m.lower() for m in STOP_WORDS_RE.findall(text)}) < g["min_stop_words"]:
        out.append("stop_words_distinct")  # distinct stop words, case-insensitive, whole words
    # repetition
    length = len(text)
    paras = re.split(r"\n{2,}", text.strip())
    d, c = _dup_stats(paras)
    if d / len(paras) > g["dup_para_frac"] * scale:
        out.append("dup_para_frac")
    if c / length > g["dup_para_char_frac"] * scale:
        out.append("dup_para_char_frac")
    lines2 = re.split(r"\n+", text)
    d, c = _dup_stats(lines2)
    if d / len(lines2) > g["dup_line_frac"] * scale:
        out.append("dup_line_frac")
    if c / length > g["dup_line_char_frac"] * scale:
        out.append("dup_line_char_frac")
    for k, frac in g["top_n_grams"]:
        grams = [" ".join(words[i:i + k]) for i in range(len(words) - k + 1)]
        if grams:
            top, cnt = collections.Counter(grams).most_common(1)[0]
            if cnt > 1 and len(top) * cnt / length > frac * scale:
                out.append(f"top_{k}_gram")
    for k, frac in g["dup_n_grams"]:
        if _all_dup_ngram_chars(words, k) / length > frac * scale:
            out.append(f"dup_{k}_grams")
    return out


# --------------------------------------------------------------------------- source text


@dataclass
class Para:
    text: str
    heading: bool = False

    @property
    def n_words(self) -> int:
        return len(self.text.split())


@dataclass
class Group:
    """An ordered run of paragraphs from one source (a topic or a module)."""
    source: str
    title: str
    paras: list[Para]


@dataclass
class Doc:
    key: int
    text: str | None
    source: str
    kind: str
    dup_of: int | None = None
    sh: set = field(default_factory=set, repr=False)


UNDERLINE = re.compile(r"^([=\-*~^\"'`#+])\1{2,}$")


def split_paras(text: str) -> list[Para]:
    out = []
    for block in re.split(r"\n[ \t]*\n", text.strip("\n")):
        block = block.rstrip()
        if not block.strip():
            continue
        lines = block.split("\n")
        if len(lines) == 2 and UNDERLINE.match(lines[1].strip()) and lines[0].strip():
            out.append(Para(block, heading=True))
        else:
            out.append(Para(block))
    return out


def stdlib_dir() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def module_name(rel: Path) -> str:
    parts = list(rel.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def licence_excluded(mod: str) -> bool:
    return any(mod == x or mod.startswith(x + ".") for x in LICENCE_EXCLUDED)


def iter_stdlib_sources() -> list[tuple[str, Path]]:
    root = stdlib_dir()
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root)
        if rel_dir == Path("."):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_TOP and not d.startswith("config-"))
        else:
            dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIR_NAMES)
        for fn in sorted(filenames):
            if not fn.endswith(".py"):
                continue
            rel = rel_dir / fn
            mod = module_name(rel)
            top = mod.split(".")[0]
            if top in SKIPPED_TOP or top.startswith("_sysconfigdata") or licence_excluded(mod):
                continue
            out.append((mod, root / rel))
    out.sort()
    return out


def _arg_names(args: ast.arguments) -> str:
    names = []
    posonly = [a.arg for a in args.posonlyargs]
    names += posonly
    if posonly:
        names.append("/")
    names += [a.arg for a in args.args]
    if args.vararg:
        names.append("*" + args.vararg.arg)
    elif args.kwonlyargs:
        names.append("*")
    names += [a.arg for a in args.kwonlyargs]
    if args.kwarg:
        names.append("**" + args.kwarg.arg)
    if names and names[0] in ("self", "cls"):
        names = names[1:]
        if names and names[0] == "/":
            names = names[1:]
    return ", ".join(names)


@dataclass
class ParsedModule:
    name: str
    tree: ast.Module
    source: str


def parse_modules() -> list[ParsedModule]:
    mods = []
    for mod, path in iter_stdlib_sources():
        try:
            src = path.read_text(encoding="utf-8")
            tree = ast.parse(src, filename=str(path))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        mods.append(ParsedModule(mod, tree, src))
    return mods


def docstring_group(pm: ParsedModule) -> Group:
    paras: list[Para] = [Para(pm.name, heading=True)]
    doc = ast.get_docstring(pm.tree)
    if doc:
        paras += split_paras(doc)

    def visit(body, prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                qual = prefix + node.name
                d = ast.get_docstring(node)
                if d:
                    paras.append(Para(f"class {qual}", heading=True))
                    paras.extend(split_paras(d))
                visit(node.body, qual + ".")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                d = ast.get_docstring(node)
                if d:
                    paras.append(Para(f"{prefix}{node.name}({_arg_names(node.args)})", heading=True))
                    paras.extend(split_paras(d))

    visit(pm.tree.body, "")
    return Group(f"stdlib:{pm.name}", pm.name, paras)


COPYRIGHT_RE = re.compile(r"copyright|licen[cs]e|all rights reserved", re.I)


def comment_group(pm: ParsedModule) -> Group | None:
    """Runs of whole-line comments of 25+ words: the module's implementation notes."""
    blocks: list[list[str]] = []
    last = -2
    try:
        toks = list(tokenize.generate_tokens(iter(pm.source.splitlines(keepends=True)).__next__))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None
    for tok in toks:
        if tok.type != tokenize.COMMENT or not tok.line.lstrip().startswith("#"):
            continue
        line = tok.string.lstrip("#").strip()
        if tok.start[0] == last + 1 and blocks:
            blocks[-1].append(line)
        else:
            blocks.append([line])
        last = tok.start[0]
    paras = []
    for b in blocks:
        text = "\n".join(b).strip()
        if len(text.split()) >= 25 and not COPYRIGHT_RE.search(text):
            paras += split_paras(text)
    if not paras:
        return None
    title = f"Implementation notes: {pm.name}"
    return Group(f"stdlib:{pm.name}#comments", title, [Para(title, heading=True)] + paras)


def c_module_groups() -> list[Group]:
    groups = []
    for name in C_MODULES:
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        paras: list[Para] = [Para(name, heading=True)]
        if isinstance(mod.__doc__, str):
            paras += split_paras(inspect.cleandoc(mod.__doc__))
        if name not in C_MODULE_DOC_ONLY:
            for attr, obj in sorted(vars(mod).items()):
                if attr.startswith("_"):
                    continue
                if inspect.isbuiltin(obj) and isinstance(obj.__doc__, str):
                    sig = getattr(obj, "__text_signature__", None) or "(...)"
                    sig = sig.replace("$module, ", "").replace("($module)", "()")
                    paras.append(Para(f"{name}.{attr}{sig}", heading=True))
                    paras += split_paras(inspect.cleandoc(obj.__doc__))
                elif inspect.isclass(obj) and getattr(obj, "__module__", None) == name:
                    if isinstance(obj.__doc__, str):
                        paras.append(Para(f"class {name}.{attr}", heading=True))
                        paras += split_paras(inspect.cleandoc(obj.__doc__))
                    for mname, m in sorted(vars(obj).items()):
                        d = getattr(m, "__doc__", None)
                        if mname.startswith("__") or not isinstance(d, str) or d == getattr(obj, "__doc__", None):
                            continue
                        paras.append(Para(f"{attr}.{mname}", heading=True))
                        paras += split_paras(inspect.cleandoc(d))
        groups.append(Group(f"stdlib:{name}", name, paras))
    return groups


def topic_groups() -> list[Group]:
    from pydoc_data.topics import topics  # a plain dict literal

    return [Group(f"pydoc_data.topics:{k}", k, split_paras(topics[k])) for k in sorted(topics)]


def extra_groups() -> list[Group]:
    root = stdlib_dir()
    out = []
    arch = root / "email" / "architecture.rst"
    if arch.exists():
        out.append(Group("stdlib:email/architecture.rst", "email architecture",
                         split_paras(arch.read_text(encoding="utf-8"))))
    lic = root / "LICENSE.txt"
    if lic.exists():
        out.append(Group("stdlib:LICENSE.txt", "LICENSE", split_paras(lic.read_text(encoding="utf-8"))))
    this = root / "this.py"
    if this.exists():
        tree = ast.parse(this.read_text(encoding="utf-8"))
        for node in tree.body:
            if (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
                    and node.targets[0].id == "s" and isinstance(node.value, ast.Constant)):
                zen = codecs.decode(node.value.value, "rot13")
                out.append(Group("stdlib:this", "this", split_paras(zen)))
    return out


# --------------------------------------------------------------------------- chunking


def draw_target(rng: random.Random) -> int:
    # mostly short pages, with a tail of long ones
    median = TARGET_MEDIAN_WORDS if rng.random() >= LONG_DOC_SHARE else LONG_DOC_MEDIAN_WORDS
    t = rng.lognormvariate(math.log(median), TARGET_SIGMA)
    return int(min(max(t, 90), 1800))


def split_long_para(p: Para, limit: int) -> list[Para]:
    if p.n_words <= limit:
        return [p]
    out, cur, cur_w = [], [], 0
    for line in p.text.split("\n"):
        w = len(line.split())
        if cur and cur_w + w > limit:
            out.append(Para("\n".join(cur)))
            cur, cur_w = [], 0
        cur.append(line)
        cur_w += w
    if cur:
        out.append(Para("\n".join(cur)))
    return out


def chunk_group(g: Group, rng: random.Random) -> list[str]:
    paras: list[Para] = []
    for p in g.paras:
        paras += split_long_para(p, 900)
    chunks: list[list[Para]] = []
    cur: list[Para] = []
    cur_w = 0
    target = draw_target(rng)
    for p in paras:
        cur.append(p)
        cur_w += p.n_words
        if cur_w >= target and not cur[-1].heading:
            chunks.append(cur)
            cur, cur_w, target = [], 0, draw_target(rng)
    if cur and any(not p.heading for p in cur):
        if chunks and cur_w < MIN_CLEAN_WORDS and sum(p.n_words for p in chunks[-1]) + cur_w <= MAX_DOC_WORDS:
            chunks[-1].extend(cur)
        else:
            chunks.append(cur)
    texts = []
    for ch in chunks:
        # continuation pages of a module repeat its name as their title line
        if g.paras[0].heading and g.paras[0].text == g.title and ch[0].text != g.title:
            ch = [Para(g.title, heading=True)] + ch
        texts.append("\n\n".join(p.text for p in ch))
    return texts


# --------------------------------------------------------------------------- distinctness


class ShingleIndex:
    def __init__(self) -> None:
        self.index: dict[str, list[int]] = collections.defaultdict(list)
        self.sizes: dict[int, int] = {}

    def overlaps(self, sh: set) -> collections.Counter:
        c: collections.Counter = collections.Counter()
        for s in sh:
            for k in self.index.get(s, ()):
                c[k] += 1
        return c

    def add(self, key: int, sh: set) -> None:
        self.sizes[key] = len(sh)
        for s in sh:
            self.index[s].append(key)

    def too_close(self, sh: set) -> bool:
        for k, o in self.overlaps(sh).items():
            other = self.sizes[k]
            if o / (len(sh) + other - o) >= DISTINCT_JACCARD or o / min(len(sh), other) >= DISTINCT_CONTAINMENT:
                return True
        return False


# --------------------------------------------------------------------------- duplicates


HEADERS = [
    "{title} - Python 3.11 documentation",
    "From the Python standard library reference: {title}",
    "Reference notes on {title}",
    "Archived copy of the page about {title}",
    "{title} | Python docs mirror",
]
FOOTERS = [
    "Last updated on Dec 04, 2023.",
    "Copyright 2001-2023, Python Software Foundation.",
    "This page was mirrored from the Python documentation.",
    "Found a bug? Please report it on the issue tracker.",
    "Previous topic | Next topic | This page",
    "Was this page helpful? Let us know in the comments below.",
]


def tokens_with_seps(text: str) -> tuple[str, list[list[str]]]:
    lead = text[: len(text) - len(text.lstrip())]
    return lead, [[w, s] for w, s in re.findall(r"(\S+)(\s*)", text)]


def join_tokens(lead: str, toks: list[list[str]]) -> str:
    return lead + "".join(w + s for w, s in toks)


def edit_words(text: str, rng: random.Random, n_edits: int) -> str:
    lead, toks = tokens_with_seps(text)
    vocab = [w for w, _ in toks if w.isalpha() and len(w) > 2] or ["the"]
    for _ in range(n_edits):
        if len(toks) < 10:
            break
        i = rng.randrange(1, len(toks) - 1)
        op = rng.choice(("sub", "sub", "del", "ins", "swap", "typo"))
        if op == "sub":
            toks[i][0] = rng.choice(vocab)
        elif op == "del":
            if "\n" in toks[i][1]:
                toks[i - 1][1] = toks[i][1]
            del toks[i]
        elif op == "ins":
            toks.insert(i + 1, [rng.choice(vocab), " "])
        elif op == "swap":
            toks[i][0], toks[i + 1][0] = toks[i + 1][0], toks[i][0]
        else:
            w = toks[i][0]
            if len(w) >= 4:
                j = rng.randrange(1, len(w) - 1)
                toks[i][0] = w[:j] + w[j + 1:] if rng.random() < 0.5 else w[:j] + w[j] + w[j:]
            else:
                toks[i][0] = rng.choice(vocab)
    return join_tokens(lead, toks)


def change_header_footer(text: str, title: str, rng: random.Random) -> str:
    lines = text.split("\n")
    header = rng.choice(HEADERS).format(title=title)
    footer = rng.choice(FOOTERS)
    mode = rng.choice(("header", "footer", "both"))
    if mode in ("header", "both"):
        if len(lines[0].split()) <= 6:  # a title line: replace it
            lines[0] = header
        else:
            lines = [header, ""] + lines
    if mode in ("footer", "both"):
        if len(lines[-1].split()) <= 8 and len(lines) > 3:
            lines[-1] = footer
        else:
            lines += ["", footer]
    return "\n".join(lines)


def truncate_tail(text: str, rng: random.Random) -> str:
    keep = rng.uniform(0.74, 0.9)
    n = len(text.split())
    lines = text.split("\n")
    out, w = [], 0
    for ln in lines:
        if w >= keep * n and ln.strip():
            break
        out.append(ln)
        w += len(ln.split())
    if len(out) == len(lines):  # one long line: cut inside it
        toks = text.split(" ")
        out = [" ".join(toks[: int(len(toks) * keep)])]
    return "\n".join(out).rstrip()


def make_near_dup(orig: Doc, title: str, rng: random.Random, style: str) -> str | None:
    base = orig.sh
    lo, hi = NEAR_JACCARD
    for _attempt in range(30):
        t = orig.text
        if style == "truncate":
            t = truncate_tail(t, rng)
        elif style == "header_footer":
            t = change_header_footer(t, title, rng)
        target = rng.uniform(lo + 0.03, hi - 0.02)
        j = jaccard(shingles(t), base)
        s_count = max(len(base), 1)
        edits = max(0 if style != "edits" else 1,
                    round(s_count * (j - target) / (SHINGLE * (1 + target))))
        if edits:
            t = edit_words(t, rng, edits)
        j = jaccard(shingles(t), base)
        steps = 0
        while j > hi and steps < 20:
            t = edit_words(t, rng, max(1, round(len(base) * 0.01)))
            j = jaccard(shingles(t), base)
            steps += 1
        if lo <= j <= hi and t != orig.text:
            return t
    return None


def whitespace_variant(text: str, rng: random.Random) -> str:
    mode = rng.choice(("rewrap", "spaces", "crlf", "nbsp"))
    if mode == "rewrap":  # join wrapped lines of each paragraph
        paras = re.split(r"\n\s*\n", text)
        t = "\n\n".join(" ".join(p.split()) for p in paras)
    elif mode == "spaces":
        t = re.sub(r" ", lambda m: "  " if rng.random() < 0.15 else " ", text)
        t = "\n".join(ln + (" " * rng.randint(0, 3)) for ln in t.split("\n"))
    elif mode == "crlf":
        t = text.replace("\n", "\r\n") + "\r\n"
    else:
        t = re.sub(r"(?<=\w) (?=\w)", lambda m: "\u00a0" if rng.random() < 0.2 else " ", text)
    return "\n" + t + "\n\n" if rng.random() < 0.3 else t


def case_variant(text: str, rng: random.Random) -> str:
    mode = rng.choice(("lower", "title_upper", "sentence"))
    if mode == "lower":
        return "".join(c.lower() if c.isascii() else c for c in text)
    if mode == "title_upper":
        lines = text.split("\n")
        lines[0] = "".join(c.upper() if c.isascii() else c for c in lines[0])
        return "\n".join(lines)
    return re.sub(r"\b([a-z])([a-z]{3,})\b",
                  lambda m: (m.group(1).upper() + m.group(2)) if rng.random() < 0.25 else m.group(0), text)


def make_normalized_dup(orig: Doc, rng: random.Random) -> str | None:
    want = normalize_for_exact(orig.text)
    for _ in range(10):
        mode = rng.choice(("ws", "case", "both"))
        t = orig.text
        if mode in ("case", "both"):
            t = case_variant(t, rng)
        if mode in ("ws", "both"):
            t = whitespace_variant(t, rng)
        casefolded = " ".join(unicodedata.normalize("NFKC", t).casefold().split())
        if (t != orig.text and normalize_for_exact(t) == want
                and casefolded == " ".join(unicodedata.normalize("NFKC", orig.text).casefold().split())):
            return t
    return None


# --------------------------------------------------------------------------- low quality


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


# --------------------------------------------------------------------------- build

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


# --------------------------------------------------------------------------- output


def to_tables(rows: list[dict]):
    import pyarrow as pa

    schema = pa.schema(
        [("id", pa.string()), ("text", pa.string()), ("source", pa.string()),
         ("kind", pa.string()), ("dup_of", pa.string())],
        metadata={
            b"thresher.quickstart": json.dumps({
                "generator": "scripts/make_quickstart_data.py",
                "python": ".".join(map(str, sys.version_info[:3])),
                "seed": SEED,
            }, sort_keys=True).encode(),
        },
    )
    per = math.ceil(len(rows) / N_FILES)
    out = []
    for i in range(N_FILES):
        part = rows[i * per:(i + 1) * per]
        cols = {name: [r[name] for r in part] for name in schema.names}
        out.append((f"part-{i:05d}.parquet", pa.table(cols, schema=schema)))
    return out


def write(rows: list[dict], out_dir: Path) -> list[Path]:
    import pyarrow.parquet as pq

    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("part-*.parquet"):
        old.unlink()
    paths = []
    for name, table in to_tables(rows):
        path = out_dir / name
        pq.write_table(
            table, path, row_group_size=ROW_GROUP_SIZE, compression=COMPRESSION,
            compression_level=COMPRESSION_LEVEL, use_dictionary=["source", "kind"],
            write_statistics=True, version="2.6", data_page_version="1.0",
            store_schema=True, write_page_index=False,
        )
        paths.append(path)
    return paths


def check(rows: list[dict], out_dir: Path) -> bool:
    import pyarrow.parquet as pq

    expected = dict(to_tables(rows))
    found = sorted(p.name for p in out_dir.glob("part-*.parquet"))
    if found != sorted(expected):
        print(f"files differ: found {found}, expected {sorted(expected)}", file=sys.stderr)
        return False
    ok = True
    for name, table in expected.items():
        on_disk = pq.read_table(out_dir / name)
        if not on_disk.equals(table):
            print(f"{name}: contents differ from a fresh build", file=sys.stderr)
            ok = False
    return ok


def kind_counts(rows: list[dict]) -> list[tuple[str, int]]:
    c = collections.Counter(r["kind"] for r in rows)
    order = ["clean", "exact_dup", "exact_dup_normalized", "near_dup"]
    lq = sorted(k for k in c if k.startswith("low_quality:"))
    return [(k, c[k]) for k in order + lq + ["empty"] if k in c]


def summary(rows: list[dict]) -> dict:
    texts = [r["text"] or "" for r in rows]
    clean_words = [len(r["text"].split()) for r in rows if r["kind"] == "clean"]
    return {
        "rows": len(rows),
        "text_bytes": sum(len(t.encode("utf-8")) for t in texts),
        "words": sum(len(t.split()) for t in texts),
        "clean_words_median": statistics.median(clean_words),
        "clean_words_p5_p95": (sorted(clean_words)[len(clean_words) // 20],
                               sorted(clean_words)[len(clean_words) * 19 // 20]),
    }


README_TEMPLATE = """\
# Bundled data

## `quickstart/` -- the quickstart corpus

`data/quickstart/part-0000{{0,1,2}}.parquet` is a small, labelled corpus of
real English text for the README's quickstart and for tests: {rows:,} documents,
{mb:.2f} MB of UTF-8 text ({words:,} words). Clean documents are mostly
{p5}-{p95} words long (median {median}).

### Where the text comes from

Every document is built from English text that ships with the **CPython
{pyver} standard library**; nothing is downloaded:

* `pydoc_data.topics.topics` -- the language-reference topics shown by
  `help()`, generated from the CPython documentation when the release is made
  (`source` = `pydoc_data.topics:<topic>`);
* docstrings of pure-Python standard-library modules, read from their `.py`
  sources with `ast` (nothing is imported), grouped per module and split into
  page-sized documents (`source` = `stdlib:<module>`);
* the modules' longer comment blocks (25+ words), i.e. their implementation
  notes (`source` = `stdlib:<module>#comments`);
* docstrings of built-in modules that have no Python source
  (`source` = `stdlib:<module>`): {cmods};
* `Lib/email/architecture.rst`, CPython's `LICENSE.txt` and the Zen of
  Python (`Lib/this.py`, decoded from its rot13 string).

Left out: `test`, `idlelib`, `turtledemo`, `ensurepip`, `site-packages`, the
`encodings` codecs, `turtle` (zlib licence), and the modules whose source
files carry a copyright or permission notice other than the PSF's:
{excluded}.

### Licence

CPython's source code, its docstrings and the Python documentation (from
which `pydoc_data/topics.py` is generated) are distributed under the
**Python Software Foundation License Version 2** -- see CPython's
`LICENSE` file ("Python software and documentation are licensed under the
Python Software Foundation License Version 2"); examples and other code in
the documentation are dual licensed under the PSF License Version 2 and the
Zero-Clause BSD license. Copyright (c) 2001-2023 Python Software Foundation;
All Rights Reserved. `pydoc_data/topics.py` has no licence header of its own
(it is generated by Sphinx from the documentation during the release process)
and is covered by that licence as part of the CPython distribution. Some
included modules say they were "Licensed to PSF under a Contributor
Agreement"; modules with any other copyright or permission notice were left
out (list above). As the PSF licence asks of derivative works, a summary of
the changes made: the text was split into documents, and some copies were
deliberately altered (see the `kind`s below) to make test data for
deduplication and quality filtering.

### Columns

| column | type | meaning |
|---|---|---|
| `id` | string | stable row id, `qs-000000` ... |
| `text` | string, nullable | the document; null, empty or whitespace-only for `kind = empty` |
| `source` | string | where the text came from, e.g. `pydoc_data.topics:assert`, `stdlib:json.decoder` |
| `kind` | string | what the row is (table below) |
| `dup_of` | string, nullable | `id` of the `clean` original for `exact_dup`, `exact_dup_normalized`, `near_dup` |

### Counts per `kind`

| kind | rows | what it is |
|---|---:|---|
{table}

Guarantees (checked when the data is built):

* `clean` documents are pairwise distinct (Jaccard of 5-word shingles below
  {dj}, and no document shares half of its shingles with another) and pass the
  Gopher quality and repetition rules (Rae et al. 2021, default thresholds as
  in datatrove, words split on whitespace) with a margin.
* `exact_dup_normalized` rows equal their original after NFKC normalisation,
  lower-casing and collapsing whitespace runs (`" ".join(nfkc(text).lower().split())`),
  but not byte for byte.
* `near_dup` rows have a Jaccard similarity of 5-word shingles (lower-cased,
  whitespace tokens) between {nlo} and {nhi} to their original (median {nmed:.2f}).
* each `low_quality:*` row except `too_short` fails the Gopher rule its kind
  names; `too_short` rows (one-line docstrings) have fewer than 20 words.
  The others are built from documents held back from the clean set, module
  identifiers, stdlib data tables or tokenised source code.
* no two rows outside one duplicate cluster (an original and its copies) have
  a 5-word-shingle Jaccard of 0.5 or more.
* rows are shuffled so that no two rows of one duplicate cluster are adjacent.

Gopher's "80% of words contain a letter" rule is applied to whitespace-separated
words here, as in the Gopher paper. Tokenisers that make every punctuation mark
a word (datatrove uses NLTK's) put most of these technical documents
(parentheses, quotes, `code`) under the 0.8 floor.

So a correct run of `recipes/quickstart.yaml` (normalise, word count >= 20,
Gopher rules, exact dedup) drops every `empty` and `low_quality:*` row, no
`clean` row for quality, and exactly one row per `exact_dup` /
`exact_dup_normalized` row (which member of a cluster is kept is the dedup's
choice); `near_dup` rows are left for near-duplicate (MinHash) dedup.

### Regenerating

```
python scripts/make_quickstart_data.py          # rewrites data/quickstart/ and this file
python scripts/make_quickstart_data.py --check  # compares the files with a fresh build
```

The script reads the standard library of the Python that runs it, so use a
full CPython build (python.org, pyenv): some Linux distributions package
tkinter, lib2to3, distutils or venv separately. The build is deterministic
(fixed seed, sorted inputs, fixed Parquet writer settings: zstd level
{zlevel}, {rg} rows per row group, {nfiles} files). Docstrings
change between Python versions, so the script refuses to run on a Python other
than {req} unless `--force` is given; the committed files were made with Python
{pyver} and pyarrow {pa}. With the same versions the output is byte-for-byte
identical.
"""

KIND_HELP = {
    "clean": "original document",
    "exact_dup": "verbatim copy of a clean document",
    "exact_dup_normalized": "copy differing only in whitespace (re-wrapped lines, extra spaces, CRLF, NBSP) "
                            "and/or ASCII letter case",
    "near_dup": "copy with a few word edits (substitutions, insertions, deletions, swaps, typos), "
                "a changed header/footer line, or a truncated tail",
    "low_quality:too_short": "a one-line docstring (under 20 words)",
    "low_quality:boilerplate_repeated_lines": "a few sentences between navigation-style lines repeated many times",
    "low_quality:symbol_heavy": "sentences decorated with `#` headings and hashtags, or broken up with `...`",
    "low_quality:bullet_list": "sentences turned into a bullet list (`-` / `•`)",
    "low_quality:ellipsis_lines": "snippet list: most lines cut off with `...` / `…`",
    "low_quality:no_stopwords": "table / index of a module's identifiers",
    "low_quality:ngram_spam": "a phrase from a docstring repeated many times",
    "low_quality:non_alpha": "numeric tables (opcodes, tokens, HTTP statuses, HTML entities) or tokenised source code",
    "empty": "empty, whitespace-only or null text",
}


def write_readme(rows: list[dict], path: Path, near_j: list[float]) -> None:
    import pyarrow as pa

    s = summary(rows)
    table = "\n".join(f"| `{k}` | {n:,} | {KIND_HELP.get(k, '')} |" for k, n in kind_counts(rows))
    table += f"\n| **total** | **{len(rows):,}** | |"
    text = README_TEMPLATE.format(
        rows=s["rows"], mb=s["text_bytes"] / 1e6, words=s["words"], median=int(s["clean_words_median"]),
        p5=s["clean_words_p5_p95"][0], p95=s["clean_words_p5_p95"][1],
        pyver=".".join(map(str, sys.version_info[:3])), req=".".join(map(str, REQUIRED_PYTHON)),
        cmods=(", ".join(f"`{m}`" for m in C_MODULES if m not in C_MODULE_DOC_ONLY) + " (all docstrings) and "
               + ", ".join(f"`{m}`" for m in sorted(C_MODULE_DOC_ONLY)) + " (module docstring only)"),
        excluded=", ".join(f"`{m}`" for m in LICENCE_EXCLUDED),
        table=table, dj=DISTINCT_JACCARD, nlo=NEAR_JACCARD[0], nhi=NEAR_JACCARD[1],
        nmed=statistics.median(near_j) if near_j else float("nan"),
        zlevel=COMPRESSION_LEVEL, rg=ROW_GROUP_SIZE, nfiles=N_FILES, pa=pa.__version__,
    )
    path.write_text(text, encoding="utf-8")


def _require(ok: bool, what) -> None:
    if not ok:
        raise RuntimeError(f"quickstart corpus check failed: {what!r}")


def verify(rows: list[dict]) -> list[float]:
    """Re-check the guarantees on the final rows; returns near_dup Jaccards."""
    by_id = {r["id"]: r for r in rows}
    near_j = []
    for r in rows:
        k = r["kind"]
        if k in ("exact_dup", "exact_dup_normalized", "near_dup"):
            o = by_id[r["dup_of"]]
            _require(o["kind"] == "clean", r["id"])
            if k == "exact_dup":
                _require(r["text"] == o["text"], r["id"])
            elif k == "exact_dup_normalized":
                same = normalize_for_exact(r["text"]) == normalize_for_exact(o["text"])
                _require(r["text"] != o["text"] and same, r["id"])
            else:
                j = jaccard(shingles(r["text"]), shingles(o["text"]))
                _require(NEAR_JACCARD[0] <= j <= NEAR_JACCARD[1], (r["id"], j))
                near_j.append(j)
        elif k == "clean":
            _require(not gopher_failures(r["text"], strict=True), r["id"])
        elif k == "low_quality:too_short":
            _require(len(r["text"].split()) < 20, r["id"])
        elif k.startswith("low_quality:"):
            fails = gopher_failures(r["text"])
            _require(any(x in fails for x in EXPECTED_RULE[k.split(":", 1)[1]]), (r["id"], fails))
        elif k == "empty":
            _require(r["text"] is None or not r["text"].strip(), r["id"])
    # no similar pair across clusters
    cluster = {r["id"]: (r["dup_of"] or r["id"]) for r in rows}
    index = ShingleIndex()
    keys = {}
    for i, r in enumerate(rows):
        if not r["text"] or not r["text"].strip():
            continue
        sh = shingles(r["text"])
        for other, o in index.overlaps(sh).items():
            j = o / (len(sh) + index.sizes[other] - o)
            if j >= 0.5:
                _require(cluster[keys[other]] == cluster[r["id"]], (r["id"], keys[other], j))
        index.add(i, sh)
        keys[i] = r["id"]
    for a, b in zip(rows, rows[1:], strict=False):
        _require(cluster[a["id"]] != cluster[b["id"]], (a["id"], b["id"]))
    return near_j


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default: data/quickstart)")
    ap.add_argument("--readme", type=Path, default=DEFAULT_README, help="README to write (default: data/README.md)")
    ap.add_argument("--no-readme", action="store_true", help="do not write the README")
    ap.add_argument("--check", action="store_true", help="compare the files in --out with a fresh build; write nothing")
    ap.add_argument("--force", action="store_true",
                    help=f"run on a Python other than {REQUIRED_PYTHON[0]}.{REQUIRED_PYTHON[1]}")
    args = ap.parse_args(argv)

    ver = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info[:2] != REQUIRED_PYTHON:
        if not args.force:
            print(f"error: this corpus is defined by the Python {REQUIRED_PYTHON[0]}.{REQUIRED_PYTHON[1]} standard "
                  f"library (docstrings differ between versions); running Python {ver}. "
                  "Use --force to build anyway (the output will differ from the committed files).", file=sys.stderr)
            return 2
        print(f"warning: building with Python {ver}; output will differ from the committed files", file=sys.stderr)
    elif ver != REFERENCE_PYTHON:
        print(f"note: committed files were built with Python {REFERENCE_PYTHON}; this is {ver}, "
              "so the text may differ slightly", file=sys.stderr)

    try:
        import pyarrow  # noqa: F401  (fail before the slow part)
    except ImportError:
        print("error: pyarrow is required (pip install pyarrow)", file=sys.stderr)
        return 2
    rows = build()
    near_j = verify(rows)
    if args.check:
        ok = check(rows, args.out)
        print("quickstart data matches a fresh build" if ok else "quickstart data is out of date")
        return 0 if ok else 1
    paths = write(rows, args.out)
    if not args.no_readme:
        write_readme(rows, args.readme, near_j)
    s = summary(rows)
    print(f"wrote {', '.join(str(p) for p in paths)}: {s['rows']} rows, {s['text_bytes'] / 1e6:.2f} MB of text")
    for k, n in kind_counts(rows):
        print(f"  {k:40s} {n:6d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
