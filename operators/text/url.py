"""URL block lists (as DataTrove's ``URLFilter`` and Dolma's URL taggers use UT1-style
lists): a URL or domain column against domains (subdomains included), exact URLs and
banned substrings, each read from a file on the driver.

Lists of up to ``INLINE_ENTRIES`` become literal arrays in the plan and rows are matched
with ``array_intersect`` / ``array_contains``. Longer domain and URL lists (UT1's
``adult`` list holds millions) become broadcast tables joined to the rows: one
broadcast hash join per label count of the listed domains (a domain of m labels can
only match the host's last m labels), one for the URLs, so nothing shuffles and no
task holds more than the list. Banned substrings are one alternation regex (at most
``MAX_SUBSTRINGS``). No UDF, no Python per row. A domain
``example.com`` blocks ``example.com`` and every ``*.example.com``; hosts and list
entries are compared lower-cased, without a trailing dot. Exact URLs are compared
lower-cased, without the scheme, a leading ``www.`` and trailing ``/``. A URL whose host
cannot be parsed is dropped as ``malformed_url`` (never an error); a null URL is kept.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from ..base import DropRule, Filter, OpParams, live, mark_drops
from ..errors import RecipeError
from ..registry import register
from ._expr import fmt, let, quote, rx
from ._lists import read_list

# Up to this many entries a list is a literal in the query plan; past it the plan gets
# too big to ship with every task, and the list is a broadcast table joined instead.
INLINE_ENTRIES = 10_000
# One alternation regex per row: past this, matching slows to a crawl (an Aho-Corasick
# matcher would be the next step).
MAX_SUBSTRINGS = 200_000


def normalize_host(host: Column) -> Column:
    return F.regexp_replace(F.lower(F.trim(host)), rx(r"\.+\z"), F.lit(""))


def normalize_url(url: Column) -> Column:
    """Lower-cased, without scheme, leading 'www.' and trailing '/' (what exact URLs match)."""
    u = F.regexp_replace(F.lower(F.trim(url)), rx(r"\A[a-z][a-z0-9+.\-]*://"), F.lit(""))
    return F.regexp_replace(F.regexp_replace(u, rx(r"\Awww\."), F.lit("")), rx(r"/+\z"),
                            F.lit(""))


def _normalize_url_py(url: str) -> str:
    import re

    u = re.sub(r"\A[a-z][a-z0-9+.\-]*://", "", url.strip().lower())
    return re.sub(r"/+\Z", "", re.sub(r"\Awww\.", "", u))


def host_suffixes(host: Column) -> Column:
    """['a.b.c', 'b.c', 'c'] for host 'a.b.c': every domain that contains the host."""
    parts = F.split(host, rx(r"\."), -1)
    return F.transform(F.sequence(F.lit(1), F.size(parts)),
                       lambda i: F.array_join(F.slice(parts, i, F.size(parts) - i + 1), "."))


@register("url_filter")
class URLFilter(Filter):
    """Drop rows whose URL (or domain) is on a block list: domains with their subdomains, exact URLs, substrings.
    Rule: UT1-style block lists, as DataTrove's URLFilter and Dolma use them.

    Example::

        - url_filter: {column: url, domains_file: lists/blocked_domains.txt}
    """

    class Params(OpParams):
        column: str = Field("url", description="the column holding the URL (or the domain)")
        kind: Literal["url", "domain"] = Field("url", description="'url': the column holds "
                                               "URLs; 'domain': it holds host names")
        domains_file: str | None = Field(None, description="blocked domains, one a line "
                                         "(subdomains are blocked too)")
        urls_file: str | None = Field(None, description="blocked URLs, one a line (exact, "
                                      "ignoring case, scheme, 'www.' and a trailing '/')")
        substrings_file: str | None = Field(None, description="banned substrings, one a line: "
                                            "a URL containing one (any case) is dropped")

        @model_validator(mode="after")
        def _some_list(self):
            if not (self.domains_file or self.urls_file or self.substrings_file):
                raise ValueError("give at least one of domains_file, urls_file, substrings_file")
            if self.kind == "domain" and self.urls_file:
                raise ValueError("urls_file needs kind: url (a domain column has no URLs)")
            return self

    def requires(self) -> dict[str, str]:
        return {self.params.column: "string"}

    def check_placement(self) -> None:
        self._lists()

    def _lists(self) -> dict[str, list[str]]:
        p, out = self.params, {}
        if p.domains_file:
            domains = read_list(p.domains_file, param="domains_file", lower=True)
            out["domains"] = list(dict.fromkeys(d.rstrip(".") for d in domains))
        if p.urls_file:
            urls = read_list(p.urls_file, param="urls_file")
            out["urls"] = list(dict.fromkeys(_normalize_url_py(u) for u in urls))
        if p.substrings_file:
            out["substrings"] = read_list(p.substrings_file, param="substrings_file", lower=True)
        if len(out.get("substrings", ())) > MAX_SUBSTRINGS:
            raise RecipeError(f"{len(out['substrings']):,} entries; url_filter takes at most "
                              f"{MAX_SUBSTRINGS:,} banned substrings", param="substrings_file")
        return out

    def _host(self) -> Column:
        value = F.col(self.params.column)
        if self.params.kind == "url":
            return normalize_host(F.try_parse_url(value, F.lit("HOST")))
        return normalize_host(value)

    def rules(self, joined: dict[str, Column] | None = None) -> list[DropRule]:
        """The drop rules; ``joined``: the domain / URL hits that ``transform`` joined in
        for lists too long to inline."""
        p, lists, joined = self.params, self._lists(), joined or {}
        value, host = F.col(p.column), self._host()
        out = [DropRule("malformed_url", value.isNotNull() & (F.coalesce(host, F.lit("")) == ""),
                        fmt("%s: %s", F.lit(p.kind), F.substring(value, 1, 200)))]
        if "domains" in lists:
            if "domains" in joined:
                hit = joined["domains"]
            else:
                blocked = F.array(*[F.lit(d) for d in lists["domains"]])
                # The blocked domain that matched: the longest suffix of the host on the list.
                hit = let(host_suffixes(host), lambda s: F.try_element_at(
                    F.array_intersect(s, blocked), F.lit(1)))
            out.append(DropRule("blocked_domain", hit.isNotNull(),
                                fmt(f"domains_file ({p.domains_file}): %s", hit)))
        if "urls" in lists:
            if "urls" in joined:
                listed = joined["urls"].isNotNull()
            else:
                blocked = F.array(*[F.lit(u) for u in lists["urls"]])
                listed = F.array_contains(blocked, normalize_url(value))
            out.append(DropRule("blocked_url", listed,
                                fmt(f"urls_file ({p.urls_file}): %s",
                                    F.substring(value, 1, 200))))
        if "substrings" in lists:
            subs = sorted(lists["substrings"], key=len, reverse=True)
            pattern = "(" + "|".join(quote(s) for s in subs) + ")"
            hit = F.regexp_extract(F.lower(value), pattern, 1)
            out.append(DropRule("banned_substring", hit != "",
                                fmt(f"substrings_file ({p.substrings_file}): %s", hit)))
        return out

    def transform(self, df: DataFrame) -> DataFrame:
        lists = self._lists()
        big = {k for k in ("domains", "urls") if len(lists.get(k, ())) > INLINE_ENTRIES}
        if not big:
            return mark_drops(df, self.rules(), self.ctx)
        spark, tmp = df.sparkSession, f"_thresher_url_{self.ctx.step}"
        columns, joined = list(df.columns), {}
        if "domains" in big:
            host = F.when(live(), self._host())
            labels = F.split(host, rx(r"\."), -1)
            by_count: dict[int, list[str]] = {}
            for domain in lists["domains"]:
                by_count.setdefault(domain.count(".") + 1, []).append(domain)
            hits = []
            # Longest first: the detail names the longest listed suffix of the host.
            for count in sorted(by_count, reverse=True):
                key, hit = f"{tmp}_k{count}", f"{tmp}_d{count}"
                table = spark.createDataFrame([(d,) for d in by_count[count]], f"{hit} string")
                suffix = F.when(F.size(labels) >= count, F.array_join(
                    F.slice(labels, -count, count), "."))
                df = (df.withColumn(key, suffix)
                      .join(F.broadcast(table), F.col(key) == F.col(hit), "left").drop(key))
                hits.append(F.col(hit))
            joined["domains"] = F.coalesce(*hits)
        if "urls" in big:
            key, hit = f"{tmp}_ku", f"{tmp}_u"
            table = spark.createDataFrame([(u,) for u in lists["urls"]], f"{hit} string")
            df = (df.withColumn(key, F.when(live(), normalize_url(F.col(self.params.column))))
                  .join(F.broadcast(table), F.col(key) == F.col(hit), "left").drop(key))
            joined["urls"] = F.col(hit)
        marked = mark_drops(df, self.rules(joined), self.ctx)
        return marked.select(*columns, *[c for c in marked.columns if c not in df.columns])
