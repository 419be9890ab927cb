"""The transforms and match-key normalizers as SQL (canonical_sql.py, match_keys_sql.py) against their
Python definitions, on values chosen to break one or the other: a change to either side shows here."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from crmsync_pipeline.config import (
    Normalizer,
    OwnerDirectory,
    Side,
    TransformContext,
    TransformError,
    canonical_text,
    normalize,
    parse_mapping,
)
from crmsync_pipeline.match.canonical import CANNOT_PLACE, UDF, SqlTransforms, register_fallback
from crmsync_pipeline.match.keys import normalized, register_normalize

MAPPING = parse_mapping("""
version: 1
value_maps:
  lead_status:
    both_ways: {NEW: Open - Not Contacted, IN_PROGRESS: Working - Contacted}
    hubspot_to_salesforce: {OPEN: Open - Not Contacted}
    salesforce_to_hubspot: {Closed - Converted: IN_PROGRESS}
  free:
    both_ways: {a: A}
    unmapped: pass_through
objects:
  deals:
    hubspot: deals
    salesforce: Opportunity
    fields:
      - {hubspot: name, salesforce: Name, direction: two_way}
      - {hubspot: email, salesforce: Email__c, direction: two_way, transform: email}
      - {hubspot: domain, salesforce: Website, direction: two_way, transform: {kind: domain, url_on: salesforce}}
      - {hubspot: amount, salesforce: Amount, direction: two_way, transform: number}
      - {hubspot: phone, salesforce: Phone, direction: two_way, transform: phone}
      - {hubspot: paid, salesforce: Paid__c, direction: two_way, transform: bool}
      - {hubspot: closedate, salesforce: CloseDate, direction: two_way,
         transform: {kind: date, timezone: Europe/Paris}}
      - {hubspot: startdate, salesforce: Start__c, direction: two_way, transform: date}
      - {hubspot: status, salesforce: Status__c, direction: two_way,
         transform: {kind: picklist, value_map: lead_status}}
      - {hubspot: free, salesforce: Free__c, direction: two_way, transform: {kind: picklist, value_map: free}}
      - {hubspot: dealstage, salesforce: StageName, direction: two_way, transform: stage}
      - {hubspot: hubspot_owner_id, salesforce: OwnerId, direction: two_way, transform: owner}
    deal_stages:
      default_pipeline: default
      pipelines:
        default:
          both_ways: {closedwon: Closed Won, decisionmakerboughtin: Negotiation/Review}
          hubspot_to_salesforce: {contractsent: Negotiation/Review}
        enterprise:
          both_ways: {ent_won: Closed Won}
          unmapped: pass_through
""")
FIELDS = {f.name: f for f in MAPPING.pair("deals").fields}
OWNERS = OwnerDirectory(
    hubspot={"11": " Ada@Example.org ", "12": "", "13": "Zoë@Example.org"},
    salesforce={"005A": "ada@example.org", "005B": "BOB@example.org"},
)
BLANKS = [None, "", "   ", "\t\n", "\u00a0\u3000", "\x1c\x1f"]
CORPUS = {
    "name": [" Hello ", "a\nb", "\u2003Ünïcode\u2028", "x\x85", "tab\t", "\x00nul", "ß"],
    "email": [
        " Ada@Example.ORG ",
        "ADA@EXAMPLE.ORG",
        "a b@c.com",
        "Jürgen@Example.DE",
        "İnci@x.com",
        "\u2003x@Y.z\u2003",
        "ǅ@x.com",
    ],
    "domain": [
        "https://www.Acme.com/about?x=1",
        "http://user:pw@www.acme.com:8080/x",
        "ACME.COM",
        "www.acme.com.",
        "acme.com#frag",
        "ftp://files.acme.com",
        "www.",
        "https://",
        "//acme.com",
        "mailto:x@acme.com",
        "bücher.de",
        "  WWW.Example.Co.UK/path ",
        "a@b@c.com",
        "host:80",
        "...",
        "https://www.acme.com?x",
        "line\nbreak@acme.com",
        "1http://x.com",
        "HTTPS://WWW.X.IO",
    ],
    "amount": [
        "1,200.50",
        "17",
        "17.0",
        "-0",
        "-0.00",
        "007",
        "$1,000",
        "$$5",
        "1 000",
        "1_000",
        "€5",
        "£5",
        "1e3",
        "1E-7",
        "0.0001",
        "0.00001",
        "0.000123456789012345",
        ".5",
        "5.",
        "-.5",
        "+5",
        "abc",
        ",",
        "Infinity",
        "NaN",
        "-inf",
        "12345678901234567890",
        "1234567890123456.5",
        "0.1",
        "123456789012345.6",
        "12345678901234.5",
        "3.14159265358979",
        "  42  ",
        "4\u00a02",
        "٣",
        "1.2.3",
        "--5",
        "0x10",
        "-$5",
        "1,2,3",
        "00.50",
        "9" * 40,
        "1\x1c0",
    ],
    "paid": [
        "true",
        "True",
        " YES ",
        "y",
        "1",
        "on",
        "false",
        "No",
        "0",
        "off",
        "maybe",
        "Ja",
        "ｔrue",
        "TRUE\u00a0",
    ],
    "closedate": [
        "2026-11-01",
        "2026-11-01T23:30:00Z",
        "2026-11-01T22:30:00.000+0000",
        "2026-11-01T23:30:00+01:00",
        "2026-10-31T23:30:00-0100",
        "2026-11-01 10:00:00",
        "1700000000000",
        "0",
        "20261101",
        "2026-02-30",
        "2026-W01-1",
        "2026-11-01T10:00",
        "2026-11-01T10:00:00.1234567Z",
        "not a date",
        "0000-01-01",
        "2026-11-01T25:00:00Z",
        "  2026-11-01  ",
        "2026-11-01T10:00:00z",
        "99999999999999",
        "2026-03-29T01:30:00Z",
        "2026-11-01T23:59:59.999999+00:00",
        "١٧٠٠٠٠٠٠٠٠٠٠٠",
    ],
    "status": [
        "NEW",
        "new",
        " New ",
        "OPEN",
        "open",
        "IN_PROGRESS",
        "Nope",
        "ÑEW",
        "Open - Not Contacted",
        "closed - converted",
        "Closed - Converted",
        "WORKING - contacted",
    ],
    "free": ["a", "A", " b ", "Ç"],
    "phone": [
        "(555) 123-4567",
        "555.123.4567",
        "5551234567",
        "+1 555 123 4567",
        "1-555-123-4567",
        "+44 20 7946 0958",
        "0044 20 7946 0958",
        "+0044 1",
        "555-123-4567 ext. 12",
        "x",
        "--",
        "+",
        " +33 (0)1 23 45 67 89 ",
        "١٢٣",
        "555 123 4567 poste 4",
        "Ünicode 12",
    ],
    "hubspot_owner_id": ["11", " 11", "12", "13", "99", "005A", "005a", "005B"],
}
STAGES = [
    "closedwon",
    "CLOSEDWON",
    " contractsent ",
    "Negotiation/Review",
    "Closed Won",
    "closed won",
    "ent_won",
    "nosuch",
    "",
    None,
    "  ",
]
PIPELINES = [None, "", "default", "enterprise", "unknown", "  "]


def python_canonical(name: str, side: Side, value: object, pipeline: str | None = None) -> str | None:
    try:
        ctx = TransformContext(owners=OWNERS, pipeline=pipeline)
        return canonical_text(FIELDS[name].transformer.to_canonical(side, value, ctx))
    except TransformError:
        return CANNOT_PLACE


def sql_canonical(
    name: str, side: Side, values: list, pipelines: list | None = None, python: bool = True
) -> list:
    """Each value through the field's SQL expression; `python=False` marks what Python would have done."""
    con = duckdb.connect()
    exprs = SqlTransforms(OWNERS)
    expression = exprs.canonical(0, FIELDS[name], side, "v", "p")
    if python:
        register_fallback(con, [FIELDS[name]], lambda p: TransformContext(owners=OWNERS, pipeline=p))
    else:
        con.create_function(
            UDF,
            lambda i, side, raw, pipeline: "<python>",
            ["INTEGER", "VARCHAR", "VARCHAR", "VARCHAR"],
            "VARCHAR",
            null_handling="special",
        )
    pipelines = pipelines or [None] * len(values)
    con.register(
        "vals",
        pa.table(
            {"i": range(len(values)), "v": values, "p": pipelines},
            schema=pa.schema([("i", pa.int64()), ("v", pa.string()), ("p", pa.string())]),
        ),
    )
    return [r[0] for r in con.execute(f"SELECT {expression} FROM vals ORDER BY i", exprs.params).fetchall()]


@pytest.mark.parametrize("name", sorted(CORPUS))
@pytest.mark.parametrize("side", list(Side))
def test_sql_canonical_text_equals_the_python_transform(name, side):
    values = BLANKS + CORPUS[name]
    expected = [python_canonical(name, side, v) for v in values]
    assert dict(zip(values, sql_canonical(name, side, values), strict=True)) == dict(
        zip(values, expected, strict=True)
    )


@pytest.mark.parametrize("side", list(Side))
def test_stage_maps_follow_the_deal_pipeline_in_sql_as_in_python(side):
    cases = [(v, p) for v in STAGES for p in PIPELINES]
    values, pipelines = [v for v, _ in cases], [p for _, p in cases]
    got = sql_canonical("dealstage", side, values, pipelines)
    expected = [python_canonical("dealstage", side, v, p) for v, p in cases]
    assert list(zip(cases, got, strict=True)) == list(zip(cases, expected, strict=True))


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("name", [" Hello ", "x"]),
        ("email", [" Ada@Example.ORG "]),
        ("domain", ["https://www.Acme.com/about?x=1", "acme.com"]),
        ("amount", ["1,200.50", "17", "-0.00", "$1,000", "0.0001"]),
        ("phone", ["(555) 123-4567", "+44 20 7946 0958", "555-123-4567 x12"]),
        ("paid", ["YES", "maybe"]),
        (
            "closedate",
            ["2026-11-01", "2026-11-01T23:30:00Z", "2026-11-01T22:30:00.000+0000", "1700000000000"],
        ),
        ("status", ["NEW", "new", "Nope"]),
        ("hubspot_owner_id", ["11", "99"]),
    ],
)
def test_everyday_values_never_need_python(name, values):
    """The point of the SQL forms: Python runs only for the odd value, not for the bulk."""
    assert "<python>" not in sql_canonical(name, Side.HUBSPOT, values, python=False)


NORMALIZER_CORPUS = BLANKS + [
    " Ada ",
    "ADA",
    "Ada  Lovelace",
    "O'Brien-Smith",
    "Zoë",
    "José Ñúñez",
    "Acme Corp.",
    "ACME, Inc.",
    "The Acme Company",
    "the inc",
    "Inc Corp",
    "Acme & Sons Ltd",
    "Acme Co Co",
    "Acme Disco",
    "The",
    "Ａｃｍｅ",
    "ﬁne",
    "Straße GmbH",
    "+1 (555) 010-0199",
    "٠١٢",
    "x\x00y",
    "a\x1cb",
    "__init__",
    "https://www.acme.com/x",
    "www.Acme.com.",
    " a@B.com ",
    "İ",
    "ǅemal",
    "Ltd",
]


@pytest.mark.parametrize("kind", list(Normalizer))
def test_sql_match_key_normalizers_equal_the_python_ones(kind):
    con = duckdb.connect()
    register_normalize(con)
    con.register("vals", pa.table({"i": range(len(NORMALIZER_CORPUS)), "v": NORMALIZER_CORPUS}))
    got = [r[0] for r in con.execute(f"SELECT {normalized(kind, 'v')} FROM vals ORDER BY i").fetchall()]
    expected = [normalize(kind, v) for v in NORMALIZER_CORPUS]
    assert dict(zip(NORMALIZER_CORPUS, got, strict=True)) == dict(
        zip(NORMALIZER_CORPUS, expected, strict=True)
    )


def test_in_sync_fields_move_base_in_sql_and_only_actionable_rows_reach_python(tmp_path):
    from datetime import UTC, datetime

    from crmsync_pipeline.plan.field_state import build_field_state
    from crmsync_pipeline.plan.merge import decide_fields
    from crmsync_pipeline.plan.updates import plan_updates
    from crmsync_pipeline.state import db

    mapping = parse_mapping("""
version: 1
objects:
  contacts:
    hubspot: contacts
    salesforce: Contact
    fields:
      - {hubspot: jobtitle, salesforce: Title, direction: two_way}
      - {hubspot: email, salesforce: Email, direction: two_way, transform: email}
""")
    pair, now = mapping.pair("contacts"), datetime(2026, 11, 1, tzinfo=UTC)
    with db.connect(tmp_path / "state.duckdb") as con:
        con.execute(
            "CREATE TABLE hubspot_contacts_snapshot (id VARCHAR, jobtitle VARCHAR, email VARCHAR, "
            "_modified_at TIMESTAMPTZ, _archived BOOLEAN)"
        )
        con.execute(
            'CREATE TABLE salesforce_contacts_snapshot (id VARCHAR, _sobject VARCHAR, "Title" VARCHAR, '
            '"Email" VARCHAR, _modified_at TIMESTAMPTZ, _deleted BOOLEAN)'
        )
        for i, (title, sf_title, email, sf_email) in enumerate(
            [
                ("CEO", "CEO", "a@x.io", " A@X.io"),
                ("CTO", "VP", "b@x.io", "b@x.io"),
                ("Dev", "Dev", None, None),
            ]
        ):
            con.execute(
                "INSERT INTO hubspot_contacts_snapshot VALUES (?, ?, ?, ?, false)",
                [str(i), title, email, now],
            )
            con.execute(
                "INSERT INTO salesforce_contacts_snapshot VALUES (?, 'Contact', ?, ?, ?, false)",
                [f"003{i}", sf_title, sf_email, now],
            )
            con.execute(
                "INSERT INTO links VALUES ('contacts', ?, 'Contact', ?, 'email', ?, 'r0')",
                [str(i), f"003{i}", now],
            )
        # base: record 0's title moved on both sides to the same value; record 1's title changed in HubSpot
        con.execute("INSERT INTO base_values VALUES ('contacts', '0', 'jobtitle', 'Founder', ?, 'r0')", [now])
        con.execute("INSERT INTO base_values VALUES ('contacts', '1', 'jobtitle', 'VP', ?, 'r0')", [now])
        build_field_state(con, "contacts", pair, OwnerDirectory())
        actionable = decide_fields(con, in_sync=False)
        assert [(d.hubspot_id, d.field, d.decision) for d in actionable] == [
            ("0", "jobtitle", "in_sync"),  # both changed to the same value: kept as a conflict row
            ("1", "jobtitle", "write_salesforce"),
        ]
        summary = plan_updates(con, "r1", pair, OwnerDirectory(), actionable, now)
        base = dict(con.execute("SELECT hubspot_id || ':' || field, value FROM base_values").fetchall())
        assert base == {
            "0:jobtitle": "CEO",
            "0:email": "a@x.io",
            "1:jobtitle": "VP",
            "1:email": "b@x.io",
            "2:jobtitle": "Dev",
            "2:email": None,
        }
        assert summary.in_sync == 5 and summary.updates == {"salesforce": 1} and summary.conflicts == 1
