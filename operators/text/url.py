"""URL block lists (as DataTrove's ``URLFilter`` and Dolma's URL taggers use UT1-style
lists): a URL or domain column against domains (subdomains included), exact URLs and
banned substrings, each read from a file on the driver.

The lists become literal arrays in the plan and rows are matched with ``arrays_overlap``
/ ``array_contains`` / one alternation regex: no UDF, no Python per row. A domain
``example.com`` blocks ``example.com`` and every ``*.example.com``; hosts and list
entries are compared lower-cased, without a trailing dot. Exact URLs are compared
lower-cased, without the scheme, a leading ``www.`` and trailing ``/``. A URL whose host
cannot be parsed is dropped as ``malformed_url`` (never an error); a null URL is kept.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pyspark.sql import Column
from pyspark.sql import functions as F

from ..base import DropRule, Filter, OpParams
from ..errors import RecipeError
from ..registry import register
from ._expr import fmt, let, quote, rx
from ._lists import read_list

# Lists become literals in the query plan: past this many entries the plan gets too big
# to ship to every task, and such a list needs a broadcast join (not written yet).
MAX_LIST_ENTRIES = 200_000


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
        for key, entries in out.items():
            if len(entries) > MAX_LIST_ENTRIES:
                param = {"domains": "domains_file", "urls": "urls_file"}.get(key, "substrings_file")
                raise RecipeError(f"{len(entries):,} entries; url_filter takes at most "
                                  f"{MAX_LIST_ENTRIES:,} per list for now", param=param)
        return out

    def rules(self) -> list[DropRule]:
        p, lists = self.params, self._lists()
        value = F.col(p.column)
        if p.kind == "url":
            host = normalize_host(F.try_parse_url(value, F.lit("HOST")))
        else:
            host = normalize_host(value)
        out = [DropRule("malformed_url", value.isNotNull() & (F.coalesce(host, F.lit("")) == ""),
                        fmt("%s: %s", F.lit(p.kind), F.substring(value, 1, 200)))]
        if "domains" in lists:
            blocked = F.array(*[F.lit(d) for d in lists["domains"]])
            # The blocked domain that matched: the longest suffix of the host on the list.
            hit = let(host_suffixes(host), lambda s: F.try_element_at(
                F.array_intersect(s, blocked), F.lit(1)))
            out.append(DropRule("blocked_domain", hit.isNotNull(),
                                fmt(f"domains_file ({p.domains_file}): %s", hit)))
        if "urls" in lists:
            blocked = F.array(*[F.lit(u) for u in lists["urls"]])
            out.append(DropRule("blocked_url", F.array_contains(blocked, normalize_url(value)),
                                fmt(f"urls_file ({p.urls_file}): %s",
                                    F.substring(value, 1, 200))))
        if "substrings" in lists:
            subs = sorted(lists["substrings"], key=len, reverse=True)
            pattern = "(" + "|".join(quote(s) for s in subs) + ")"
            hit = F.regexp_extract(F.lower(value), pattern, 1)
            out.append(DropRule("banned_substring", hit != "",
                                fmt(f"substrings_file ({p.substrings_file}): %s", hit)))
        return out
