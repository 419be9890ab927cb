"""The state file the matching and merging benchmark (match_merge_scale.py) runs on: N contacts per
side loaded straight into both snapshot tables with DuckDB SQL, owners, and an earlier sync's links and
base values, as if crmsync had extracted and synced them before."""

from __future__ import annotations

from pathlib import Path

PAIR = "contacts"
OWNERS = 40

HUBSPOT_FIELDS = [
    "email",
    "firstname",
    "lastname",
    "jobtitle",
    "phone",
    "hubspot_owner_id",
    "lifecyclestage",
    "hs_lead_status",
    "lead_source",
    "company",
    "crmsync_salesforce_id",
]
SALESFORCE_FIELDS = [
    "Email",
    "FirstName",
    "LastName",
    "Title",
    "Phone",
    "OwnerId",
    "HubSpot_Lifecycle_Stage__c",
    "Status",
    "LeadSource",
    "Company",
    "Account.Name",
    "CrmSync_HubSpot_Id__c",
    "IsConverted",
]

# One person per i. i < shared: on both sides (80%); the first half of them were linked by an earlier
# sync (links, cross-reference ids and base values), the rest are matched now, 3% of those by name and
# company (no email on either side). Above shared: a person only one side has.
PEOPLE_SQL = """
CREATE OR REPLACE TEMP TABLE people AS
SELECT i,
       i < $shared AS is_shared,
       i < $shared / 2 AS was_linked,
       i >= $shared / 2 AND i < $shared AND i % 33 = 0 AS no_email,
       ['Ada','Grace','Alan','Edsger','Barbara','Ken','Linus','Margaret','Donald','Frances'][i % 10 + 1] AS first,
       'Name' || (i % 97331)::VARCHAR AS last,
       'Company ' || (i % 50021)::VARCHAR AS company,
       ['Engineer','Manager','Director','VP Sales','Analyst','CTO'][i % 6 + 1] AS title,
       '+1 555 ' || lpad((i % 9999991)::VARCHAR, 7, '0') AS phone,
       ['marketingqualifiedlead','salesqualifiedlead','opportunity','customer'][i % 4 + 1] AS stage,
       ['NEW','IN_PROGRESS','OPEN','CONNECTED','UNQUALIFIED'][i % 5 + 1] AS lead_status,
       ['Web','Referral','Partner','Event'][i % 4 + 1] AS source,
       i % $owners AS owner,
       CASE WHEN i % 5 < 3 THEN 'Contact' ELSE 'Lead' END AS sobject
FROM range($people) t(i)
"""

HUBSPOT_SQL = """
INSERT INTO hubspot_contacts_snapshot (id, email, firstname, lastname, jobtitle, phone, hubspot_owner_id,
    lifecyclestage, hs_lead_status, lead_source, company, crmsync_salesforce_id, _modified_at, _archived)
SELECT (i + 1)::VARCHAR,
       CASE WHEN no_email THEN NULL
            WHEN i % 7 = 0 THEN ' Person' || i::VARCHAR || '@Example-Corp.COM '
            ELSE 'person' || i::VARCHAR || '@example-corp.com' END,
       first, last,
       CASE WHEN is_shared AND i % 20 = 3 THEN title || ' II' ELSE title END,
       CASE WHEN i % 10 = 9 THEN NULL ELSE phone END,
       (100 + owner)::VARCHAR,
       stage, lead_status, source, company,
       CASE WHEN was_linked THEN (CASE sobject WHEN 'Contact' THEN '003' ELSE '00Q' END) || lpad(i::VARCHAR, 15, '0') END,
       TIMESTAMPTZ '2026-11-01 00:00:00+00' + INTERVAL (i % 86400) SECOND,
       false
FROM people
WHERE i < $shared OR i % 2 = 0
"""

SALESFORCE_SQL = """
INSERT INTO salesforce_contacts_snapshot (id, _sobject, "Email", "FirstName", "LastName", "Title", "Phone",
    "OwnerId", "HubSpot_Lifecycle_Stage__c", "Status", "LeadSource", "Company", "Account.Name",
    "CrmSync_HubSpot_Id__c", "IsConverted", _modified_at, _deleted)
SELECT (CASE sobject WHEN 'Contact' THEN '003' ELSE '00Q' END) || lpad(i::VARCHAR, 15, '0'),
       sobject,
       CASE WHEN no_email THEN NULL
            WHEN NOT is_shared THEN 'sfperson' || i::VARCHAR || '@example-corp.com'
            WHEN i % 11 = 0 THEN 'PERSON' || i::VARCHAR || '@example-corp.com'
            ELSE 'person' || i::VARCHAR || '@example-corp.com' END,
       first, last,
       CASE WHEN is_shared AND i % 25 = 4 THEN 'Senior ' || title ELSE title END,
       CASE WHEN is_shared AND i % 30 = 7 THEN '+1 555 0000000' ELSE phone END,
       '005' || lpad(owner::VARCHAR, 15, '0'),
       stage,
       CASE WHEN sobject = 'Lead' THEN
            CASE lead_status WHEN 'NEW' THEN 'Open - Not Contacted' WHEN 'OPEN' THEN 'Open - Not Contacted'
                 WHEN 'UNQUALIFIED' THEN 'Closed - Not Converted' ELSE 'Working - Contacted' END END,
       source,
       CASE WHEN sobject = 'Lead' THEN company END,
       CASE WHEN sobject = 'Contact' THEN company || ' Inc.' END,
       CASE WHEN was_linked THEN (i + 1)::VARCHAR END,
       'false',
       TIMESTAMPTZ '2026-11-01 00:00:00+00' + INTERVAL ((i * 7) % 86400) SECOND,
       false
FROM people
WHERE i < $shared OR i % 2 = 1
"""

LINKS_SQL = """
INSERT INTO links
SELECT 'contacts', (i + 1)::VARCHAR, sobject,
       (CASE sobject WHEN 'Contact' THEN '003' ELSE '00Q' END) || lpad(i::VARCHAR, 15, '0'),
       'email', TIMESTAMPTZ '2026-10-01 00:00:00+00', 'previous'
FROM people WHERE was_linked
"""


def build_state(state_path: Path, people: int) -> None:
    """A fresh state file holding both snapshots, owners, and an earlier sync's links and base."""
    from crmsync_pipeline.config import load_mapping
    from crmsync_pipeline.orchestration.resources import default_mapping_path
    from crmsync_pipeline.state import db
    from crmsync_pipeline.state.snapshots import ensure_snapshot

    mapping = load_mapping(default_mapping_path())
    params = {"people": people, "shared": int(people * 0.8), "owners": OWNERS}
    with db.connect(state_path) as con:
        con.execute("SET enable_progress_bar = false")
        ensure_snapshot(
            con, "hubspot_contacts_snapshot", HUBSPOT_FIELDS, ["_modified_at", "_created_at"], ["_archived"]
        )
        ensure_snapshot(
            con,
            "salesforce_contacts_snapshot",
            SALESFORCE_FIELDS,
            ["_modified_at", "_created_at"],
            ["_deleted"],
            extra_text=["_sobject", "_master_record_id", "_last_modified_by_id"],
        )
        for statement in (PEOPLE_SQL, HUBSPOT_SQL, SALESFORCE_SQL):
            con.execute(statement, _used(statement, params))
        con.execute(
            "CREATE OR REPLACE TABLE hubspot_owners (id VARCHAR, email VARCHAR, first_name VARCHAR, last_name VARCHAR)"
        )
        con.execute(
            "CREATE OR REPLACE TABLE salesforce_users (id VARCHAR, email VARCHAR, username VARCHAR, is_active BOOLEAN)"
        )
        con.execute(
            "INSERT INTO hubspot_owners SELECT (100 + i)::VARCHAR, 'Owner' || i::VARCHAR || '@Corp.example', NULL, NULL "
            "FROM range($owners) t(i)",
            {"owners": OWNERS},
        )
        con.execute(
            "INSERT INTO salesforce_users SELECT '005' || lpad(i::VARCHAR, 15, '0'), 'owner' || i::VARCHAR || "
            "'@corp.example', NULL, true FROM range($owners) t(i)",
            {"owners": OWNERS},
        )
        con.execute(LINKS_SQL)
        _previous_base(con, mapping)


def _used(statement: str, params: dict) -> dict:
    return {k: v for k, v in params.items() if f"${k}" in statement}


def _previous_base(con, mapping) -> None:  # type: ignore[no-untyped-def]
    """Base as the earlier sync left it: what both sides held then (today's values, except for the
    edits made since on one side, which the generator marks by value)."""
    from crmsync_pipeline.plan.field_state import build_field_state
    from crmsync_pipeline.plan.stage import owner_directory

    pair = mapping.pair(PAIR)
    build_field_state(con, PAIR, pair, owner_directory(con))
    con.execute(
        """INSERT INTO base_values
           SELECT pair, hubspot_id, field,
                  CASE WHEN hubspot_value IS NOT DISTINCT FROM salesforce_value THEN hubspot_value
                       WHEN field = 'jobtitle' AND hubspot_value LIKE '% II' THEN salesforce_value
                       ELSE hubspot_value END,
                  TIMESTAMPTZ '2026-10-01 00:00:00+00', 'previous'
           FROM field_state"""
    )
    con.execute("DROP TABLE field_state")
