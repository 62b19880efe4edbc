"""Web-page-like documents with the web-text failure modes planted, for benchmarks/web_quality.py.

Each document is a page: an optional title, navigation and date lines, body paragraphs of
English-like sentences (word frequencies of CPython's own docs, as gen_docs.py), lists, and
boilerplate.  Failure modes are planted independently, each with its own probability, so one
page can have several (as real pages do):

    title/nav/list/date lines without terminal punctuation, short lines, javascript notices,
    cookie / privacy / terms-of-use lines, lorem ipsum, curly brackets (code, templates),
    duplicated lines and paragraphs, citations ([1], [edit]), a > 1000-character word,
    lines ending in '...', abbreviations ("Dr.", "e.g.", "U.S."), e-mails, public and private
    IPv4s (and IP-like version strings), CRLF line ends, few-sentence pages.

Sizes: log-normal, median ~1.5 KB, clipped to 300 B .. 40 KB.  Every page has a ``url``; a
share of them are on the block lists that ``block_lists()`` writes (domains, subdomains, exact
URLs, banned substrings; in ``<out>-lists/``).  ``planted`` names what was planted (for explaining disagreements,
never an input to a rule).  Deterministic for a given seed, docs and files.

    .venv/bin/python benchmarks/web_docs.py --docs 100000 --out benchmarks/work/web-100000
"""
from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import random
import sys

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

TLDS = [".com"] * 10 + [".org"] * 3 + [".net"] * 3 + [".co.uk", ".de", ".info", ".io", ".com.au", ".fr"]
BANNED = ["casino", "xxx", "porn", "viagra", "escort", "torrent", "warez", "keygen", "betting",
          "payday", "replica", "cialis", "hentai", "camgirl", "slotmachine"]
JS = ["Please enable JavaScript to view the comments powered by Disqus.",
      "You must have JavaScript enabled in your browser to utilize the functionality of this website.",
      "JavaScript is disabled in your browser", "This page requires javascript to work properly."]
COOKIES = ["This website uses cookies to improve your experience.",
           "We use cookies to ensure that we give you the best experience on our website.",
           "By continuing to browse the site you agree to our use of cookies.",
           "Please read our Privacy Policy and Terms of Use before posting.",
           "Cookie Policy"]
FOOTER = ["Privacy Policy | Terms of Use | Contact", "Copyright 2021 All rights reserved.",
          "Share this: Facebook Twitter Email", "Leave a Reply Cancel reply", "Back to top",
          "Subscribe to our newsletter for updates.", "Related posts"]
NAV = ["Home", "About", "About us", "Contact", "News", "Blog", "Shop", "Login", "Register", "FAQ",
       "Services", "Products", "Menu", "Search", "Categories", "Archives"]
LOREM = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
         "incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud "
         "exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.")
CODE = ["function init() { return false; }", "var config = {debug: true, retries: 3};",
        "if (x > 0) { y = x; }", "Use the {name} placeholder in the email template.",
        "The JSON body looks like {\"id\": 1, \"name\": \"test\"} in the request.",
        "body { margin: 0; padding: 0; }"]
ABBREV = ["Dr.", "Mr.", "Mrs.", "e.g.", "i.e.", "U.S.", "etc.", "St.", "Inc.", "No."]
FIRST = ["john", "mary", "alex", "sam", "info", "support", "sales", "j.doe", "anna.k", "webmaster",
         "Peter.Miller", "contact", "office", "m_smith", "admin+news"]
# Planted features and their probabilities per page.
P = dict(title=0.85, nav=0.3, date=0.2, list=0.2, js=0.07, cookie=0.1, footer=0.3, lorem=0.02,
         lorem_title=0.005, code=0.04, dup_line=0.12, dup_para=0.04, citation=0.05, long_word=0.005,
         end_ellipsis=0.06, abbrev=0.3, email=0.1, ip_public=0.05, ip_private=0.05, ip_like=0.01,
         crlf=0.03, few_sentences=0.08, mid_ellipsis=0.05, trailing_space=0.05)


class Words:
    def __init__(self):
        import collections
        import re

        from gen_docs import _stdlib_text
        counts = collections.Counter(re.findall(r"[a-z]+", _stdlib_text().lower()))
        self.words = sorted(w for w, c in counts.items()
                            if c >= 3 and (len(w) > 1 or w in ("a", "i")) and len(w) <= 16)
        self.cum = list(itertools.accumulate(counts[w] for w in self.words))
        self.content = [w for w in self.words if 4 <= len(w) <= 10]

    def sample(self, rng: random.Random, n: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cum, k=n)


W: Words | None = None


def domain_pool(seed: int, n: int = 20000) -> list[str]:
    rng = random.Random(f"domains-{seed}")
    out = set()
    while len(out) < n:
        a, b = rng.sample(W.content, 2)
        out.add(a + rng.choice(["", "", "-"]) + b + rng.choice(TLDS))
    return sorted(out)


def block_lists(seed: int) -> dict[str, list[str]]:
    """Blocked registered domains, blocked subdomains (of unblocked domains), exact URLs,
    banned substrings; plus the clean domain pool."""
    rng = random.Random(f"lists-{seed}")
    pool = domain_pool(seed)
    rng.shuffle(pool)
    blocked, subs_base, url_base, clean = pool[:1000], pool[1000:1100], pool[1100:1400], pool[1400:]
    subs = [rng.choice(["shop", "forum", "ads", "m", "cdn", "files"]) + "." + d for d in subs_base]
    urls = [f"https://{rng.choice(['', 'www.'])}{d}/{'/'.join(rng.sample(W.content, 2))}.html"
            for d in url_base]
    return {"domains": blocked, "subdomains": subs, "urls": urls, "substrings": BANNED,
            "clean": clean}


def page_url(rng: random.Random, lists: dict) -> tuple[str, str]:
    r = rng.random()
    path = "/" + "-".join(rng.sample(W.content, rng.randint(1, 4)))
    if rng.random() < 0.2:
        path += f"?id={rng.randint(1, 99999)}&ref={rng.choice(W.content)}"
    if r < 0.06:
        host = rng.choice(["", "www.", "www.", "blog.", "news.", "m."]) + rng.choice(lists["domains"])
        kind = "url_blocked_domain"
    elif r < 0.07:
        host = rng.choice(["", "", "", "www."]) + rng.choice(lists["subdomains"])
        kind = "url_blocked_subdomain"
    elif r < 0.08:
        u = rng.choice(lists["urls"])
        v = rng.random()
        if v < 0.9:
            return u, "url_blocked_exact"
        if v < 0.95:
            return u.replace("https://", "http://"), "url_blocked_exact_variant"
        return u + "/", "url_blocked_exact_variant"
    elif r < 0.10:
        host = rng.choice(["", "www."]) + rng.choice(lists["clean"])
        path = "/" + "-".join(rng.sample(W.content, 2) + [rng.choice(BANNED)])
        kind = "url_banned_substring"
    else:
        host = rng.choice(["", "www."]) + rng.choice(lists["clean"])
        kind = ""
    if rng.random() < 0.02:
        host = host.upper() if rng.random() < 0.5 else host + ":8080"
    return rng.choice(["https://", "https://", "http://"]) + host + path, kind


def sentence(rng, n=None, abbrev=False, mid_ellipsis=False) -> str:
    n = n or max(3, min(40, int(rng.expovariate(1 / 14)) + 3))
    ws = W.sample(rng, n)
    for i in range(1, n - 1):
        r = rng.random()
        if r < 0.05:
            ws[i] += ","
        elif r < 0.06:
            ws[i] = str(rng.randint(2, 2025)) if rng.random() < 0.7 else f"{rng.random() * 100:.1f}"
    if abbrev and rng.random() < 0.3:
        ws.insert(rng.randint(1, n - 1), rng.choice(ABBREV))
    if mid_ellipsis and rng.random() < 0.3:
        ws[rng.randint(1, n - 2)] += rng.choice(["...", "\u2026"])
    ws[0] = ws[0].capitalize()
    return " ".join(ws) + rng.choices([".", "?", "!", '."'], [90, 5, 4, 1])[0]


def _email(rng):
    user = rng.choice(FIRST) + (str(rng.randint(1, 99)) if rng.random() < 0.3 else "")
    dom = rng.choice(W.content) + rng.choice(TLDS)
    return f"{user}@{dom.upper() if rng.random() < 0.05 else dom}"


def _public_ip(rng):
    while True:
        a = rng.randint(1, 223)
        if a not in (10, 127, 100, 169, 172, 192, 198, 203):
            return f"{a}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def _private_ip(rng):
    return rng.choice([f"192.168.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                       f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                       f"172.{rng.randint(16, 31)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                       "127.0.0.1", f"169.254.{rng.randint(0, 255)}.{rng.randint(1, 254)}"])


def page(rng: random.Random, lists: dict) -> tuple[str, str, str]:
    f = {k for k, p in P.items() if rng.random() < p}
    url, ukind = page_url(rng, lists)
    target = 350 if "few_sentences" in f else min(40000, max(300, int(rng.lognormvariate(math.log(1500), 0.9))))
    head, body, tail = [], [], []
    if "title" in f:
        head.append(" ".join(w.capitalize() for w in W.sample(rng, rng.randint(3, 8))))
    if "lorem_title" in f:
        head.append("Lorem Ipsum Dolor Sit Amet")
    if "nav" in f:
        nav = rng.sample(NAV, rng.randint(3, 8))
        head += [" | ".join(nav)] if rng.random() < 0.4 else nav
    if "date" in f:
        head.append(f"Posted on {rng.choice(['March', 'June', 'October'])} {rng.randint(1, 28)}, "
                    f"{rng.randint(2005, 2024)} by {rng.choice(['admin', 'editor', 'Anna'])}")
    size, extras = sum(len(x) for x in head), []
    few = "few_sentences" in f
    while size < target:
        k = 1 if few else rng.randint(1, 6)
        line = " ".join(sentence(rng, rng.randint(20, 35) if few else None, abbrev="abbrev" in f,
                                 mid_ellipsis="mid_ellipsis" in f) for _ in range(k))
        if "citation" in f and rng.random() < 0.3:
            line += rng.choice(["[1]", f"[{rng.randint(2, 40)}]", "[edit]", "[citation needed]"])
        body.append(line)
        size += len(line) + 1
        if few and len(body) >= 4:
            break
    for feat, make in (("email", lambda: f"Contact us at {_email(rng)} for more information."),
                       ("ip_public", lambda: f"The server at {_public_ip(rng)} answered {rng.randint(2, 9)} requests."),
                       ("ip_private", lambda: f"Set the gateway to {_private_ip(rng)} in the router settings."),
                       ("ip_like", lambda: f"Upgrade to version {rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}.{rng.randint(0, 300)}.{rng.randint(1, 9)} today."),
                       ("js", lambda: rng.choice(JS)), ("code", lambda: rng.choice(CODE)),
                       ("lorem", lambda: LOREM),
                       ("long_word", lambda: "Download " + "".join(rng.choices("ABCDEFGHabcdefgh0123456789+/", k=1200)) + " now."),
                       ("end_ellipsis", lambda: rng.choice(["Read more...", " ".join(W.sample(rng, 8)) + "...", "Continue reading\u2026"]))):
        if feat in f:
            extras.append(make())
    for x in extras:
        body.insert(rng.randint(0, len(body)), x)
    if "list" in f:
        at = rng.randint(0, len(body))
        body[at:at] = [rng.choice(["- ", "\u2022 ", "* ", ""]) + " ".join(W.sample(rng, rng.randint(2, 7)))
                       for _ in range(rng.randint(3, 10))]
    if "cookie" in f:
        tail.append(rng.choice(COOKIES))
    if "footer" in f:
        tail += rng.sample(FOOTER, rng.randint(1, 4))
    lines = head + body + tail
    if "dup_line" in f:
        src = rng.choice(lines)
        for _ in range(rng.randint(1, 4)):
            lines.insert(rng.randint(0, len(lines)), src)
    if "dup_para" in f and body:
        lines.append(rng.choice(body))
    if "trailing_space" in f:
        lines = [ln + " " if rng.random() < 0.3 else ln for ln in lines]
    sep = "\n\n" if rng.random() < 0.4 else "\n"
    if "crlf" in f:
        sep = sep.replace("\n", "\r\n")
    text = sep.join(lines)
    return url, text, ",".join(sorted(f | ({ukind} if ukind else set())))


def lists_dir(data: str) -> str:
    """Where the block lists of a corpus are: beside it (its folder holds only Parquet)."""
    return os.path.normpath(str(data)) + "-lists"


def generate(out: str, docs: int, files: int = 8, seed: int = 0) -> dict:
    global W
    W = W or Words()
    os.makedirs(out, exist_ok=True)
    lists = block_lists(seed)
    sizes = [docs // files + (1 if i < docs % files else 0) for i in range(files)]
    start, total_bytes = 0, 0
    for i, n in enumerate(sizes):
        rng = random.Random(f"{seed}-{i}")
        rows = [page(rng, lists) for _ in range(n)]
        table = pa.table({"id": [f"{start + r:08d}" for r in range(n)], "url": [r[0] for r in rows],
                          "text": [r[1] for r in rows], "planted": [r[2] for r in rows]})
        pq.write_table(table, os.path.join(out, f"part-{i:05d}.parquet"), compression="snappy")
        total_bytes += sum(len(r[1].encode()) for r in rows)
        start += n
    lens = sorted(len(r[1].encode()) for r in rows)
    manifest = {"docs": docs, "files": files, "seed": seed, "text_bytes": total_bytes,
                "bytes_min_median_max_last_file": [lens[0], lens[len(lens) // 2], lens[-1]],
                "probabilities": P, "generator": "benchmarks/web_docs.py"}
    os.makedirs(lists_dir(out), exist_ok=True)
    for name in ("domains", "subdomains", "urls", "substrings"):
        with open(os.path.join(lists_dir(out), f"block_{name}.txt"), "w") as fh:
            fh.write("\n".join(lists[name]) + "\n")
    with open(os.path.join(out, "_manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=2)
    return manifest


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--out", required=True)
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    print(json.dumps(generate(a.out, a.docs, a.files, a.seed), indent=2))
