"""The org-administration calls `crmsync setup` and `crmsync check` make to Salesforce (SOQL on setup
objects, Tooling queries, permission-set rows, the integration user's id), each counted through the
connector's caller like any other Salesforce call."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from crmsync_pipeline.connectors.change_probe import salesforce_integration_user
from crmsync_pipeline.connectors.salesforce import SalesforceConnector


class OrgCalls:
    """Thin, counted wrappers over simple-salesforce for the setup objects."""

    def __init__(self, salesforce: SalesforceConnector):
        self.salesforce = salesforce
        self._user_id: str | None = None

    def query(self, soql: str) -> list[dict[str, Any]]:
        return [r for page in self.salesforce.query_pages(soql) for r in page]

    def tooling_query(self, soql: str) -> list[dict[str, Any]]:
        answer = self.salesforce.call(
            "tooling.query", lambda: self.salesforce.sf.toolingexecute(f"query/?q={quote(soql)}")
        )
        return list(answer.get("records") or [])

    def create(self, sobject: str, values: dict[str, Any]) -> str:
        answer = self.salesforce.call(
            f"{sobject}.create", lambda: getattr(self.salesforce.sf, sobject).create(values)
        )
        return str(answer["id"])

    def update(self, sobject: str, record_id: str, values: dict[str, Any]) -> None:
        self.salesforce.call(
            f"{sobject}.update", lambda: getattr(self.salesforce.sf, sobject).update(record_id, values)
        )

    def user_id(self) -> str:
        if self._user_id is None:
            self._user_id = salesforce_integration_user(self.salesforce)
        return self._user_id


def soql_quote(value: str) -> str:
    """A SOQL string literal (names here come from the mapping file, which allows quotes nowhere)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
