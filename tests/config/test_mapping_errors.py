"""A broken mapping file is refused with a message naming the file, the line and the offending entry."""

from __future__ import annotations

import pytest

from crmsync_pipeline.config import MappingError, load_mapping, parse_mapping

PHONE = "{hubspot: phone, salesforce: Phone, direction: prefer_salesforce, transform: phone}"

# (what is wrong, text replaced in the default file, replacement, entry named, words in the message)
BROKEN = [
    (
        "unknown direction",
        PHONE,
        PHONE.replace("prefer_salesforce", "two-way"),
        "objects.contacts.fields[4].direction",
        "unknown direction 'two-way'; expected one of: prefer_salesforce",
    ),
    (
        "did-you-mean on a direction",
        PHONE,
        PHONE.replace("prefer_salesforce", "two-way"),
        "objects.contacts.fields[4].direction",
        "did you mean 'two_way'?",
    ),
    (
        "unknown key",
        PHONE,
        PHONE.replace("direction", "directon"),
        "objects.contacts.fields[4]",
        "unknown key 'directon'",
    ),
    (
        "missing field side",
        "{hubspot: lastname, salesforce: LastName, direction: two_way}",
        "{hubspot: lastname, direction: two_way}",
        "objects.contacts.fields[2].salesforce",
        "required",
    ),
    (
        "unknown value map",
        "value_map: lead_status}",
        "value_map: lead_statuses}",
        "objects.contacts.fields[7].transform.value_map",
        "did you mean 'lead_status'?",
    ),
    (
        "unknown transform",
        "transform: {kind: domain",
        "transform: {kind: domian",
        "objects.companies.fields[1].transform.kind",
        "unknown kind 'domian'",
    ),
    (
        "association to an unknown pair",
        "{to: deals, salesforce_field: WhatId",
        "{to: deal, salesforce_field: WhatId",
        "objects.tasks.associations[1].to",
        "unknown object pair 'deal'",
    ),
    (
        "association before its pair syncs",
        "depends_on: [contacts, deals]",
        "depends_on: [contacts]",
        "objects.tasks.associations[1].to",
        "add it to depends_on",
    ),
    (
        "dependency cycle",
        "    depends_on: [companies]\n",
        "    depends_on: [companies, tasks]\n",
        "objects.contacts.depends_on",
        "dependency cycle",
    ),
    (
        "field limited to an object the pair lacks",
        "salesforce_objects: Lead,",
        "salesforce_objects: Leads,",
        "objects.contacts.fields[7].salesforce_objects[0]",
        "'Leads' is not one of this pair's Salesforce objects",
    ),
    (
        "field test with two operators",
        "            in: [marketingqualifiedlead",
        "            equals: x\n            in: [marketingqualifiedlead",
        "objects.contacts.include.hubspot.all[0]",
        "exactly one of equals",
    ),
    (
        "list membership on the Salesforce side",
        "      salesforce:\n        field: Email\n        email_domain_not_in: [test.com, example.com]\n",
        "      salesforce:\n        in_list: Sync to Salesforce\n",
        "objects.contacts.include.salesforce",
        "only be used in the hubspot rule",
    ),
    (
        "many-to-one map that would flip",
        "Needs Analysis: qualifiedtobuy",
        "Needs Analysis: qualifiedtobuy\n            Qualification: presentationscheduled",
        "objects.deals.deal_stages.pipelines.default",
        "one-way entry maps 'Qualification'",
    ),
    (
        "many-to-one map without a way back",
        "      BAD_TIMING: Closed - Not Converted\n",
        "      BAD_TIMING: Closed - Not Converted\n      NURTURING: Nurturing\n",
        "value_maps.lead_status",
        "salesforce_to_hubspot has no entry for 'Nurturing'",
    ),
    (
        "unknown default pipeline",
        "default_pipeline: default",
        "default_pipeline: sales",
        "objects.deals.deal_stages",
        "default_pipeline 'sales' has no entry",
    ),
    (
        "create as an object the pair lacks",
        "salesforce_as: contact_when_company_linked",
        "salesforce_as: Account",
        "objects.contacts.create.salesforce_as",
        "'Account' is not one of this pair's Salesforce objects",
    ),
    (
        "fallback key naming no earlier key",
        "only_when_missing: [email]",
        "only_when_missing: [emails]",
        "objects.contacts.match[1].only_when_missing[0]",
        "did you mean 'email'?",
    ),
    (
        "match key parts that do not line up",
        "Lead: [FirstName, LastName, Company]",
        "Lead: [FirstName, LastName]",
        "objects.contacts.match[1]",
        "salesforce.Lead has 2 field(s) but hubspot has 3",
    ),
    (
        "field mapped twice",
        PHONE,
        PHONE + "\n      - {hubspot: phone, salesforce: MobilePhone, direction: none}",
        "objects.contacts.fields[5].name",
        "mapped twice",
    ),
    (
        "resolver with another direction",
        PHONE,
        PHONE.replace("}", ", resolver: 'my.rules:pick'}"),
        "objects.contacts.fields[4]",
        "resolver is only used with direction 'resolver'",
    ),
    (
        "resolver that cannot be imported",
        PHONE,
        "{hubspot: phone, salesforce: Phone, resolver: 'nope.rules:pick'}",
        "objects.contacts.fields[4].resolver",
        "No module named 'nope'",
    ),
    ("share over 100%", "max_update_share: 20%", "max_update_share: 120%", "approval.max_update_share", "1"),
    (
        "bad timezone",
        "transform: date}\n      - {hubspot: hubspot_owner_id",
        "transform: {kind: date, timezone: Mars/Olympus}}\n      - {hubspot: hubspot_owner_id",
        "objects.deals.fields[2].transform",
        "unknown timezone 'Mars/Olympus'",
    ),
    (
        "pair name unfit for table names",
        "  tasks:\n    hubspot: tasks",
        "  Tasks-2:\n    hubspot: tasks",
        "objects.Tasks-2",
        "lower_snake_case",
    ),
    (
        "object synced by two pairs",
        "    hubspot: tasks\n",
        "    hubspot: deals\n",
        "objects.tasks.hubspot",
        "already synced by pair 'deals'",
    ),
    (
        "duplicate YAML key",
        "  task_status:\n",
        "  task_status:\n    unmapped: report\n    unmapped: report\n",
        "value_maps.task_status.unmapped",
        "key given twice",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "entry", "words"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN]
)
def test_a_bad_entry_is_named_in_the_error(default_text, old, new, entry, words):
    assert old in default_text
    with pytest.raises(MappingError) as caught:
        parse_mapping(default_text.replace(old, new, 1), source="crmsync.yaml")
    assert [p.entry for p in caught.value.problems] == [entry]
    assert words in caught.value.problems[0].message
    assert str(caught.value).startswith(f"crmsync.yaml:{caught.value.problems[0].line}: {entry}: ")


def test_the_error_points_at_the_line_of_the_entry(default_text):
    text = default_text.replace(PHONE, PHONE.replace("prefer_salesforce", "sideways"), 1)
    with pytest.raises(MappingError) as caught:
        parse_mapping(text)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "sideways" in row)
    assert caught.value.problems[0].line == line


def test_every_problem_in_the_file_is_listed(default_text):
    text = default_text.replace(PHONE, PHONE.replace("prefer_salesforce", "sideways"), 1).replace(
        "{hubspot: dealname, salesforce: Name, direction: two_way",
        "{hubspot: dealname, salesforc: Name, direction: two_way",
    )
    with pytest.raises(MappingError) as caught:
        parse_mapping(text, source="crmsync.yaml")
    assert {p.entry for p in caught.value.problems} == {
        "objects.contacts.fields[4].direction",
        "objects.deals.fields[0]",
    }
    assert str(caught.value).startswith("crmsync.yaml: 2 problems:")


def test_yaml_syntax_errors_give_the_line(tmp_path):
    path = tmp_path / "crmsync.yaml"
    path.write_text("version: 1\nobjects:\n  companies:\n    hubspot: [companies\n    salesforce: Account\n")
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    assert str(caught.value).startswith(f"{path}:")
    assert "YAML syntax error" in str(caught.value)
    assert caught.value.problems[0].line in (4, 5)


def test_a_missing_file_and_an_empty_file_are_explained(tmp_path):
    with pytest.raises(MappingError, match="cannot read the mapping file"):
        load_mapping(tmp_path / "nope.yaml")
    (tmp_path / "empty.yaml").write_text("")
    with pytest.raises(MappingError, match="should be a YAML mapping"):
        load_mapping(tmp_path / "empty.yaml")


def test_a_file_without_objects_is_refused():
    with pytest.raises(MappingError) as caught:
        parse_mapping("version: 1\n")
    assert caught.value.problems[0].entry == "objects"


def test_salesforce_assignment_rules_is_off_unless_the_file_turns_it_on(default_text):
    assert parse_mapping(default_text).salesforce.assignment_rules is False
    on = parse_mapping(default_text + "\nsalesforce:\n  assignment_rules: true\n")
    assert on.salesforce.assignment_rules is True
    with pytest.raises(MappingError) as caught:
        parse_mapping(default_text + "\nsalesforce:\n  assignment_rule: true\n", source="crmsync.yaml")
    assert "assignment_rule" in str(caught.value)
