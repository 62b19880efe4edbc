"""pii_redact: e-mails, public IPs (checked against Python's ``ipaddress``), phone numbers
and their deliberate non-matches, custom patterns, placeholders taken in turn, the tally
columns, keep_original, rows dropped earlier, null text, big texts and param errors.

Most cases share one DataFrame and one collect (the ``batch`` fixture)."""
from __future__ import annotations

import ipaddress
import random

import pytest
from pydantic import ValidationError
from pyspark.sql import functions as F

from thresher.operators.base import DROP_REASON, StepContext, tally_column
from thresher.operators.errors import ColumnContractError, RecipeError
from thresher.operators.text import pii
from thresher.operators.text.pii import (IP_PLACEHOLDERS, IPV6_PLACEHOLDERS, PIIRedact,
                                         replace_matches)

CTX = StepContext(text_column="text", id_column="id", step=1, op_name="pii_redact")
EMAIL, IP, PHONE, CHARS = (tally_column(CTX, n) for n in (
    "email_redacted", "ip_redacted", "phone_redacted", "chars_removed"))

PHONES = ["+1 (555) 123-4567", "(555) 123-4567", "(555)123-4567", "(555) 123 4567",
          "555-123-4567", "555.123.4567", "1-800-555-1234", "1 (555) 123-4567",
          "+44 20 7946 0958", "+49 (0)30 1234567", "+33 1 23 45 67 89", "+14155552671",
          "+91-98765-43210"]
NOT_PHONES = ["2021-03-04", "03/04/2021", "2021.03.04", "1990-2000", "1999-2005-2010",
              "ISBN 978-3-16-148410-0", "ISBN 0-306-40615-2", "978-0-306-40615-7", "v1.2.3",
              "10.0.19041.1", "3.14159", "1234.5678", "192.168.100.200", "12:30:45",
              "5551234567", "555-1234", "555-123.4567", "4111-1111-1111-1111", "+1.5",
              "+12 345", "0044 20 7946 0958", "$1,234,567", "SSN 123-45-6789",
              "+1 234 567 890 123 456 789"]

# Where CPython's tables changed (3.11.10 / 3.12.4, gh-113171): IANA's answer, which
# pii_redact follows, whatever this interpreter's ipaddress says. Exceptions first.
IANA = [(ipaddress.ip_network(n), v) for n, v in [
    ("192.0.0.9/32", True), ("192.0.0.10/32", True), ("192.0.0.0/24", False),
    ("2001:1::1/128", True), ("2001:1::2/128", True), ("2001:3::/32", True),
    ("2001:4:112::/48", True), ("2001:20::/28", True), ("2001:30::/28", True),
    ("64:ff9b:1::/48", False), ("2002::/16", False), ("3fff::/20", False)]]


def is_public(ip) -> bool:
    """The reference: Python's ``is_global``, multicast excluded, mapped IPv6 as its IPv4."""
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return is_public(ip.ipv4_mapped)
    for net, value in IANA:
        if ip.version == net.version and ip in net:
            return value
    return ip.is_global and not ip.is_multicast


def sample_ips() -> list:
    """Both ends of every range of pii.py, one past each end, random members, random
    addresses and IPv4-mapped ones."""
    rng, out = random.Random(17), []
    for net in map(ipaddress.ip_network, pii.NON_PUBLIC_V4 + pii.PUBLIC_V4 + pii.NON_PUBLIC_V6
                   + pii.PUBLIC_V6 + ("::ffff:0:0/96",)):
        top = 2 ** net.max_prefixlen - 1
        lo, hi = int(net.network_address), int(net.broadcast_address)
        picks = [lo, hi, max(lo - 1, 0), min(hi + 1, top)]
        picks += [lo + rng.randrange(hi - lo + 1) for _ in range(3)]
        out += [ipaddress.ip_address(p) if net.version == 4 else ipaddress.IPv6Address(p)
                for p in picks]
    out += [ipaddress.IPv4Address(rng.getrandbits(32)) for _ in range(60)]
    out += [ipaddress.IPv6Address(rng.getrandbits(128)) for _ in range(30)]
    out += [ipaddress.IPv6Address(f"::ffff:{a}") for a in out[:40] if a.version == 4]
    return list(dict.fromkeys(out))


def ip_text(ip) -> str:
    """How it is written: compressed, or exploded where that has no digit or is dotted."""
    s = str(ip)
    return ip.exploded if ip.version == 6 and ("." in s or not any(c.isdigit() for c in s)) else s


CASES = {
    "emails": "Write to John.Smith@Example.COM, jo+tag@mail.co.uk or x@[8.8.8.8].",
    "quoted": "Say 'jo@x.org' and <ann_b@sub.example.net>!",
    "not_emails": "foo@bar, @handle, a@b and me at example dot com",
    "ipv4": ("from 8.8.8.8 via 10.0.0.1, 172.16.5.4, 192.168.1.1, 127.0.0.1, 169.254.1.1, "
             "100.64.0.1, 224.0.0.1, to 1.1.1.1; not 1.2.3.4.5, v1.2.3.4, 256.1.1.1, 01.2.3.4"),
    "ipv6": ("dns 2001:4860:4860::8888, 2606:4700:4700::1111 and fe80::1%eth0 ::1 fc00::5 "
             "fd12:3456::1 2001:db8::1 ff02::1 ::ffff:c0a8:101 ::ffff:808:808 std::vector "
             "ab::cd at 12:30:45"),
    "mixed": "Mail bob@corp.com from 93.184.216.34 or call +1 (212) 555-0187.",
    "dropped": "Mail bob@corp.com from 93.184.216.34 or call +1 (212) 555-0187.",
    "null": None,
    "plain": "Nothing personal here, version 2.4.1 released on 2021-03-04.",
    "many": " ".join(f"user{i}@host{i % 7}.example.com" for i in range(1500)),
    **{f"phone:{p}": f"tel {p} ok" for p in PHONES},
    **{f"not_phone:{p}": f"on {p} ok" for p in NOT_PHONES},
    **{f"ip:{ip_text(a)}": f"at {ip_text(a)} now" for a in sample_ips()},
}
NAMES = list(CASES)


@pytest.fixture(scope="module")
def batch(make_df):
    """{case name: row as a dict} after the default pii_redact (keep_original: orig)."""
    df = make_df([CASES[n] for n in NAMES], dropped={NAMES.index("dropped"): "earlier:x"})
    out = PIIRedact(keep_original="orig").bind(CTX).transform(df)
    assert out.columns == [*df.columns, "orig", EMAIL, IP, PHONE, CHARS]
    return {NAMES[r["id"]]: r.asDict() for r in out.collect()}


def test_emails(batch):
    assert batch["emails"]["text"] == ("Write to email@example.com, "
                                       "firstname.lastname@example.org or email@example.com.")
    assert (batch["emails"][EMAIL], batch["emails"][IP]) == (3, 0)  # x@[8.8.8.8] is an e-mail
    assert batch["quoted"]["text"] == ("Say 'email@example.com' and "
                                       "<firstname.lastname@example.org>!")
    assert batch["not_emails"]["text"] == CASES["not_emails"]
    assert batch["not_emails"][EMAIL] == 0


def test_ips_public_only(batch):
    ph = IP_PLACEHOLDERS  # the k-th candidate of the row takes placeholder k mod 6
    assert batch["ipv4"]["text"] == CASES["ipv4"].replace("8.8.8.8", ph[0]).replace(
        "1.1.1.1", ph[8 % 6])
    assert batch["ipv4"][IP] == 2
    v6 = CASES["ipv6"].replace("2001:4860:4860::8888", IPV6_PLACEHOLDERS[0])
    v6 = v6.replace("2606:4700:4700::1111", IPV6_PLACEHOLDERS[1])
    assert batch["ipv6"]["text"] == v6.replace("::ffff:808:808", IPV6_PLACEHOLDERS[9 % 2])
    assert batch["ipv6"][IP] == 3


def test_ips_against_ipaddress(batch):
    rows = {n[3:]: r for n, r in batch.items() if n.startswith("ip:")}
    assert len(rows) > 250
    public = {s for s in rows if is_public(ipaddress.ip_address(s))}
    assert 60 < len(public) < len(rows) - 60
    wrong = []
    for s, r in rows.items():
        ph = (IP_PLACEHOLDERS if "." in s else IPV6_PLACEHOLDERS)[0]
        want = (f"at {ph} now", 1) if s in public else (f"at {s} now", 0)
        if (r["text"], r[IP]) != want:
            wrong.append((s, s in public, r["text"]))
    assert not wrong, f"{len(wrong)} differ from ipaddress, e.g. {wrong[:5]}"


def test_phones(batch):
    for p in PHONES:
        row = batch[f"phone:{p}"]
        assert (row["text"], row[PHONE]) == ("tel 555-0100 ok", 1), p
    for p in NOT_PHONES:
        row = batch[f"not_phone:{p}"]
        assert (row["text"], row[PHONE], row[IP], row[EMAIL]) == (f"on {p} ok", 0, 0, 0), p


def test_tallies_and_keep_original(batch):
    mixed = batch["mixed"]
    assert mixed["text"] == "Mail email@example.com from 22.214.171.124 or call 555-0100."
    assert (mixed[EMAIL], mixed[IP], mixed[PHONE]) == (1, 1, 1)
    assert mixed["orig"] == CASES["mixed"]
    assert mixed[CHARS] == len(CASES["mixed"]) - len(mixed["text"]) == -5 - 1 + 9
    for name, row in batch.items():
        if name not in ("dropped", "null"):
            assert row["orig"] == CASES[name]
            assert row[CHARS] == len(row["orig"]) - len(row["text"]), name
    assert (batch["plain"]["text"], batch["plain"][CHARS]) == (CASES["plain"], 0)


def test_dropped_and_null_rows_untouched(batch):
    dropped = batch["dropped"]
    assert dropped["text"] == dropped["orig"] == CASES["dropped"]
    assert dropped[DROP_REASON] == "earlier:x"
    assert [dropped[c] for c in (EMAIL, IP, PHONE, CHARS)] == [None] * 4
    null = batch["null"]
    assert [null[c] for c in ("text", "orig", EMAIL, IP, PHONE, CHARS)] == [None] * 6
    assert all(r[DROP_REASON] is None for n, r in batch.items() if n != "dropped")


def test_many_emails(batch):
    row = batch["many"]
    assert row[EMAIL] == 1500 and "@host" not in row["text"]
    assert row["text"].split(" ")[:3] == ["email@example.com", "firstname.lastname@example.org",
                                          "email@example.com"]


def test_custom_patterns_and_placeholders(make_df):
    op = PIIRedact(email=False, only_public_ips=False, ip_placeholders="<IP>",
                   phone_placeholders="$1\\<PHONE>", custom_patterns={
                       "ssn": r"\b\d{3}-\d{2}-\d{4}\b",
                       "acct": {"pattern": r"acct \d{3}-\d{3}-\d{4}", "placeholder": "[ACCT]"},
                       "word": r"\p{Lu}{5,}"})
    assert op.tallies() == ["ssn_redacted", "acct_redacted", "word_redacted", "ip_redacted",
                            "phone_redacted", "chars_removed"]
    texts = ["ssn 123-45-6789 and 987-65-4321, acct 555-123-4567, call 555-123-4567",
             "HELLO bob@corp.com at 10.0.0.1 and ::1"]
    out = op.bind(CTX).transform(make_df(texts))
    tallies = [c for c in out.columns if c.startswith("_thresher_tally__")]
    assert tallies == [tally_column(CTX, n) for n in op.tallies()]
    rows = {r["id"]: r for r in out.collect()}
    n = [tally_column(CTX, f"{k}_redacted") for k in ("ssn", "acct", "word", "ip", "phone")]
    # custom patterns run first: the account number is not also a phone number
    assert rows[0]["text"] == "ssn <SSN> and <SSN>, [ACCT], call $1\\<PHONE>"
    assert [rows[0][c] for c in n] == [2, 1, 0, 0, 1]
    # e-mail off; every IP (IPv6 keeps its own placeholders)
    assert rows[1]["text"] == "<WORD> bob@corp.com at <IP> and 2001:db8::1"
    assert [rows[1][c] for c in n] == [0, 0, 1, 2, 0]


def test_big_text_stays_linear(make_df):
    prose = "The quick brown fox jumps over the lazy dog. " * 12_000
    runs = ["a-" * 50_000, "Ab+/9" * 20_000, "1." * 25_000, "ab:" * 15_000, "123-" * 12_000]
    pii_bits = " Reach me at jo@x.org or +44 20 7946 0958 from 8.8.8.8 or 2606:4700::1111. "
    text = prose + " ".join(runs) + pii_bits + prose
    assert len(text) > 1_000_000
    row = PIIRedact().bind(CTX).transform(make_df([text])).collect()[0]
    assert (row[EMAIL], row[IP], row[PHONE]) == (1, 2, 1)
    assert " Reach me at email@example.com or 555-0100 from 22.214.171.124 or 2001:db8::1. " \
        in row["text"]
    assert row[CHARS] == len(text) - len(row["text"])


def test_empty_matches_change_nothing(make_df):
    """split and regexp_extract_all disagree on empty matches: such a pattern (which the
    params refuse) leaves the text as it was."""
    out = make_df(["ab cd"]).select(replace_matches(F.col("text"), r"\b", ("X",)).alias("r"))
    assert out.collect()[0]["r"].asDict() == {"text": "ab cd", "n": 0}


def test_documented():
    import yaml

    doc = PIIRedact.__doc__
    example = doc.split("Example::", 1)[1].strip().splitlines()[0]
    step = yaml.safe_load(example)[0]["pii_redact"]
    op = PIIRedact(**step)
    assert op.tallies() == ["ssn_redacted", "email_redacted", "ip_redacted", "chars_removed"]
    assert op.stages()[0][1:3] == (r"\b\d{3}-\d{2}-\d{4}\b", ("<SSN>",))
    assert all(info.description for info in PIIRedact.Params.model_fields.values())


def test_bad_params():
    with pytest.raises(ValidationError, match="'bad'.*does not compile"):
        PIIRedact(custom_patterns={"bad": "(unclosed"})
    with pytest.raises(ValidationError, match="can match the empty string"):
        PIIRedact(custom_patterns={"opt": r"\d*"})
    with pytest.raises(ValidationError, match="Python syntax"):
        PIIRedact(custom_patterns={"named": r"(?P<n>\d+)"})
    with pytest.raises(ValidationError, match="built-in kind"):
        PIIRedact(custom_patterns={"email": "x+"})
    with pytest.raises(ValidationError, match="lower-case letters"):
        PIIRedact(custom_patterns={"My Key": "x+"})
    with pytest.raises(ValidationError, match="Extra inputs"):
        PIIRedact(emails=False)
    with pytest.raises(ValidationError, match="Extra inputs"):
        PIIRedact(custom_patterns={"k": {"pattern": "x+", "replacement": "y"}})
    with pytest.raises(ValidationError, match="at least one placeholder"):
        PIIRedact(ip_placeholders=[])
    with pytest.raises(ValidationError, match="nothing to redact"):
        PIIRedact(email=False, ip=False, phone=False)
    # Java-only syntax passes the first check
    assert PIIRedact(custom_patterns={"k": r"\p{Lu}\x{263A}\Q.*\E\z"}).params.custom_patterns
    with pytest.raises(RecipeError, match="new column") as err:
        PIIRedact(keep_original="text").bind(CTX).check_placement()
    assert err.value.param == "keep_original"
    op = PIIRedact(keep_original="raw").bind(CTX)
    assert op.adds() == ["raw"] and PIIRedact().adds() == []
    with pytest.raises(ColumnContractError, match="'raw' already exists"):
        op.check_columns({"text": "string", "raw": "string"})


def test_recipe_stats(spark, tmp_path):
    import pandas as pd

    from thresher.operators.recipe import Recipe
    from thresher.operators.registry import get_operator
    from thresher.operators.runner import run

    assert get_operator("pii_redact") is PIIRedact
    src = tmp_path / "in"
    src.mkdir()
    pd.DataFrame({"id": ["a", "b", "c"], "text": [
        "mail jo@x.org or ann@y.org", "from 8.8.8.8 not 10.0.0.1", "short"]}).to_parquet(
        src / "part-0.parquet")
    result = run(Recipe.from_dict({
        "name": "pii-test",
        "input": {"format": "parquet", "path": str(src), "text_column": "text", "id_column": "id"},
        "steps": [{"pii_redact": {"keep_original": "raw_text"}}]}), spark=spark,
        echo=lambda s: None)
    step = result.steps[1]
    assert step.details == {"email_redacted": 2, "ip_redacted": 1, "phone_redacted": 0,
                            "chars_removed": -(17 - 8) - (30 - 9) - (14 - 7)}
    rows = {r["id"]: r for r in result.output.collect()}
    assert rows["b"]["text"] == "from 22.214.171.124 not 10.0.0.1"
    assert rows["b"]["raw_text"] == "from 8.8.8.8 not 10.0.0.1"
    assert not [c for c in result.output.columns if c.startswith("_thresher")]
