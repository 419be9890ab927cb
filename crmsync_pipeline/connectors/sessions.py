"""Salesforce sessions shared by every connector of a process, renewed with a cap.

Each asset builds its own connectors; without sharing, each would ask the token endpoint for a session
of its own. The pool keeps one session per login URL + client id (+ secret), in memory only (never in
the state file, logs or Dagster metadata). A refused session is renewed once by whichever thread meets the refusal
first; the others adopt the new one. Renewals are capped, so a connected app whose fresh sessions are
refused fails the run with a clear INVALID_SESSION_ID instead of looping: simple-salesforce alone either
gives up at once (`session_id=`) or recurses without end (SFType methods after a login flow)."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from .errors import CrmError

# A fresh session refused within this long of being issued is renewed again only once it has passed:
# Salesforce may take a moment to honour a session on every server of the instance.
REAUTH_BACKOFF_S = 2.0
MAX_RENEWALS_PER_CALL = 2  # renew, retry; renew again (after the backoff), retry; then give up
# Renewals in one run whose session then served no call: past this the run stops renewing.
MAX_FUTILE_RENEWALS_PER_RUN = 5
# Renewals in one run at all, working or not: a long run outlives sessions (an org's timeout may be 15
# minutes), so this only bounds a session that keeps dying after a call or two.
MAX_RENEWALS_PER_RUN = 100
RUNS_REMEMBERED = 32

WHAT_TO_CHECK = (
    "Check the connected app in Salesforce (client credentials flow enabled, its run-as user active with "
    "the API Enabled permission, IP restrictions) and SALESFORCE_CLIENT_ID / SALESFORCE_CLIENT_SECRET."
)

SessionKey = tuple[str, str, str]  # (login URL, client id, fingerprint of the client secret)


@dataclass(frozen=True, eq=False)
class Session:
    """A Salesforce session: compared by identity, its token kept out of reprs."""

    instance_url: str
    access_token: str = field(repr=False)


def session_key(login_url: str, client_id: str, client_secret: str = "") -> SessionKey:
    """Other credentials for the same client (a rotated secret) never reuse the old ones' session."""
    fingerprint = hashlib.sha256(client_secret.encode()).hexdigest()[:16]
    return (login_url.rstrip("/").lower(), client_id, fingerprint)


class RunRenewals:
    """The renewals one run (or one connector outside a run) may still make."""

    def __init__(
        self, max_futile: int = MAX_FUTILE_RENEWALS_PER_RUN, max_total: int = MAX_RENEWALS_PER_RUN
    ) -> None:
        self.max_futile, self.max_total = max_futile, max_total
        self.futile = 0  # renewals since a call last succeeded
        self.total = 0
        self.gave_up: CrmError | None = None
        self.login_refused: CrmError | None = None  # the token endpoint refused the client credentials
        self.lock = threading.Lock()

    def spend(self) -> None:
        with self.lock:
            if self.gave_up is None and (self.futile >= self.max_futile or self.total >= self.max_total):
                self.gave_up = CrmError(
                    "salesforce",
                    "INVALID_SESSION_ID",
                    f"Salesforce kept refusing new sessions: {self.total} renewal(s) in this run, the last "
                    f"{self.futile} refused before any call went through, so crmsync stopped asking the "
                    f"token endpoint. {WHAT_TO_CHECK}",
                    status=401,
                )
            if self.gave_up is not None:
                raise replace(self.gave_up)
            self.futile += 1
            self.total += 1

    def check(self) -> None:
        """Raise the cap's error once the run has given up: no more calls bound to be refused."""
        if self.gave_up is not None:
            raise replace(self.gave_up)

    def succeeded(self) -> None:
        if self.futile:
            with self.lock:
                self.futile = 0


class SessionPool:
    """One session per (login URL, client id, secret) for the whole process, thread-safe."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        backoff_s: float = REAUTH_BACKOFF_S,
    ) -> None:
        self.clock, self.sleep, self.backoff_s = clock, sleep, backoff_s
        self._sessions: dict[SessionKey, Session] = {}
        self._issued_at: dict[SessionKey, float] = {}
        self._refused: set[SessionKey] = set()  # keys whose last session was refused and dropped
        self._locks: dict[SessionKey, threading.Lock] = {}
        self._runs: OrderedDict[str, RunRenewals] = OrderedDict()
        self._lock = threading.Lock()

    def renewals(self, run_id: str | None) -> RunRenewals:
        """The renewal allowance of a Dagster run, shared by its assets; outside a run, a new one."""
        if run_id is None:
            return RunRenewals()
        with self._lock:
            if run_id not in self._runs:
                self._runs[run_id] = RunRenewals()
                while len(self._runs) > RUNS_REMEMBERED:
                    self._runs.popitem(last=False)
            self._runs.move_to_end(run_id)
            return self._runs[run_id]

    def cached(self, key: SessionKey) -> Session | None:
        return self._sessions.get(key)

    def session(self, key: SessionKey, login: Callable[[], Session], renewals: RunRenewals) -> Session:
        """The process's session for `key`, logging in when there is none."""
        with self._key_lock(key):
            current = self._sessions.get(key)
            if current is not None:
                return current
            if key in self._refused:  # the last one was refused: this login is a renewal
                renewals.spend()
            return self._login(key, login, renewals)

    def renew(
        self, key: SessionKey, stale: Session | None, login: Callable[[], Session], renewals: RunRenewals
    ) -> Session:
        """A session other than `stale` (which Salesforce refused): another thread's newer one, or a new
        login, counted against the run's renewals."""
        with self._key_lock(key):
            current = self._sessions.get(key)
            if current is not None and current is not stale:
                return current
            self._drop(key)
            renewals.spend()
            return self._login(key, login, renewals)

    def discard(self, key: SessionKey, stale: Session | None) -> None:
        """Forget a refused session, so the next connector does not start on a dead one."""
        with self._key_lock(key):
            if self._sessions.get(key) is stale:
                self._drop(key)

    def _drop(self, key: SessionKey) -> None:
        if self._sessions.pop(key, None) is not None:
            self._refused.add(key)

    def _login(self, key: SessionKey, login: Callable[[], Session], renewals: RunRenewals) -> Session:
        if renewals.login_refused is not None:
            raise replace(renewals.login_refused)
        if key in self._issued_at and (wait := self._issued_at[key] + self.backoff_s - self.clock()) > 0:
            self.sleep(wait)
        try:
            fresh = login()
        except CrmError as err:
            if err.status in (400, 401, 403):  # the credentials themselves: asking again cannot help
                renewals.login_refused = err
            raise
        finally:
            self._issued_at[key] = self.clock()
        self._sessions[key] = fresh
        self._refused.discard(key)
        return fresh

    def _key_lock(self, key: SessionKey) -> threading.Lock:
        with self._lock:
            return self._locks.setdefault(key, threading.Lock())


SHARED_SESSIONS = SessionPool()
