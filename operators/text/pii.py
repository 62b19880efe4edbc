"""PII redaction: DataTrove's ``PIIFormatter`` (e-mails, public IPv4), plus IPv6, phone
numbers and custom patterns, each match replaced by a placeholder.

Order: custom patterns (as given), e-mails, IPv4, IPv6, phones. A kind's placeholders
are used in turn: the row's k-th candidate of the kind (from 0, private IPs counted)
takes placeholder k mod n (DataTrove cycles across documents, which SQL cannot). IPs
are replaced only when public: outside IANA's not-globally-reachable ranges (recent
CPython's ``is_global`` table) and multicast; an IPv4-mapped IPv6 is judged as its IPv4.
Unlike DataTrove, e-mails match in any case and an IPv4 must stand alone (not
``1.2.3.4.5``, ``v1.2.3.4``). IPv6: the full form, or ``::``-compressed with a digit
(so C++'s ``ab::cd`` is none); a dotted tail (``::ffff:8.8.8.8``) is the IPv4's.

Phones (7-15 digits): ``+CC`` then up to six digit groups split by space or ``-`` (a
group may be ``(0)``; ``+14155552671`` too), and ``(555) 123-4567``, ``555-123-4567``,
``555.123.4567`` (one separator), optionally after ``1-``. Deliberately not: digits
without ``+`` or those shapes (``5551234567``, ``0044 20 7946 0958``, ``555-1234``),
dates, year ranges, ISBNs, versions, decimals, IPs, card numbers, ``+1.5``.

Patterns never match inside a longer token and stay linear on long runs. Stats:
``<kind>_redacted`` (``email``, ``ip``, ``phone``, each custom name) and
``chars_removed`` = length before - after (negative where placeholders are longer);
null for rows an earlier step dropped (left untouched) and for null text. All Spark
SQL: no UDF, no Python per row.
"""
from __future__ import annotations

import ipaddress
import re
from functools import reduce
from operator import and_, or_
from typing import Callable

from pydantic import Field, field_validator, model_validator
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from ..base import Operator, OpParams, live, tally_column
from ..errors import ColumnContractError, RecipeError
from ..registry import register
from ._expr import let, rx

_LOCAL = r"a-z0-9!#$%&'*+/=?^_`{|}~-"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DT_OCTET = r"(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)"
# DataTrove's e-mail regex, any case, local part <= 64 characters (checked by a bounded
# look-ahead first, so a long run without '@' is not rescanned from every position).
EMAIL = (rf"(?i)\b(?=[.{_LOCAL}]{{1,64}}+@)[{_LOCAL}]++(?:\.[{_LOCAL}]++)*+@"
         rf"(?:(?:{_LABEL}\.)+{_LABEL}|\[(?:{_DT_OCTET}\.){{3}}{_DT_OCTET}\])")
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"  # no leading zeros (ipaddress refuses them)
IPV4 = rf"(?<![\w.])(?:{_OCTET}\.){{3}}{_OCTET}(?!\w|\.\d)"
_H = "[0-9A-Fa-f]{1,4}"
_V6_SHORT = ([rf"::(?:{_H}:){{0,6}}{_H}", rf"(?:{_H}:){{6}}{_H}::"]
             + [rf"(?:{_H}:){{{n - 1}}}{_H}::(?:(?:{_H}:){{0,{6 - n}}}{_H})?" for n in range(1, 7)])
# The full form, or a '::'-compressed one with a digit (so C++'s ``ab::cd`` is no
# address); a dotted IPv4 tail (``::ffff:8.8.8.8``) is left to the IPv4 pattern.
IPV6 = (r"(?<![\w:])(?=[0-9A-Fa-f]{0,4}:[0-9A-Fa-f:])"
        rf"(?:(?:{_H}:){{7}}{_H}|(?=[0-9A-Fa-f:]{{0,38}}\d)(?:{'|'.join(_V6_SHORT)}))"
        r"(?![\w:]|\.\d)")
_INTL = r"\+[1-9]\d{0,2}(?:[ -]?(?:\(\d{1,4}\)|\d{1,5})){1,6}+"
_NA = r"(?:\+?1[ -])?\(\d{3}\) ?\d{3}[-. ]\d{4}|(?:1[-.])?\d{3}([-.])\d{3}\1\d{4}"
PHONE = rf"(?<![\w+.-])(?:{_INTL}|{_NA})(?!\w|[-.]\d)"

# Not globally reachable (IANA special-purpose registries), multicast included.
NON_PUBLIC_V4 = ("0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
                 "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16",
                 "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4",
                 "240.0.0.0/4")
PUBLIC_V4 = ("192.0.0.9/32", "192.0.0.10/32")  # exceptions inside the ranges above
NON_PUBLIC_V6 = ("::/128", "::1/128", "64:ff9b:1::/48", "100::/64", "2001::/23",
                 "2001:db8::/32", "2002::/16", "3fff::/20", "fc00::/7", "fe80::/10", "ff00::/8")
PUBLIC_V6 = ("2001:1::1/128", "2001:1::2/128", "2001:3::/32", "2001:4:112::/48",
             "2001:20::/28", "2001:30::/28")

EMAIL_PLACEHOLDERS = ("email@example.com", "firstname.lastname@example.org")  # DataTrove's
IP_PLACEHOLDERS = ("22.214.171.124", "126.96.36.199", "188.8.131.52", "184.108.40.206",
                   "220.127.116.11", "18.104.22.168")  # DataTrove's
IPV6_PLACEHOLDERS = ("2001:db8::1", "2001:db8:0:1::7334")  # documentation range
PHONE_PLACEHOLDERS = ("555-0100", "555-0123", "555-0199")  # reserved for fiction
BUILTIN_KINDS = ("email", "ip", "phone")


def _public_v4(n: Column) -> Column:
    """``n`` (an IPv4 address as a bigint) is globally reachable."""
    def within(nets):
        return reduce(or_, [n.between(int(net.network_address), int(net.broadcast_address))
                            for net in map(ipaddress.ip_network, nets)])
    return ~within(NON_PUBLIC_V4) | within(PUBLIC_V4)


def _within_v6(h: Column, nets: tuple[str, ...]) -> Column:
    """The address whose 8 hextets (ints) are ``h`` lies in one of ``nets``."""
    out = []
    for net in map(ipaddress.ip_network, nets):
        addr, k = int(net.network_address), net.prefixlen
        want = [(addr >> (112 - 16 * j)) & 0xFFFF for j in range(8)]
        conds = [h.getItem(j) == want[j] for j in range(k // 16)]
        if k % 16:
            shift = 16 - k % 16
            conds.append(F.shiftright(h.getItem(k // 16), shift) == want[k // 16] >> shift)
        out.append(reduce(and_, conds))
    return reduce(or_, out)


def public_ipv4(m: Column) -> Column:
    octets = F.split(m, rx(r"\."), -1)
    return _public_v4(F.aggregate(octets, F.lit(0).cast("bigint"),
                                  lambda acc, x: acc * 256 + x.cast("bigint")))


def public_ipv6(m: Column) -> Column:
    def groups(part: Column) -> Column:
        return F.when(part == "", F.array().cast("array<string>")).otherwise(
            F.split(part, rx(":"), -1))
    left, right = groups(F.substring_index(m, "::", 1)), groups(F.substring_index(m, "::", -1))
    full = F.when(m.contains("::"), F.concat(
        left, F.array_repeat(F.lit("0"), 8 - F.size(left) - F.size(right)), right)).otherwise(
        F.split(m, rx(":"), -1))

    def on_hextets(h: Column) -> Column:
        mapped = reduce(and_, [h.getItem(j) == 0 for j in range(5)] + [h.getItem(5) == 0xFFFF])
        v4 = h.getItem(6).cast("bigint") * 65536 + h.getItem(7)
        return F.when(mapped, _public_v4(v4)).otherwise(
            ~_within_v6(h, NON_PUBLIC_V6) | _within_v6(h, PUBLIC_V6))
    return let(F.transform(full, lambda g: F.conv(g, 16, 10).cast("int")), on_hextets)


def phone_digits(m: Column) -> Column:
    return F.length(F.regexp_replace(m, rx(r"\D"), F.lit(""))).between(7, 15)


def replace_matches(text: Column, pattern: str, placeholders: tuple[str, ...],
                    valid: Callable[[Column], Column] | None = None) -> Column:
    """struct(text, n): each match of ``pattern`` (where ``valid`` holds) replaced by the
    next placeholder, and how many were. The text is split on the pattern and rebuilt
    with the replacements, so each match is judged on its own."""
    k = len(placeholders)
    ph = F.lit(placeholders[0]) if k == 1 else F.array(*[F.lit(p) for p in placeholders])
    unchanged = F.struct(text.alias("text"), F.lit(0).alias("n"))

    def pick(i: Column) -> Column:
        return ph if k == 1 else F.element_at(ph, i % k + 1)

    def rebuild(found: Column, flags: Column | None) -> Column:
        pieces = F.split(text, rx(pattern), -1)
        if flags is None:
            reps, n = F.transform(found, lambda m, i: pick(i)), F.size(found)
        else:
            reps = F.transform(found, lambda m, i: F.when(F.element_at(flags, i + 1), pick(i))
                               .otherwise(m))
            n = F.size(F.filter(flags, lambda f: f))
        joined = F.array_join(F.zip_with(pieces, F.concat(reps, F.array(F.lit(""))),
                                         lambda a, b: F.concat(a, b)), "")
        # split and regexp_extract_all agree unless a match is empty: then change nothing
        return F.when(F.size(pieces) == F.size(found) + 1,
                      F.struct(joined.alias("text"), n.alias("n"))).otherwise(unchanged)

    def on_found(found: Column) -> Column:
        if valid is None:
            return F.when(F.size(found) == 0, unchanged).otherwise(rebuild(found, None))
        return let(F.transform(found, valid), lambda flags: F.when(
            ~F.exists(flags, lambda f: f), unchanged).otherwise(rebuild(found, flags)))

    return let(F.regexp_extract_all(text, rx(pattern), F.lit(0)), on_found)


def check_pattern(pattern: str) -> None:
    """A first check of a Java regex with Python's ``re`` (Java-only escapes mapped);
    raises ValueError when it does not compile or can match the empty string."""
    if "(?P" in pattern:
        raise ValueError("(?P<name>...) is Python syntax; Java regexes write (?<name>...)")
    py = re.sub(r"\\Q(.*?)(?:\\E|\Z)", lambda m: re.escape(m.group(1)), pattern, flags=re.S)
    py = re.sub(r"\\[pP](?:\{\^?\w+\}|[A-Z])", r"\\w", py)
    py = re.sub(r"\\x\{[0-9A-Fa-f]+\}|\\[hHRXe]", "x", py).replace(r"\z", r"\Z")
    py = py.replace(r"\G", "")
    try:
        compiled = re.compile(py)
    except re.error as exc:
        raise ValueError(f"pattern {pattern!r} does not compile: {exc}") from None
    if any(m.end() == m.start() for m in compiled.finditer("aZ 0_-.@:/\n")):
        raise ValueError(f"pattern {pattern!r} can match the empty string; every match "
                         "must consume text")


class CustomPattern(OpParams):
    pattern: str = Field(description="a Java regex")
    placeholder: str | None = Field(None, description="what replaces it; None: <NAME>")


@register("pii_redact")
class PIIRedact(Operator):
    """Replace e-mails, public IP addresses, phone numbers and custom patterns by placeholders.
    Rule: DataTrove's PIIFormatter (same e-mail regex and placeholders), public IPs only.

    Stats count each kind (``email_redacted``, ...) and ``chars_removed``.
    ``keep_original: raw_text`` keeps the incoming text (with its PII) in that column.

    Example::

        - pii_redact: {phone: false, custom_patterns: {ssn: '\\b\\d{3}-\\d{2}-\\d{4}\\b'}}
    """

    class Params(OpParams):
        email: bool = Field(True, description="redact e-mail addresses")
        ip: bool = Field(True, description="redact IPv4 and IPv6 addresses")
        phone: bool = Field(True, description="redact phone numbers")
        only_public_ips: bool = Field(True, description="leave private, loopback, link-local, "
                                      "documentation, multicast and reserved IPs alone")
        email_placeholders: tuple[str, ...] = Field(EMAIL_PLACEHOLDERS, description="used in "
                                                    "turn (a string: always that one)")
        ip_placeholders: tuple[str, ...] = Field(IP_PLACEHOLDERS, description="for IPv4")
        ipv6_placeholders: tuple[str, ...] = Field(IPV6_PLACEHOLDERS, description="for IPv6")
        phone_placeholders: tuple[str, ...] = Field(PHONE_PLACEHOLDERS, description="for phones")
        custom_patterns: dict[str, str | CustomPattern] | None = Field(None, description=(
            "name -> Java regex (or {pattern, placeholder}), replaced by <NAME>; run first"))
        keep_original: str | None = Field(None, description="a column to keep the incoming "
                                          "text in (it holds the PII)")

        @field_validator("email_placeholders", "ip_placeholders", "ipv6_placeholders",
                         "phone_placeholders", mode="before")
        @classmethod
        def _tuple(cls, v):
            if isinstance(v, (list, tuple)) and not v:
                raise ValueError("give at least one placeholder")
            return (v,) if isinstance(v, str) else v

        @field_validator("custom_patterns")
        @classmethod
        def _custom(cls, v):
            out = {}
            for name, spec in (v or {}).items():
                if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or "__" in name:
                    raise ValueError(f"custom pattern name {name!r}: use lower-case letters, "
                                     "digits and single '_' (it names the stats)")
                if name in BUILTIN_KINDS:
                    raise ValueError(f"custom pattern name {name!r} is a built-in kind")
                spec = CustomPattern(pattern=spec) if isinstance(spec, str) else spec
                try:
                    check_pattern(spec.pattern)
                except ValueError as exc:
                    raise ValueError(f"custom pattern {name!r}: {exc}") from None
                out[name] = spec
            return out or None

        @model_validator(mode="after")
        def _something(self):
            if not (self.email or self.ip or self.phone or self.custom_patterns):
                raise ValueError("nothing to redact: turn on email, ip or phone, or give "
                                 "custom_patterns")
            return self

    def stages(self) -> list[tuple[str, str, tuple[str, ...], Callable | None]]:
        """(kind, pattern, placeholders, validator) in the order they run."""
        p = self.params
        out = [(name, c.pattern, (f"<{name.upper()}>" if c.placeholder is None
                                  else c.placeholder,), None)
               for name, c in (p.custom_patterns or {}).items()]
        if p.email:
            out.append(("email", EMAIL, p.email_placeholders, None))
        if p.ip:
            public = p.only_public_ips
            out.append(("ip", IPV4, p.ip_placeholders, public_ipv4 if public else None))
            out.append(("ip", IPV6, p.ipv6_placeholders, public_ipv6 if public else None))
        if p.phone:
            out.append(("phone", PHONE, p.phone_placeholders, phone_digits))
        return out

    def kinds(self) -> list[str]:
        return list(dict.fromkeys(kind for kind, *_ in self.stages()))

    def tallies(self) -> list[str]:
        """The stats this step adds (``details`` names)."""
        return [f"{kind}_redacted" for kind in self.kinds()] + ["chars_removed"]

    def adds(self) -> list[str]:
        return [self.params.keep_original] if self.params.keep_original else []

    def check_placement(self) -> None:
        if self.params.keep_original == self.ctx.text_column:
            raise RecipeError("keep_original must name a new column, not the text column "
                              f"'{self.ctx.text_column}'", param="keep_original")

    def check_columns(self, available: dict[str, str]) -> None:
        keep = self.params.keep_original
        if keep and keep in available:
            raise ColumnContractError(f"step {self.ctx.step} ({self.name}): keep_original "
                                      f"column '{keep}' already exists; name a new column")

    def redact(self, text: Column) -> Column:
        """struct(text: redacted, n_<kind>: matches replaced per kind)."""
        stages = self.stages()

        def chain(i: int, t: Column, counts: list[tuple[str, Column]]) -> Column:
            if i == len(stages):
                totals: dict[str, Column] = {}
                for kind, n in counts:
                    totals[kind] = totals[kind] + n if kind in totals else n
                return F.struct(t.alias("text"), *[n.alias(f"n_{k}") for k, n in totals.items()])
            kind, pattern, placeholders, valid = stages[i]
            return let(replace_matches(t, pattern, placeholders, valid),
                       lambda s: chain(i + 1, s["text"], [*counts, (kind, s["n"])]))

        return chain(0, text, [])

    def transform(self, df: DataFrame) -> DataFrame:
        tmp, keep = f"_thresher_pii_{self.ctx.step}", self.params.keep_original
        if keep:
            df = df.withColumn(keep, self.text)
        df = df.withColumn(tmp, F.when(live() & self.text.isNotNull(), self.redact(self.text)))
        out = F.col(tmp)
        return df.withColumns({
            self.ctx.text_column: F.when(out.isNotNull(), out["text"]).otherwise(self.text),
            **{tally_column(self.ctx, f"{k}_redacted"): out[f"n_{k}"] for k in self.kinds()},
            tally_column(self.ctx, "chars_removed"): F.length(self.text) - F.length(out["text"]),
        }).drop(tmp)
