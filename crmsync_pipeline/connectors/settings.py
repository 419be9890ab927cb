"""Connection settings, from the environment only (secrets never come from files or arguments).

With no CRM setting at all, crmsync talks to the sandbox CRMs on 127.0.0.1. With only one side
configured it refuses to run, so sandbox data can never reach a real CRM and a real CRM is never
synced against sandbox data.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, SecretStr

HUBSPOT_VARIABLES = ("HUBSPOT_ACCESS_TOKEN", "HUBSPOT_BASE_URL")
SALESFORCE_VARIABLES = (
    "SALESFORCE_INSTANCE_URL",
    "SALESFORCE_ACCESS_TOKEN",
    "SALESFORCE_CLIENT_ID",
    "SALESFORCE_CLIENT_SECRET",
    "SALESFORCE_LOGIN_URL",
)
SANDBOX_TOKEN = "sandbox-token"
SANDBOX_HUBSPOT_URL = "http://127.0.0.1:8765"
SANDBOX_SALESFORCE_URL = "http://127.0.0.1:8766"
PUBLIC_HUBSPOT_URL = "https://api.hubapi.com"


class SettingsError(RuntimeError):
    """The environment does not describe a usable pair of CRMs; the message says what to set."""


class HubSpotSettings(BaseModel):
    base_url: str
    access_token: SecretStr


class SalesforceSettings(BaseModel):
    instance_url: str | None
    access_token: SecretStr | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    login_url: str | None = None
    # the mapping's `salesforce.assignment_rules` (set by the resource, not from the environment)
    assignment_rules: bool = False


class ConnectionSettings(BaseModel):
    hubspot: HubSpotSettings
    salesforce: SalesforceSettings
    is_sandbox: bool

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ConnectionSettings:
        env = os.environ if env is None else env
        hubspot_set = [v for v in HUBSPOT_VARIABLES if env.get(v)]
        salesforce_set = [v for v in SALESFORCE_VARIABLES if env.get(v)]
        if not hubspot_set and not salesforce_set:
            return cls(
                hubspot=HubSpotSettings(
                    base_url=env.get("CRMSYNC_SANDBOX_HUBSPOT_URL", SANDBOX_HUBSPOT_URL),
                    access_token=SecretStr(SANDBOX_TOKEN),
                ),
                salesforce=SalesforceSettings(
                    instance_url=env.get("CRMSYNC_SANDBOX_SALESFORCE_URL", SANDBOX_SALESFORCE_URL),
                    access_token=SecretStr(SANDBOX_TOKEN),
                ),
                is_sandbox=True,
            )
        missing = _missing_hubspot(env) + _missing_salesforce(env)
        if missing:
            configured = ", ".join(hubspot_set + salesforce_set)
            raise SettingsError(
                f"only part of the CRM connection is configured ({configured}); missing: "
                f"{'; '.join(missing)}. Set them, or unset every HUBSPOT_* and SALESFORCE_* variable to use "
                "the sandbox CRMs: crmsync never mixes a real CRM with a sandbox, so sandbox data can never "
                "reach a real CRM."
            )
        return cls(
            hubspot=HubSpotSettings(
                base_url=env.get("HUBSPOT_BASE_URL", PUBLIC_HUBSPOT_URL),
                access_token=SecretStr(env["HUBSPOT_ACCESS_TOKEN"]),
            ),
            salesforce=SalesforceSettings(
                instance_url=env.get("SALESFORCE_INSTANCE_URL"),
                access_token=SecretStr(env["SALESFORCE_ACCESS_TOKEN"])
                if env.get("SALESFORCE_ACCESS_TOKEN")
                else None,
                client_id=env.get("SALESFORCE_CLIENT_ID"),
                client_secret=SecretStr(env["SALESFORCE_CLIENT_SECRET"])
                if env.get("SALESFORCE_CLIENT_SECRET")
                else None,
                login_url=env.get("SALESFORCE_LOGIN_URL"),
            ),
            is_sandbox=False,
        )


def _missing_hubspot(env: Mapping[str, str]) -> list[str]:
    return [] if env.get("HUBSPOT_ACCESS_TOKEN") else ["HUBSPOT_ACCESS_TOKEN"]


def _missing_salesforce(env: Mapping[str, str]) -> list[str]:
    """Salesforce needs a session token with its instance, or OAuth client credentials."""
    token = ("SALESFORCE_INSTANCE_URL", "SALESFORCE_ACCESS_TOKEN")
    oauth = ("SALESFORCE_CLIENT_ID", "SALESFORCE_CLIENT_SECRET", "SALESFORCE_LOGIN_URL")
    if all(env.get(v) for v in token) or all(env.get(v) for v in oauth):
        return []
    if any(env.get(v) for v in oauth):
        return [v for v in oauth if not env.get(v)]
    if env.get("SALESFORCE_ACCESS_TOKEN"):  # an instance URL alone may belong to the OAuth route
        return ["SALESFORCE_INSTANCE_URL"]
    if env.get("SALESFORCE_INSTANCE_URL"):
        return [
            "SALESFORCE_ACCESS_TOKEN (or SALESFORCE_CLIENT_ID, SALESFORCE_CLIENT_SECRET, SALESFORCE_LOGIN_URL)"
        ]
    return [
        "SALESFORCE_INSTANCE_URL and SALESFORCE_ACCESS_TOKEN (or SALESFORCE_CLIENT_ID, "
        "SALESFORCE_CLIENT_SECRET and SALESFORCE_LOGIN_URL)"
    ]
