"""The temp table `match_keys` (one row per record x key it can be matched by, with the normalized
value), built set-based: each key's normalizers (config/matching.py) as DuckDB expressions.

As for transforms (match/canonical.py), Python's normalizers stay the definition: SQL takes the ASCII
values, whose case folding and punctuation it reproduces exactly, and `crmsync_normalize`, a Python
UDF, the others (accents, other scripts), which DuckDB calls only for those rows."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import duckdb

from crmsync_pipeline.config import MatchKey, Normalizer, ObjectPair, normalize
from crmsync_pipeline.config.matching import COMPANY_SUFFIXES
from crmsync_pipeline.match.canonical import bare_domain_sql, is_ascii, is_empty, strip
from crmsync_pipeline.state.names import quoted

UDF = "crmsync_normalize"
# Python's `\s` and str.split() on ASCII text (\x1c-\x1f count as whitespace there)
_ASCII_SPACE = r"[\t\n\x0b\x0c\r\x1c-\x1f ]"


def _plain(v: str) -> str:
    """matching._plain of an ASCII value: case-folded, & as 'and', punctuation as spaces, words."""
    words = f"regexp_replace(replace(lower({v}), '&', ' and '), '[^a-z0-9_\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f ]', ' ', 'g')"
    return f"trim(regexp_replace({words}, '{_ASCII_SPACE}+', ' ', 'g'))"


def _company(v: str) -> str:
    suffixes = "|".join(COMPANY_SUFFIXES)
    cut = f"regexp_replace({_plain(v)}, '^(.+?)(?: (?:{suffixes}))+$', '\\1')"
    return f"regexp_replace({cut}, '^the ', '')"  # words are single-spaced: another word follows


_ASCII_FORMS = {
    Normalizer.TEXT: lambda v: f"regexp_replace(lower({strip(v)}), '{_ASCII_SPACE}+', ' ', 'g')",
    Normalizer.EMAIL: lambda v: f"lower({strip(v)})",
    Normalizer.DOMAIN: bare_domain_sql,
    Normalizer.NAME: _plain,
    Normalizer.COMPANY_NAME: _company,
    Normalizer.PHONE: lambda v: f"regexp_replace({v}, '[^0-9]', '', 'g')",
}


def normalized(kind: Normalizer, v: str) -> str:
    """SQL for normalize(kind, v): NULL for an empty value, as in Python."""
    return (
        f"CASE WHEN {is_empty(v)} THEN NULL WHEN {is_ascii(v)} THEN nullif({_ASCII_FORMS[kind](v)}, '') "
        f"ELSE {UDF}('{kind.value}', {v}) END"
    )


@dataclass(frozen=True)
class KeySql:
    kind: str
    hubspot: str | None  # the key's value on a HubSpot row (alias h), NULL when a part is empty
    salesforce: dict[str, str]  # per sObject, on a Salesforce row (alias s)
    only_when_missing: tuple[str, ...] = ()


def _column(columns: set[str], alias: str, name: str) -> str:
    return f"{alias}.{quoted(name)}" if name in columns else "NULL::VARCHAR"


def _id_15(v: str) -> str:
    return f"CASE WHEN length({strip(v)}) IN (15, 18) THEN substr({strip(v)}, 1, 15) END"


def _joined(key: MatchKey, fields: list[str], columns: set[str], alias: str) -> str:
    parts = [normalized(n, _column(columns, alias, f)) for n, f in zip(key.normalize, fields, strict=True)]
    return " || chr(31) || ".join(f"({p})" for p in parts)


def key_sql(pair: ObjectPair, hubspot_columns: set[str], salesforce_columns: set[str]) -> list[KeySql]:
    """The cross-reference keys, then the mapping's match keys in order (as match.keys_for)."""
    xref = pair.xref
    stripped = strip(_column(salesforce_columns, "s", xref.salesforce_field))
    keys = [
        KeySql(
            "salesforce_id_in_hubspot",
            _id_15(_column(hubspot_columns, "h", xref.hubspot_property)),
            {s: _id_15("s.id") for s in pair.salesforce},
        ),
        KeySql("hubspot_id_in_salesforce", "h.id", {s: f"nullif({stripped}, '')" for s in pair.salesforce}),
    ]
    for key in pair.match:
        keys.append(
            KeySql(
                key.name,
                _joined(key, key.hubspot, hubspot_columns, "h"),
                {
                    s: _joined(key, fields, salesforce_columns, "s")
                    for s in pair.salesforce
                    if (fields := key.salesforce_fields(s))
                },
                tuple(key.only_when_missing),
            )
        )
    return keys


def select_keys(keys: list[KeySql], sobject: str | None) -> tuple[list[str], list[tuple[str, str]]]:
    """The key columns of one side's rows (HubSpot's when `sobject` is None), and per key its kind and
    the condition a row is kept on: a value, and none for the earlier keys it is `only_when_missing` for."""
    exprs = {k.kind: (k.hubspot if sobject is None else k.salesforce.get(sobject)) for k in keys}
    present = [k for k in keys if exprs[k.kind] is not None]
    columns, kept = [], []
    for i, key in enumerate(present):
        earlier = [j for j, k in enumerate(present[:i]) if k.kind in key.only_when_missing]
        expr = exprs[key.kind]
        if earlier and not any(key.kind in k.only_when_missing for k in present[i + 1 :]):
            # its value is never looked at where an earlier key has one: skip the work there
            unset = " AND ".join(f"({exprs[present[j].kind]}) IS NULL" for j in earlier)
            expr = f"CASE WHEN {unset} THEN {expr} END"
        columns.append(f"{expr} AS key_{i}")
        kept.append(
            (key.kind, " AND ".join([f"key_{i} IS NOT NULL", *(f"key_{j} IS NULL" for j in earlier)]))
        )
    return columns, kept


def register_normalize(con: duckdb.DuckDBPyConnection) -> None:
    drop_normalize(con)
    con.create_function(UDF, normalize, ["VARCHAR", "VARCHAR"], "VARCHAR", null_handling="special")


def drop_normalize(con: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.InvalidInputException):
        con.remove_function(UDF)
