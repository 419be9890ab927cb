"""Official API clients, pointed at a base URL.

Production uses https URLs and these helpers change nothing. A local http:// URL (the sandbox CRMs)
needs one adjustment for simple-salesforce, which always builds https:// URLs from the instance host:
a requests adapter sends those requests over plain http to that one host, without patching the library.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import requests
from hubspot import HubSpot
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce

SALESFORCE_API_VERSION = "59.0"
# REST API "Assignment Rule Header": without it Salesforce runs the org's active Lead (and Case, Account)
# assignment rule on every API create and update
AUTO_ASSIGN_HEADER = "Sforce-Auto-Assign"


def hubspot_client(access_token: str, base_url: str | None = None, **config: object) -> HubSpot:
    """A HubSpot client; `base_url` None means the public API."""
    if base_url:
        base = base_url.rstrip("/")
        # `host` steers every generated API; the generic api_request helper reads `base_url`.
        config = {"host": base, "base_url": base, **config}
    return HubSpot(access_token=access_token, **config)


class _PlainHttpForHost(HTTPAdapter):
    """Sends simple-salesforce's https:// requests for one local host over http://."""

    def send(self, request, **kwargs):  # type: ignore[no-untyped-def]
        parts = urlsplit(request.url)
        request.url = urlunsplit(("http", parts.netloc, parts.path, parts.query, parts.fragment))
        return super().send(request, **kwargs)


def salesforce_session(
    instance_url: str, extra_hosts: tuple[str, ...] = (), *, assignment_rules: bool = False
) -> requests.Session:
    """A requests session for simple-salesforce; plain-http instance URLs get the adapter above. Every
    request through it (REST, collections, composite, Bulk 2.0: simple-salesforce sends them all on this
    session, whose headers requests merges into each) carries `Sforce-Auto-Assign: FALSE` unless
    `assignment_rules` (the mapping's `salesforce.assignment_rules`) lets the org's rules run."""
    session = requests.Session()
    if not assignment_rules:
        session.headers[AUTO_ASSIGN_HEADER] = "FALSE"
    parts = urlsplit(instance_url)
    if parts.scheme == "http":
        adapter = _PlainHttpForHost()
        session.mount(f"https://{parts.netloc}", adapter)
        for host in extra_hosts:
            session.mount(f"https://{host}", adapter)
    return session


def salesforce_client(
    instance_url: str,
    access_token: str,
    version: str = SALESFORCE_API_VERSION,
    session: requests.Session | None = None,
) -> Salesforce:
    """A simple-salesforce client on an existing session token (instance URL + bearer)."""
    return Salesforce(
        instance_url=instance_url,
        session_id=access_token,
        version=version,
        session=session or salesforce_session(instance_url),
    )
