"""Lengths the `truncate` fields are cut to, from the Salesforce describes the plan cached (no CRM call):
a value Salesforce holds cut is in sync with its full form. Shared by the write stage (values read back
after creates) and the health drift check."""

from __future__ import annotations

import json

import duckdb

from crmsync_pipeline.config.pairs import ObjectPair


def cached_cut_lengths(con: duckdb.DuckDBPyConnection, pair: ObjectPair) -> dict[str, int]:
    out: dict[str, int] = {}
    for sobject in pair.salesforce:
        row = con.execute(
            "SELECT body FROM schema_cache WHERE crm = 'salesforce' AND object = ?", [sobject]
        ).fetchall()
        fields = {f["name"]: f for f in json.loads(row[0][0])["fields"]} if row else {}
        for mapped in pair.fields:
            length = (fields.get(mapped.salesforce) or {}).get("length") if mapped.truncate else None
            if length and mapped.applies_to(sobject):
                out[mapped.name] = min(int(length), out.get(mapped.name, int(length)))
    return out
