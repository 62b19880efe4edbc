"""Harvesting English text from the standard library into groups of paragraphs."""

from __future__ import annotations

import ast
import codecs
import importlib
import inspect
import os
import re
import sysconfig
import tokenize
from dataclasses import dataclass
from pathlib import Path

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
