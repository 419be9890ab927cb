"""How a Salesforce connector gets and renews its session: OAuth 2.0 client credentials against
SALESFORCE_LOGIN_URL (a My Domain URL), through the process's shared session pool (sessions.py).

Done here rather than by simple-salesforce, whose login always targets https://<domain>.salesforce.com
and whose own renewal has no cap."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from .calls import CrmCaller
from .errors import CrmError
from .sessions import WHAT_TO_CHECK, RunRenewals, Session, SessionKey, SessionPool, session_key
from .settings import SalesforceSettings

TOKEN_ROUTE = "oauth.token"


def can_log_in(settings: SalesforceSettings) -> bool:
    return bool(settings.client_id and settings.client_secret and settings.login_url)


def settings_key(settings: SalesforceSettings) -> SessionKey:
    assert settings.client_id and settings.client_secret and settings.login_url
    return session_key(settings.login_url, settings.client_id, settings.client_secret.get_secret_value())


def client_credentials_login(settings: SalesforceSettings, call: CrmCaller) -> Session:
    """One token request (counted as route `oauth.token`; retried only on 5xx and dropped connections).
    A refusal keeps the endpoint's code (invalid_client, invalid_grant ...) and fails at once."""
    assert settings.client_id and settings.client_secret and settings.login_url
    secret = settings.client_secret.get_secret_value()
    url = settings.login_url.rstrip("/") + "/services/oauth2/token"
    form = {"grant_type": "client_credentials", "client_id": settings.client_id, "client_secret": secret}

    def post() -> dict[str, Any]:
        answer = requests.post(url, data=form, timeout=60)
        body = _json_or_none(answer)
        if answer.status_code == 200 and isinstance(body, dict) and "access_token" in body:
            return body
        body = body if isinstance(body, dict) else {}
        said = str(body.get("error_description") or answer.text[:200]).replace(secret, "***")
        refused = answer.status_code in (400, 401, 403)
        raise CrmError(
            "salesforce",
            str(body.get("error") or f"HTTP_{answer.status_code}"),
            f"{said}: the token endpoint at {settings.login_url} refused the client credentials. "
            f"{WHAT_TO_CHECK}"
            if refused
            else said,
            # a refused token request is final (400), never a session to renew (401)
            status=400 if answer.status_code == 401 else answer.status_code,
        )

    token = call(TOKEN_ROUTE, post)
    instance = token.get("instance_url") or settings.instance_url or settings.login_url
    return Session(instance, token["access_token"])


class SessionLease:
    """A connector's hold on the shared session: what CrmCaller asks for before each call and after a
    401. `adopt` hears every session the connector should switch to."""

    def __init__(
        self,
        key: SessionKey,
        login: Callable[[], Session],
        pool: SessionPool,
        renewals: RunRenewals,
        adopt: Callable[[Session], None],
    ) -> None:
        self.key, self._login = key, login
        self.pool, self.renewals, self.adopt = pool, renewals, adopt
        self.session: Session | None = None

    def start(self, static: Session | None) -> None:
        """The shared session; else the static token from the environment; else a login."""
        cached = self.pool.cached(self.key)
        self._use(cached or static or self.pool.session(self.key, self._login, self.renewals))

    def current(self) -> Session | None:
        """The session for the next call: a renewal another connector made replaces this one's old session
        before it is refused again."""
        self.renewals.check()
        if (latest := self.pool.cached(self.key)) is not None:
            self._use(latest)
        return self.session

    def renew(self, stale: object) -> None:
        self._use(self.pool.renew(self.key, stale, self._login, self.renewals))  # type: ignore[arg-type]

    def discard(self, stale: object) -> None:
        self.pool.discard(self.key, stale)  # type: ignore[arg-type]

    def succeeded(self) -> None:
        self.renewals.succeeded()

    def _use(self, session: Session) -> None:
        if session is not self.session:
            self.session = session
            self.adopt(session)


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
