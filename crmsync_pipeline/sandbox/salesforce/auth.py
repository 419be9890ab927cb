"""OAuth2 token endpoint (client_credentials, password, refresh_token) and Bearer session checks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..emulator import ApiError

if TYPE_CHECKING:
    from .emulator import SalesforceEmulator

SESSIONS = "_sessions"
SOAP_PREFIX = "/services/Soap/"
OPEN_PATHS = {"/services/oauth2/token", "/services/data", "/services/data/"}


def session_error() -> ApiError:
    return ApiError(401, "INVALID_SESSION_ID", "Session expired or invalid")


def _refuse(error: str, description: str, status: int = 400) -> web.Response:
    return web.json_response({"error": error, "error_description": description}, status=status)


class Auth:
    """Issues sessions and checks them; issued sessions persist in the store."""

    def __init__(self, org: SalesforceEmulator):
        self.org = org
        self.fail_next = 0  # answer the next N API requests 401 (admin switch)

    # ---- token endpoint -------------------------------------------------------------------------
    async def token(self, request: web.Request) -> web.Response:
        form = await request.post()
        s = self.org.settings
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("basic "):
            try:
                client_id, _, client_secret = base64.b64decode(header[6:]).decode().partition(":")
            except ValueError:
                return _refuse("invalid_client", "invalid client credentials")
        grant = form.get("grant_type")
        if grant not in ("client_credentials", "password", "refresh_token"):
            return _refuse("unsupported_grant_type", "grant type not supported")
        if client_id != s.client_id:
            return _refuse("invalid_client_id", "client identifier invalid")
        if grant != "refresh_token" and client_secret != s.client_secret:
            return _refuse("invalid_client", "invalid client credentials")
        if grant == "refresh_token" and client_secret not in (None, s.client_secret):
            return _refuse("invalid_client", "invalid client credentials")
        if grant == "password":
            passwords = {s.password, s.password + s.security_token}
            if form.get("username") != s.username or form.get("password") not in passwords:
                return _refuse("invalid_grant", "authentication failure")
        if grant == "refresh_token" and form.get("refresh_token") != s.refresh_token:
            return _refuse("invalid_grant", "expired access/refresh token")
        return web.json_response(
            self._issue(request, "api" if grant == "client_credentials" else "api refresh_token")
        )

    def _issue(self, request: web.Request, scope: str) -> dict[str, Any]:
        org_id, user_id = self.org.org_id, self.org.api_user_id
        token = f"{org_id[:15]}!{secrets.token_urlsafe(48)}"
        issued_ms = int(time.time() * 1000)
        self.org.store.put(
            SESSIONS, token, {"user": user_id, "expires": time.time() + self.org.settings.session_ttl_seconds}
        )
        identity = f"https://login.salesforce.com/id/{org_id}/{user_id}"
        signature = hmac.new(
            self.org.settings.client_secret.encode(), f"{identity}{issued_ms}".encode(), hashlib.sha256
        )
        return {
            "access_token": token,
            "instance_url": f"http://{request.host}",
            "id": identity,
            "token_type": "Bearer",
            "issued_at": str(issued_ms),
            "signature": base64.b64encode(signature.digest()).decode(),
            "scope": scope,
        }

    # ---- checks ---------------------------------------------------------------------------------
    def needs_session(self, path: str) -> bool:
        # SOAP carries its session in the envelope: the SOAP handler checks it (and answers a fault)
        return path.startswith("/services/") and path not in OPEN_PATHS and not path.startswith(SOAP_PREFIX)

    def check(self, request: web.Request) -> None:
        header = request.headers.get("Authorization", "")
        token = (
            header[7:].strip()
            if header.lower().startswith("bearer ")
            else request.headers.get("X-SFDC-Session", "")
        )
        self.check_token(token)

    def check_token(self, token: str) -> None:
        """A session id as sent in a Bearer header or a SOAP SessionHeader."""
        if self.fail_next > 0:
            self.fail_next -= 1
            raise session_error()
        if not token:
            raise session_error()
        if token == self.org.settings.static_token:
            if self.org.store.meta("static_token_expired"):
                raise session_error()
            return
        session = self.org.store.get(SESSIONS, token)
        if session is None or session["expires"] < time.time():
            raise session_error()

    def expire(self, include_static: bool = False, next_requests: int = 0) -> dict[str, Any]:
        table = self.org.store.table(SESSIONS)
        count = 0
        for token in list(table):
            self.org.store.delete(SESSIONS, token)
            count += 1
        if include_static:
            self.org.store.set_meta("static_token_expired", True)
        self.fail_next = max(0, next_requests)
        return {"expired_sessions": count, "static_expired": include_static, "next_requests": self.fail_next}

    def restore_static(self) -> None:
        self.org.store.set_meta("static_token_expired", False)
