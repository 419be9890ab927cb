"""Salesforce through `simple-salesforce`: the connector the pipeline holds, made of its reads (describe,
SOQL pages: salesforce_reads.py), its writes through sObject Collections (200 records a call:
salesforce_collections.py) and Bulk 2.0 queries and ingest (salesforce_bulk.py), every HTTP request counted
by the CrmCaller.

Every call resolves `self.sf` when it runs, so a retry after a session renewal (salesforce_auth.py,
OAuth client credentials, shared by the process) uses the new session. Values reach SOQL only through `format_soql`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simple_salesforce import Salesforce, format_soql

from .calls import CallMeter, CrmCaller
from .clients import SALESFORCE_API_VERSION, salesforce_session
from .errors import CrmError
from .salesforce_auth import SessionLease, can_log_in, client_credentials_login, settings_key
from .salesforce_bulk import SalesforceBulk
from .salesforce_collections import COLLECTION, SalesforceCollections
from .sessions import SHARED_SESSIONS, Session, SessionPool
from .settings import SalesforceSettings

__all__ = ["COLLECTION", "SalesforceConnector", "soql_in"]


class SalesforceConnector(SalesforceBulk, SalesforceCollections):
    """Every Salesforce call the pipeline makes. Route names (`query`, `Contact.collection.upsert`,
    `bulk2.ingest.create` ...) are what the CallMeter counts."""

    crm = "salesforce"

    def __init__(
        self,
        settings: SalesforceSettings,
        meter: CallMeter,
        describe_cache: Callable[[str, Callable[[], dict[str, Any]]], dict[str, Any]] | None = None,
        bulk_poll_s: float = 1.0,
        sessions: SessionPool | None = None,
        run_id: str | None = None,
        **caller_options: Any,
    ):
        """`describe_cache(sobject, fetch)` may answer describes from a cache instead of calling fetch.
        With client credentials the session comes from `sessions` (default: the process's shared pool);
        connectors of one Dagster run (`run_id`) share one cap on session renewals."""
        self.settings = settings
        self.describe_cache = describe_cache
        self.bulk_poll_s = bulk_poll_s
        self.call = CrmCaller("salesforce", meter, **caller_options)
        self.call.limit_info = self.api_usage  # Sforce-Limit-Info feeds pacing and the budget
        self._describes: dict[str, dict[str, Any]] = {}
        self._assignment_rules: dict[str, str | None] = {}  # sObject -> its active rule's id (Bulk jobs)
        static = (
            Session(settings.instance_url, settings.access_token.get_secret_value())
            if settings.access_token is not None and settings.instance_url
            else None
        )
        if can_log_in(settings):
            token_call = CrmCaller("salesforce", meter, **caller_options)
            pool = sessions or SHARED_SESSIONS
            lease = SessionLease(
                settings_key(settings),
                lambda: client_credentials_login(settings, token_call),
                pool,
                pool.renewals(run_id),
                self._adopt,
            )
            self.call.session = lease
            lease.start(static)
        elif static is not None:
            self._adopt(static)
        else:
            raise CrmError(
                "salesforce",
                "INVALID_SESSION_ID",
                "no Salesforce session: set SALESFORCE_INSTANCE_URL and SALESFORCE_ACCESS_TOKEN, or "
                "SALESFORCE_CLIENT_ID, SALESFORCE_CLIENT_SECRET and SALESFORCE_LOGIN_URL",
            )

    def _adopt(self, session: Session) -> None:
        self.sf = Salesforce(
            instance_url=session.instance_url,
            session_id=session.access_token,
            version=SALESFORCE_API_VERSION,
            session=salesforce_session(session.instance_url, assignment_rules=self.settings.assignment_rules),
        )

    # custom fields through the Tooling API ----------------------------------------------------
    def create_custom_field(self, full_name: str, metadata: dict[str, Any]) -> dict[str, Any]:
        """A custom field through the Tooling API, e.g. `Contact.CrmSync_HubSpot_Id__c`."""
        return self.call(
            "tooling.CustomField.create",
            lambda: self.sf.toolingexecute(
                "sobjects/CustomField", method="POST", data={"FullName": full_name, "Metadata": metadata}
            ),
        )


def soql_in(field: str, values: list[str]) -> str:
    """A `field IN (...)` clause with every value quoted by simple-salesforce (no injection)."""
    return format_soql(f"{field} IN {{}}", values)
