"""The mapping's value transforms as DuckDB expressions, so `field_state` is computed set-based.

Each transform kind (config/transforms.py, value_maps.py, owners.py) gets an expression over a raw
column that yields exactly `canonical_text(transformer.to_canonical(side, raw, ctx))`, or CANNOT_PLACE
where the transform raises TransformError. Python stays the definition: SQL handles the values whose
meaning it can reproduce exactly (ASCII text for case folding, plain decimals, ISO dates); the rest
(accented emails, "1e3", week dates, a custom transform) go through `crmsync_canonical`, a Python UDF
DuckDB calls only for those rows. tests/plan/test_field_state_sql.py holds the two side by side.

Values from the mapping (map entries, pipelines, time zones) go in as parameters; only code constants
(regexes, the whitespace set) are written into the SQL text."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from crmsync_pipeline.config import (
    FieldMapping,
    OwnerDirectory,
    Side,
    StageTransform,
    TransformContext,
    TransformError,
    ValueMap,
    canonical_text,
    normalize_email,
)
from crmsync_pipeline.config.owners import OwnerTransform
from crmsync_pipeline.config.transforms import (
    _FALSE,
    _TRUE,
    BoolTransform,
    DateTransform,
    DomainTransform,
    EmailTransform,
    NumberTransform,
    PhoneTransform,
    TextTransform,
)
from crmsync_pipeline.config.value_maps import Unmapped

CANNOT_PLACE = "\x00crmsync:cannot-place\x00"  # NUL-framed: no real CRM value looks like it
UDF = "crmsync_canonical"
# Python's str.strip() removes exactly these (DuckDB's trim() only spaces, and with a character list
# it is slow): a regex class of them, written as escapes. Unicode has no whitespace above U+3000
# (IDEOGRAPHIC SPACE), so the scan stops there: scanning all of Unicode cost 75 ms at every import
# (each CLI start); tests/match/test_canonical_whitespace.py holds the two equal.
WHITESPACE_END = 0x3001
WHITESPACE = "".join(c for c in map(chr, range(WHITESPACE_END)) if c.isspace())
_ASCII_SPACE = "".join(c for c in WHITESPACE if ord(c) < 128)
_SPACE = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE) + "]"
_CUT = "'" + CANNOT_PLACE + "'"


def strip(v: str) -> str:
    return f"regexp_replace({v}, '^{_SPACE}+|{_SPACE}+$', '', 'g')"


def is_empty(v: str) -> str:
    return f"({v} IS NULL OR regexp_full_match({v}, '{_SPACE}*'))"


def is_ascii(v: str) -> str:
    return f"(strlen({v}) = length({v}))"


@dataclass
class SqlTransforms:
    """Builds the expressions for one pair's fields; `params` go along with the query."""

    owners: OwnerDirectory
    params: dict[str, Any] = field(default_factory=dict)

    def param(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"${name}"

    def lookup(self, entries: dict[str, str], key: str) -> str:
        """The value `entries` holds for the key expression, NULL when none. The map is built from two
        list parameters, constant for the whole query (a scalar subquery over a registered table per
        lookup cost a join each to plan: half the planning time of a pair with value maps)."""
        if not entries:
            return "NULL::VARCHAR"
        return f"map({self.param(list(entries))}, {self.param(list(entries.values()))})[{key}]"

    def canonical(self, rule_index: int, mapped: FieldMapping, side: Side, v: str, pipeline: str) -> str:
        """The canonical text of raw column `v` (SQL), CANNOT_PLACE when the transform refuses it."""
        fallback = f"{UDF}({rule_index}, '{side.value}', {v}, {pipeline})"
        transformer = mapped.transformer
        kind = _KINDS.get(type(transformer))
        if kind is None:  # a transform with no SQL form: Python for the whole column
            return fallback
        return kind(self, transformer, side, v, pipeline, fallback)


def _text(t: SqlTransforms, tr: TextTransform, side: Side, v: str, p: str, fallback: str) -> str:
    return f"CASE WHEN {is_empty(v)} THEN NULL ELSE {strip(v)} END"


def _email(t: SqlTransforms, tr: EmailTransform, side: Side, v: str, p: str, fallback: str) -> str:
    return f"CASE WHEN {is_empty(v)} THEN NULL WHEN {is_ascii(v)} THEN lower({strip(v)}) ELSE {fallback} END"


def bare_domain_sql(v: str) -> str:
    """transforms.bare_domain of a non-empty ASCII value."""
    text = f"regexp_replace(lower({strip(v)}), '^[a-z][a-z0-9+.\\-]*://', '')"
    host = f"regexp_extract(regexp_replace(regexp_extract({text}, '^[^/?#]*'), '(?s)^.*@', ''), '^[^:]*')"
    return f"nullif(regexp_replace(trim({host}, '.'), '^www\\.', ''), '')"


def _domain(t: SqlTransforms, tr: DomainTransform, side: Side, v: str, p: str, fallback: str) -> str:
    return (
        f"CASE WHEN {is_empty(v)} THEN NULL WHEN {is_ascii(v)} THEN {bare_domain_sql(v)} ELSE {fallback} END"
    )


# "1,200.50" -> "1200.5": plain decimals whose float repr is their own shortest form (at most 15
# significant digits, 1e-4 <= |x| < 1e16); exponents and longer fractions go to Python.
_INTEGRAL = r"^[+-]?(?:[0-9]+(?:\.0*)?|\.0+)$"
_DECIMAL = r"^[+-]?[0-9]*\.[0-9]+$"


def _number(t: SqlTransforms, tr: NumberTransform, side: Side, v: str, p: str, fallback: str) -> str:
    spaces = "".join(f"\\x{{{ord(c):02x}}}" for c in _ASCII_SPACE)
    c = f"ltrim(regexp_replace({v}, '[,_{spaces}]', '', 'g'), '$')"
    w = f"ltrim(regexp_extract({c}, '^[+-]?([0-9]*)', 1), '0')"
    f = f"rtrim(regexp_extract({c}, '\\.([0-9]*)$', 1), '0')"
    sign = f"CASE WHEN starts_with({c}, '-') THEN '-' ELSE '' END"
    lead = f"(length({f}) - length(ltrim({f}, '0')))"
    simple = f"""CASE
        WHEN NOT {is_ascii(v)} THEN NULL
        WHEN regexp_full_match({c}, '{_INTEGRAL}') THEN CASE WHEN {w} = '' THEN '0' ELSE {sign} || {w} END
        WHEN NOT regexp_full_match({c}, '{_DECIMAL}') THEN NULL
        WHEN {w} <> '' AND length({w}) + length({f}) <= 15 THEN {sign} || {w} || '.' || {f}
        WHEN {w} = '' AND {lead} <= 3 AND length({f}) - {lead} <= 15 THEN {sign} || '0.' || {f}
    END"""
    return f"CASE WHEN {is_empty(v)} THEN NULL ELSE coalesce({simple}, {fallback}) END"


def _bool(t: SqlTransforms, tr: BoolTransform, side: Side, v: str, p: str, fallback: str) -> str:
    word = f"lower({strip(v)})"
    yes, no = t.param(sorted(_TRUE)), t.param(sorted(_FALSE))
    return (
        f"CASE WHEN {is_empty(v)} THEN NULL WHEN NOT {is_ascii(v)} THEN {fallback} "
        f"WHEN list_contains({yes}, {word}) THEN 'true' WHEN list_contains({no}, {word}) THEN 'false' "
        f"ELSE {_CUT} END"
    )


def _phone(t: SqlTransforms, tr: PhoneTransform, side: Side, v: str, p: str, fallback: str) -> str:
    """transforms.phone_key: the digits, '+' kept for a country code, +1 dropped; letters keep the text."""
    s = strip(v)
    d0 = f"regexp_replace({s}, '[^0-9]', '', 'g')"
    plus = f"starts_with({s}, '+')"
    d = f"CASE WHEN NOT {plus} AND starts_with({d0}, '00') THEN substr({d0}, 3) ELSE {d0} END"
    international = f"({plus} OR starts_with({d0}, '00'))"
    return f"""CASE WHEN {is_empty(v)} THEN NULL
        WHEN NOT {is_ascii(v)} THEN {fallback}
        WHEN {d0} = '' OR regexp_matches({s}, '[A-Za-z]') THEN {s}
        WHEN length({d}) = 11 AND starts_with({d}, '1') THEN substr({d}, 2)
        WHEN {international} THEN '+' || {d}
        ELSE {d} END"""


_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DATETIME = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,6})?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):?[0-5][0-9])?$"
)


def _date(t: SqlTransforms, tr: DateTransform, side: Side, v: str, p: str, fallback: str) -> str:
    s, zone = strip(v), t.param(tr.timezone)
    zoned = (
        f"regexp_replace(replace({s}, 'Z', '+00:00'), '([+-][0-9]{{2}})([0-9]{{2}})$', '\\1:\\2')"
        f" || CASE WHEN regexp_matches({s}, '(Z|[+-][0-9:]{{4,5}})$') THEN '' ELSE '+00:00' END"
    )
    instant = f"try_cast({zoned} AS TIMESTAMPTZ)"
    return f"""CASE WHEN {is_empty(v)} THEN NULL
        WHEN NOT {is_ascii(v)} OR starts_with({s}, '0000') THEN {fallback}
        WHEN regexp_full_match({s}, '^[0-9]{{1,13}}$')
            THEN CAST(timezone({zone}, timezone('UTC', epoch_ms(CAST({s} AS BIGINT))))::DATE AS VARCHAR)
        WHEN regexp_full_match({s}, '{_DATE}') AND try_cast({s} AS DATE) IS NOT NULL
            THEN CAST(CAST({s} AS DATE) AS VARCHAR)
        WHEN regexp_full_match({s}, '{_DATETIME}') AND {instant} IS NOT NULL
            THEN CAST(timezone({zone}, {instant})::DATE AS VARCHAR)
        ELSE {fallback} END"""


def _picklist(t: SqlTransforms, vm: ValueMap, side: Side, v: str, p: str, fallback: str) -> str:
    exact, folded = _entries(vm, side)
    raw = strip(v)
    found = t.lookup(exact, raw)
    unmapped = raw if vm.unmapped is Unmapped.PASS_THROUGH else _CUT
    return (
        f"CASE WHEN {is_empty(v)} THEN NULL WHEN {found} IS NOT NULL THEN {found} "
        f"WHEN NOT {is_ascii(v)} THEN {fallback} ELSE coalesce({t.lookup(folded, f'lower({raw})')}, {unmapped}) END"
    )


def _entries(vm: ValueMap, side: Side) -> tuple[dict[str, str], dict[str, str]]:
    """Raw value -> canonical, exact and case-folded, as ValueMap._lookup finds them."""
    if side is Side.HUBSPOT:
        return dict(vm.hubspot_to_salesforce), dict(vm._folded_hubspot)
    to_canonical = vm.hubspot_to_salesforce
    return (
        {s: to_canonical[h] for s, h in vm.salesforce_to_hubspot.items()},
        {s: to_canonical[h] for s, h in vm._folded_salesforce.items()},
    )


def _stage(t: SqlTransforms, tr: StageTransform, side: Side, v: str, p: str, fallback: str) -> str:
    """The map of the deal's pipeline (the default one when it has none); an unknown pipeline fails."""
    stages = tr.stages
    pipeline = f"CASE WHEN {p} IS NULL OR {p} = '' THEN {t.param(stages.default_pipeline)} ELSE {p} END"
    branches = " ".join(
        f"WHEN {pipeline} = {t.param(name)} THEN {_picklist(t, vm, side, v, p, fallback)}"
        for name, vm in stages.pipelines.items()
    )
    return f"CASE {branches} ELSE {_CUT} END"


def _owner(t: SqlTransforms, tr: OwnerTransform, side: Side, v: str, p: str, fallback: str) -> str:
    ids = t.owners.hubspot if side is Side.HUBSPOT else t.owners.salesforce
    emails = {str(i): normalize_email(e) for i, e in ids.items()}
    found = t.lookup({i: e for i, e in emails.items() if e is not None}, v)
    return f"CASE WHEN {is_empty(v)} THEN NULL ELSE coalesce({found}, {_CUT}) END"


_KINDS: dict[type, Callable[..., str]] = {
    TextTransform: _text,
    EmailTransform: _email,
    DomainTransform: _domain,
    NumberTransform: _number,
    PhoneTransform: _phone,
    BoolTransform: _bool,
    DateTransform: _date,
    ValueMap: _picklist,
    StageTransform: _stage,
    OwnerTransform: _owner,
}


def register_fallback(
    con: duckdb.DuckDBPyConnection,
    rules: list[FieldMapping],
    context: Callable[[str | None], TransformContext],
) -> None:
    """`crmsync_canonical(rule, side, raw, pipeline)`: the Python transform, for the rows SQL leaves."""

    def canonical(rule_index: int, side: str, raw: str | None, pipeline: str | None) -> str | None:
        try:
            value = rules[rule_index].transformer.to_canonical(Side(side), raw, context(pipeline))
        except TransformError:
            return CANNOT_PLACE
        return canonical_text(value)

    drop_fallback(con)
    con.create_function(
        UDF,
        canonical,
        ["INTEGER", "VARCHAR", "VARCHAR", "VARCHAR"],
        "VARCHAR",
        null_handling="special",
    )


def drop_fallback(con: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.InvalidInputException):
        con.remove_function(UDF)
