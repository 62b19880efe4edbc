"""url_filter: domains (with subdomains), exact URLs, banned substrings, malformed URLs,
the matching list named in the detail, parity with a plain-Python reference on generated
URLs, and recipe errors for missing lists."""
from __future__ import annotations

import random
import re
from urllib.parse import urlsplit

import pytest
from pydantic import ValidationError

from thresher.operators.base import DROP_DETAIL, DROP_REASON, DROP_STEP, StepContext
from thresher.operators.errors import RecipeError
from thresher.operators.text.url import URLFilter

SCHEMA = f"id int, url string, {DROP_REASON} string, {DROP_STEP} int, {DROP_DETAIL} string"


@pytest.fixture()
def lists(tmp_path):
    (tmp_path / "domains.txt").write_text("# UT1 style\nBadSite.com\ncasino.example.org.\n")
    (tmp_path / "urls.txt").write_text("https://news.site.com/story/1\n")
    (tmp_path / "subs.txt").write_text("porn\nxxx\n")
    return {k: str(tmp_path / f"{k}.txt") for k in ("domains", "urls", "subs")}


def apply(spark, op, urls):
    df = spark.createDataFrame([(i, u, None, None, None) for i, u in enumerate(urls)], SCHEMA)
    out = op.bind(StepContext(step=1, op_name="url_filter")).transform(df)
    return {r["id"]: ((r[DROP_REASON] or "").removeprefix("url_filter:") or None, r[DROP_DETAIL])
            for r in out.collect()}


def url_ref(url, domains, urls, subs):
    if url is None:
        return None
    try:
        host = (urlsplit(url.strip()).hostname or "").rstrip(".")
    except ValueError:
        host = ""
    if not host or "://" not in url:
        return "malformed_url"
    parts = host.split(".")
    if any(".".join(parts[i:]) in domains for i in range(len(parts))):
        return "blocked_domain"
    norm = re.sub(r"/+\Z", "", re.sub(r"\Awww\.", "", re.sub(r"\A[a-z][a-z0-9+.\-]*://", "",
                                                              url.strip().lower())))
    if norm in urls:
        return "blocked_url"
    if any(s in url.lower() for s in subs):
        return "banned_substring"
    return None


def test_each_list(spark, lists):
    op = URLFilter(domains_file=lists["domains"], urls_file=lists["urls"],
                   substrings_file=lists["subs"])
    op.check_placement()
    urls = ["https://badsite.com/a", "http://www.BADSITE.com./x", "https://notbadsite.com/",
            "https://casino.example.org/", "https://example.org/", "HTTP://News.Site.com/story/1/",
            "https://news.site.com/story/12", "https://ok.com/free-XXX-videos", "not a url",
            None, "https://good.example.net/page?q=1"]
    out = apply(spark, op, urls)
    assert {i: r[0] for i, r in out.items()} == {
        0: "blocked_domain", 1: "blocked_domain", 2: None, 3: "blocked_domain", 4: None,
        5: "blocked_url", 6: None, 7: "banned_substring", 8: "malformed_url", 9: None, 10: None}
    assert out[1][1] == f"domains_file ({lists['domains']}): badsite.com"
    assert out[7][1] == f"substrings_file ({lists['subs']}): xxx"
    assert out[8][1] == "url: not a url"


def test_domain_column(spark, lists):
    op = URLFilter(kind="domain", domains_file=lists["domains"])
    out = apply(spark, op, ["sub.badsite.com", "badsite.co", "", "Casino.Example.org"])
    assert {i: r[0] for i, r in out.items()} == {0: "blocked_domain", 1: None,
                                                 2: "malformed_url", 3: "blocked_domain"}


def test_parity_with_reference(spark, lists):
    rng = random.Random(7)
    hosts = ["badsite.com", "www.badsite.com", "a.b.badsite.com", "badsite.com.au",
             "casino.example.org", "example.org", "news.site.com", "site.com", "ok.net"]
    paths = ["", "/", "/story/1", "/story/1/", "/porn-free", "/xXx", "/a?b=c", "/index.html"]
    urls = [f"{rng.choice(['http', 'https', 'HTTPS'])}://{rng.choice(hosts)}{rng.choice(paths)}"
            for _ in range(300)] + ["example.org/no-scheme", "http://", "https:///path"]
    op = URLFilter(domains_file=lists["domains"], urls_file=lists["urls"],
                   substrings_file=lists["subs"])
    out = apply(spark, op, urls)
    args = ({"badsite.com", "casino.example.org"}, {"news.site.com/story/1"}, ["porn", "xxx"])
    bad = {i: (out[i][0], url_ref(u, *args), u) for i, u in enumerate(urls)
           if out[i][0] != url_ref(u, *args)}
    assert not bad, f"{len(bad)}/{len(urls)} differ, e.g. {next(iter(bad.values()))}"


def test_bad_params(tmp_path, lists):
    with pytest.raises(ValidationError, match="at least one"):
        URLFilter()
    with pytest.raises(ValidationError, match="urls_file needs kind: url"):
        URLFilter(kind="domain", urls_file=lists["urls"])
    with pytest.raises(RecipeError, match="list file not found") as err:
        URLFilter(domains_file=str(tmp_path / "nope.txt")).check_placement()
    assert err.value.param == "domains_file"
    assert URLFilter(domains_file=lists["domains"], column="link").requires() == {"link": "string"}


def test_recipe_checks_lists_and_column(spark, tmp_path, lists):
    import pandas as pd

    from thresher.operators.errors import ColumnContractError
    from thresher.operators.recipe import Recipe
    from thresher.operators.runner import run

    src = tmp_path / "in"
    src.mkdir()
    pd.DataFrame({"id": ["a", "b", "c", "d"], "text": ["some text"] * 4,
                  "url": ["https://badsite.com/", "https://ok.com/", "nope", None]}).to_parquet(
        src / "part-0.parquet")

    def recipe(**params):
        return Recipe.from_dict({
            "name": "url-test",
            "input": {"format": "parquet", "path": str(src), "text_column": "text",
                      "id_column": "id"},
            "steps": [{"url_filter": params}]})

    with pytest.raises(RecipeError, match="step 1.*param 'domains_file'.*not found"):
        recipe(domains_file=str(tmp_path / "missing.txt"))
    with pytest.raises(ColumnContractError, match="link"):
        run(recipe(column="link", domains_file=lists["domains"]), spark=spark, echo=lambda s: None)
    result = run(recipe(domains_file=lists["domains"]), spark=spark, echo=lambda s: None)
    read, step = result.steps
    assert step.dropped_by_reason == {"url_filter:blocked_domain": 1, "url_filter:malformed_url": 1}
    assert read.rows_in == 4 == result.output.count() + read.dropped + step.dropped


def test_long_lists_are_joined_with_the_same_verdicts(spark, tmp_path):
    """Lists past INLINE_ENTRIES are broadcast joins, not literals: the reference's
    verdicts and the longest listed suffix in the detail, on a 300k-domain list."""
    rng = random.Random(11)
    listed = [f"{rng.choice(['', 'cdn.', 'a.b.'])}site{i}.{rng.choice(['com', 'org', 'co.uk'])}"
              for i in range(300_000)]
    (tmp_path / "big.txt").write_text("\n".join(listed + ["badsite.com"]) + "\n")
    (tmp_path / "urls.txt").write_text("\n".join(f"https://news.site.com/story/{i}"
                                                 for i in range(20_000)) + "\n")
    (tmp_path / "subs.txt").write_text("porn\n")
    urls = [f"https://{rng.choice(['', 'www.', 'x.'])}{rng.choice(listed)}/p" for _ in range(150)]
    urls += [f"http://site{rng.randrange(10**6)}.net/" for _ in range(100)]
    urls += ["https://deep.a.b.site7.com/", "https://b.badsite.com/", "not a url", None,
             "https://news.site.com/story/12/", "https://news.site.com/story/20001",
             "https://ok.com/porn"]
    op = URLFilter(domains_file=str(tmp_path / "big.txt"), urls_file=str(tmp_path / "urls.txt"),
                   substrings_file=str(tmp_path / "subs.txt"))
    joined = apply(spark, op, urls)
    args = (set(listed) | {"badsite.com"},
            {f"news.site.com/story/{i}" for i in range(20_000)}, ["porn"])
    assert {i: r[0] for i, r in joined.items()} == {i: url_ref(u, *args) for i, u in enumerate(urls)}
    assert sum(r[0] == "blocked_domain" for r in joined.values()) >= 150
    assert joined[len(urls) - 6][1] == f"domains_file ({tmp_path / 'big.txt'}): badsite.com"
    # deep.a.b.site7.com is blocked through whichever of its suffixes is listed, named
    suffixes = {"a.b.site7.com", "site7.com"}
    deep = joined[len(urls) - 7]
    match = [d for d in listed if d in suffixes]
    assert deep == (("blocked_domain", f"domains_file ({tmp_path / 'big.txt'}): {match[0]}")
                    if match else (None, None))
