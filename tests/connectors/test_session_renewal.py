"""Session renewal rules of the caller and the shared session pool, on a fake clock and a fake org whose
API accepts only the sessions it chooses (the over-HTTP behaviour is in tests/integration/
test_session_renewal.py)."""

from __future__ import annotations

import random
import threading

import pytest
from hubspot.crm.contacts.exceptions import ApiException
from simple_salesforce.exceptions import SalesforceExpiredSession

from crmsync_pipeline.connectors.calls import CallMeter, CrmCaller
from crmsync_pipeline.connectors.errors import CrmError
from crmsync_pipeline.connectors.salesforce_auth import SessionLease
from crmsync_pipeline.connectors.sessions import (
    MAX_FUTILE_RENEWALS_PER_RUN,
    REAUTH_BACKOFF_S,
    RunRenewals,
    Session,
    SessionPool,
    session_key,
)

KEY = session_key("https://acme.my.salesforce.com", "client-id", "client-secret")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class FakeOrg:
    """Issues sessions; its API accepts the sessions in `valid`. `refuse_new` makes it issue sessions the
    API then refuses (a connected app whose run-as user lacks API access)."""

    def __init__(self) -> None:
        self.logins = 0
        self.api_requests = 0
        self.valid: set[str] = set()
        self.refuse_new = False
        self.token_refusal: CrmError | None = None
        self.lock = threading.Lock()

    def login(self) -> Session:
        with self.lock:
            self.logins += 1
            if self.token_refusal is not None:
                raise self.token_refusal
            session = Session("https://acme.my.salesforce.com", f"session-{self.logins}")
            if not self.refuse_new:
                self.valid.add(session.access_token)
            return session

    def expire_all(self) -> None:
        self.valid.clear()


class FakeConnector:
    """A connector's two halves as SalesforceConnector wires them: a caller and a lease on the pool."""

    def __init__(self, org: FakeOrg, pool: SessionPool, renewals: RunRenewals) -> None:
        self.org, self.session = org, None
        self.call = CrmCaller("salesforce", CallMeter(), sleep=pool.sleep, rng=random.Random(1))
        self.lease = SessionLease(KEY, org.login, pool, renewals, self._adopt)
        self.call.session = self.lease
        self.lease.start(None)
        self.api_requests = 0

    def _adopt(self, session: Session) -> None:
        self.session = session

    def query(self) -> str:
        def request() -> str:
            self.api_requests += 1
            self.org.api_requests += 1
            if self.session.access_token not in self.org.valid:
                raise SalesforceExpiredSession(
                    "https://acme/services/data/v59.0/query/",
                    401,
                    "query",
                    [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
                )
            return "rows"

        return self.call("query", request)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def pool(clock) -> SessionPool:
    return SessionPool(clock=clock, sleep=clock.sleep)


def test_connectors_of_a_process_share_one_session(pool):
    org, run = FakeOrg(), RunRenewals()
    connectors = [FakeConnector(org, pool, run) for _ in range(6)]
    assert [c.query() for c in connectors] == ["rows"] * 6
    assert org.logins == 1


def test_an_expired_session_is_renewed_once_and_the_next_connector_starts_on_the_new_one(pool, clock):
    org, run = FakeOrg(), RunRenewals()
    first = FakeConnector(org, pool, run)
    clock.now += 3600  # the session lived its life
    org.expire_all()
    assert first.query() == "rows"
    assert org.logins == 2 and clock.slept == []  # an old session's refusal is renewed at once
    second = FakeConnector(org, pool, run)
    assert second.query() == "rows" and second.api_requests == 1 and org.logins == 2


def test_a_long_run_may_renew_sessions_that_expire_after_working(pool, clock):
    org, run = FakeOrg(), RunRenewals()
    connector = FakeConnector(org, pool, run)
    for _ in range(3 * MAX_FUTILE_RENEWALS_PER_RUN):
        clock.now += 900
        org.expire_all()
        assert connector.query() == "rows"
    assert org.logins == 1 + 3 * MAX_FUTILE_RENEWALS_PER_RUN


def test_a_fresh_session_refused_again_is_renewed_once_more_after_a_backoff_then_the_call_fails(pool, clock):
    org, run = FakeOrg(), RunRenewals()
    connector = FakeConnector(org, pool, run)
    clock.now += 3600
    org.expire_all()
    org.refuse_new = True
    with pytest.raises(CrmError) as refused:
        connector.query()
    err = refused.value
    assert (err.crm, err.code, err.status) == ("salesforce", "INVALID_SESSION_ID", 401)
    assert "connected app" in err.message and "SALESFORCE_CLIENT_SECRET" in err.message
    assert org.logins == 1 + 2 and connector.api_requests == 3
    assert clock.slept == [pytest.approx(REAUTH_BACKOFF_S)]  # only the second renewal waited
    assert "session-" not in str(err)  # no token in the message
    assert pool.cached(KEY) is None  # the refused session is not handed to the next connector


def test_a_run_stops_renewing_after_its_cap_and_later_calls_fail_without_a_request(pool, clock):
    org, run = FakeOrg(), RunRenewals()
    org.refuse_new = True
    failures = []
    for _ in range(6):  # every asset of the run builds its own connector
        try:
            FakeConnector(org, pool, run).query()
        except CrmError as err:
            failures.append(err)
    assert len(failures) == 6 and all(f.code == "INVALID_SESSION_ID" for f in failures)
    assert org.logins == 1 + MAX_FUTILE_RENEWALS_PER_RUN  # the first login, then the capped renewals
    assert "stopped asking the token endpoint" in failures[-1].message
    assert org.api_requests == 6  # two connectors, three refused requests each; the others none
    with pytest.raises(CrmError) as later:  # a later asset: neither a login nor an API request
        FakeConnector(org, pool, run)
    assert later.value.code == "INVALID_SESSION_ID" and org.logins == 1 + MAX_FUTILE_RENEWALS_PER_RUN
    # the next run (the connected app fixed meanwhile) starts with a fresh allowance
    org.refuse_new = False
    assert FakeConnector(org, pool, RunRenewals()).query() == "rows"


def test_a_refusing_token_endpoint_fails_at_once_and_is_not_asked_again_in_the_run(pool, clock):
    org, run = FakeOrg(), RunRenewals()
    connector = FakeConnector(org, pool, run)
    clock.now += 3600
    org.expire_all()
    org.token_refusal = CrmError("salesforce", "invalid_client", "invalid client credentials", status=400)
    with pytest.raises(CrmError) as refused:
        connector.query()
    assert refused.value.code == "invalid_client" and org.logins == 2 and clock.slept == []
    with pytest.raises(CrmError) as again:
        FakeConnector(org, pool, run)
    assert again.value.code == "invalid_client" and org.logins == 2


def test_threads_meeting_the_same_expiry_renew_it_once(pool, clock):
    org, run = FakeOrg(), RunRenewals()
    connector = FakeConnector(org, pool, run)
    clock.now += 3600
    org.expire_all()
    barrier = threading.Barrier(8)
    answers: list[str] = []

    def worker() -> None:
        barrier.wait()
        answers.append(connector.query())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == ["rows"] * 8 and org.logins == 2


def _hubspot_401() -> ApiException:
    exc = ApiException(status=401, reason="Unauthorized")
    exc.body = (
        '{"status":"error","message":"Authentication credentials not found.",'
        '"category":"INVALID_AUTHENTICATION"}'
    )
    return exc


def test_a_refused_hubspot_token_fails_fast_and_no_later_call_is_made():
    meter, slept = CallMeter(), []
    caller = CrmCaller("hubspot", meter, sleep=slept.append, rng=random.Random(1))
    made = []

    def refused() -> None:
        made.append(1)
        raise _hubspot_401()

    with pytest.raises(CrmError) as first:
        caller("contacts.batch.read", refused)
    err = first.value
    assert (err.code, err.status) == ("INVALID_AUTHENTICATION", 401)
    assert "HUBSPOT_ACCESS_TOKEN" in err.message and "Authentication credentials not found" in err.message
    for _ in range(5):  # the other batches of the step, or the other threads
        with pytest.raises(CrmError):
            caller("contacts.batch.read", refused)
    assert made == [1] and meter.total() == 1 and slept == []


def test_a_static_salesforce_token_refused_says_how_to_fix_it():
    caller = CrmCaller("salesforce", CallMeter(), sleep=lambda s: None)

    def expired() -> None:
        raise SalesforceExpiredSession(
            "https://x/services/data/v59.0/query/",
            401,
            "query",
            [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
        )

    with pytest.raises(CrmError) as refused:
        caller("query", expired)
    assert refused.value.code == "INVALID_SESSION_ID"
    assert "SALESFORCE_CLIENT_ID" in refused.value.message
