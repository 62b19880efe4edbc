"""Explain every disagreement that benchmarks/web_quality.py found, one cause per document.

Runs in DataTrove's venv (it needs spaCy, as DataTrove counts C4 sentences with it)::

    benchmarks/work/dt-venv/bin/python benchmarks/web_quality_explain.py \\
        --data benchmarks/work/web-100000 \\
        --disagreements benchmarks/work/web_quality-disagreements-100000.jsonl \\
        --json benchmarks/work/web_quality-causes-100000.json

For each disagreeing document it re-runs DataTrove's rule in Python with one difference to
thresher switched at a time, and names the switch that reproduces thresher's verdict (and
reason); a document no switch explains is counted as ``unexplained``.
"""
from __future__ import annotations

import argparse
import collections
import json
import re

import pyarrow.dataset as ds

SENTENCE_BREAK = re.compile(r"[.?!\u2026]+[\"'\u201d\u2019)\]]*\s+(?=\S)")  # thresher's c4 regex
TOKEN = re.compile(r"[\w]+|[^\w\s]+")  # thresher's fineweb word tokens (letters, digits, _)
STOP = (".", "'", '"', "!", "?")
CITATION = re.compile(r"\[\d*]|\[edit]|\[citation needed]")


def c4_kept_lines(text: str, terminal: bool) -> list[str]:
    """DataTrove's C4QualityFilter line loop (no document-level drops: callers check those)."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        words = line.split()
        if any(len(w) > 1000 for w in words):
            continue
        line = CITATION.sub("", line)
        if terminal and (not line.endswith((".", "?", "!", '"', "'")) or line.endswith("...")):
            continue
        if len(words) < 3:
            continue
        low = line.lower()
        if "javascript" in low or any(p in low for p in ("terms of use", "privacy policy", "cookie policy",
                                                          "uses cookies", "use of cookies", "use cookies")):
            continue
        out.append(line)
    return out


def explain_c4(rec, text, nlp, breaks):
    lines = c4_kept_lines(text, rec["rule"] == "c4_default")
    n_dt = sum(len(list(nlp(ln).sents)) for ln in lines)
    n_th = sum(len(SENTENCE_BREAK.findall(ln)) + 1 for ln in lines)
    if (n_dt < 5) == (n_th < 5):
        return "unexplained"
    for ln in lines:  # where the regex splits and spaCy's sentencizer does not
        starts = {s.start_char for s in nlp(ln).sents}
        for m in SENTENCE_BREAK.finditer(ln):
            if m.end() not in starts:
                breaks[ln[:m.end()].split()[-1][-12:]] += 1
    return f"sentences: spaCy sentencizer counts {'<' if n_dt < n_th else '>'} regex, across the 5 bound"


def fineweb(text, *, blank_lines, thresher_bounds, regex_words, nlp):
    lines = text.split("\n")
    if not blank_lines:
        lines = [ln for ln in lines if ln.strip() != ""]
        if not lines:
            return "empty"
    filled = [ln for ln in lines if ln.strip() != ""]
    lt = (lambda a, b: a <= b) if thresher_bounds else (lambda a, b: a < b)
    gt = (lambda a, b: a >= b) if thresher_bounds else (lambda a, b: a > b)
    if lt(sum(ln.endswith(STOP) for ln in lines) / len(lines), 0.12):
        return "line_punct_ratio"
    if gt(sum(len(ln) <= 30 for ln in lines) / len(lines), 0.67):
        return "short_line_ratio"
    dup = sum(len(x) for x in filled) - sum(len(x) for x in set(filled))
    if gt(dup / len(text.replace("\n", "")), 0.01):
        return "char_dup_ratio"
    words = len(TOKEN.findall(text)) if regex_words else len([t for t in nlp(text) if t.text.strip()])
    if text.count("\n") / max(words, 1) > 0.3:
        return "list_ratio"
    return "kept"


def explain_fineweb(rec, text, nlp):
    want = "kept" if rec["thresher"] == "kept" else rec["thresher"][0].split(":", 1)[1]
    base = dict(blank_lines=False, thresher_bounds=False, regex_words=False)
    names = {"blank_lines": "blank lines counted as lines (thresher) vs skipped (DataTrove 0.10.1)",
             "thresher_bounds": "bound inclusive (thresher <=, >=) vs strict (DataTrove 0.10.1 <, >)",
             "regex_words": "words: regex tokens (thresher) vs spaCy tokens (DataTrove)"}
    if fineweb(text, **base, nlp=nlp) != (rec["datatrove"] if rec["datatrove"] != "kept" else "kept"):
        return "unexplained (DataTrove not reproduced)"
    for k in names:
        if fineweb(text, **{**base, k: True}, nlp=nlp) == want:
            return names[k]
    for a, b in (("blank_lines", "thresher_bounds"), ("blank_lines", "regex_words"),
                 ("thresher_bounds", "regex_words")):
        if fineweb(text, **{**base, a: True, b: True}, nlp=nlp) == want:
            return names[a] + " + " + names[b]
    if fineweb(text, blank_lines=True, thresher_bounds=True, regex_words=True, nlp=nlp) == want:
        return "all three of: " + "; ".join(names.values())
    return "unexplained"


def explain_url(rec, lists):
    url = rec["url"]
    host = re.sub(r"^[a-z]+://", "", url, flags=re.I).split("/")[0].split("?")[0].split(":")[0]
    th = rec["thresher"][0] if rec["thresher"] != "kept" else "kept"
    if th.endswith("blocked_domain"):
        if host != host.lower():
            return "host in upper case: DataTrove compares the host case-sensitively"
        parts = host.split(".")
        hit = next(".".join(parts[i:]) for i in range(len(parts)) if ".".join(parts[i:]) in lists)
        if hit != host:
            return ("host is a subdomain of a listed subdomain: DataTrove matches only the registered "
                    "domain or the exact host (fqdn), thresher every parent domain")
    if th.endswith("blocked_url"):
        return ("exact-URL variant (scheme or trailing '/'): thresher normalises scheme, 'www.', "
                "case and trailing '/', DataTrove compares the string exactly")
    return "unexplained"


DT_IPV4 = re.compile(r"(?:(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)")


def explain_text(rec):
    """PII: redo DataTrove's IPv4 replacement inside every dotted number of 5+ parts of
    thresher's text (where thresher, needing a stand-alone IPv4, left it); equal texts then
    mean those numbers are the only difference."""
    import ipaddress
    a, b = rec["thresher_text"], rec["datatrove_text"]
    if rec["rule"] != "pii":
        return "unexplained"

    def dt_sub(m):
        return DT_IPV4.sub(lambda x: rec_placeholder if _is_global(x.group(0)) else x.group(0), m.group(0))

    def _is_global(ip):
        try:
            return ipaddress.ip_address(ip).is_global
        except ValueError:
            return False
    rec_placeholder = "22.214.171.124"
    if re.sub(r"\d+(?:\.\d+){4,}", dt_sub, a) == b:
        return ("IP-like run inside a longer dotted number (version 1.2.3.4.5): DataTrove's regex "
                "has no boundaries and replaces the first four parts; thresher needs a "
                "stand-alone IPv4")
    return "unexplained"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--disagreements", required=True)
    ap.add_argument("--json", required=True)
    a = ap.parse_args()
    import spacy
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    recs = [json.loads(ln) for ln in open(a.disagreements)]
    ids = {r["id"] for r in recs}
    t = ds.dataset(a.data, format="parquet").to_table(columns=["id", "text"]).to_pydict()
    texts = {i: x for i, x in zip(t["id"], t["text"]) if i in ids}
    lists = set()
    for name in ("domains", "subdomains"):
        lists |= {ln.strip() for ln in open(f"{a.data.rstrip('/')}-lists/block_{name}.txt") if ln.strip()}
    causes = collections.defaultdict(collections.Counter)
    breaks = collections.Counter()
    examples = {}
    for r in recs:
        key = f"{r['rule']} / {r['kind']}"
        if r["kind"] == "text":
            why = explain_text(r)
        elif r["rule"].startswith("c4"):
            why = explain_c4(r, texts[r["id"]], nlp, breaks)
        elif r["rule"] == "fineweb":
            why = explain_fineweb(r, texts[r["id"]], nlp)
        elif r["rule"] == "url":
            why = explain_url(r, lists)
        else:
            why = "unexplained"
        causes[key][why] += 1
        examples.setdefault(f"{key} / {why}", {k: v for k, v in r.items() if not k.endswith("_text")})
    out = {"causes": {k: dict(v) for k, v in causes.items()},
           "c4_regex_breaks_spacy_does_not_make (last word before the break)": dict(breaks.most_common(30)),
           "one_example_per_cause": examples}
    with open(a.json, "w") as fh:
        json.dump(out, fh, indent=2)
    print(json.dumps(out["causes"], indent=2))
    print(json.dumps(out["c4_regex_breaks_spacy_does_not_make (last word before the break)"]))


if __name__ == "__main__":
    main()
