"""The caller's retry rules, on exceptions shaped as the official clients raise them."""

from __future__ import annotations

import random

import pytest
import requests
from hubspot.crm.contacts.exceptions import ApiException
from simple_salesforce.exceptions import SalesforceMalformedRequest

from crmsync_pipeline.connectors.calls import CallMeter, CrmCaller
from crmsync_pipeline.connectors.errors import CrmError


def _caller(crm: str, **kw) -> tuple[CrmCaller, list[float]]:
    slept: list[float] = []
    return CrmCaller(crm, CallMeter(), sleep=slept.append, rng=random.Random(1), **kw), slept


def _hubspot_429() -> ApiException:
    exc = ApiException(status=429, reason="Too Many Requests")
    exc.body = '{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","policyName":"TEN_SECONDLY_ROLLING"}'
    exc.headers = {"Retry-After": "2"}
    return exc


def test_retries_transient_failures_and_counts_every_attempt():
    caller, slept = _caller("hubspot")
    outcomes = [_hubspot_429(), requests.ConnectionError("reset"), "ok"]

    def flaky():
        result = outcomes.pop(0)
        if isinstance(result, Exception):
            raise result
        return result

    assert caller("contacts.batch.upsert", flaky) == "ok"
    assert caller.meter.total("hubspot") == 3
    assert slept[0] >= 2.0  # Retry-After honoured


def test_permanent_salesforce_error_keeps_its_code_and_is_not_retried():
    caller, slept = _caller("salesforce")
    content = [
        {
            "message": "Required fields are missing: [LastName]",
            "errorCode": "REQUIRED_FIELD_MISSING",
            "fields": ["LastName"],
        }
    ]

    def fails():
        raise SalesforceMalformedRequest("https://x/services/data/v59.0/sobjects/Lead/", 400, "Lead", content)

    with pytest.raises(CrmError) as info:
        caller("Lead.create", fails)
    assert (info.value.code, info.value.fields, info.value.status) == (
        "REQUIRED_FIELD_MISSING",
        ["LastName"],
        400,
    )
    assert slept == [] and caller.meter.total() == 1


def test_gives_up_after_its_allowance_of_429s_with_the_last_error():
    caller, slept = _caller("hubspot", max_rate_limited=3)

    def always_limited():
        raise _hubspot_429()

    with pytest.raises(CrmError) as info:
        caller("contacts.search", always_limited)
    assert info.value.code == "RATE_LIMIT" and caller.meter.total() == 3


def test_a_429_burst_leaves_a_later_5xx_every_attempt_it_is_allowed():
    caller, slept = _caller("hubspot", max_attempts=3)
    server_error = ApiException(status=500, reason="Internal Server Error")
    server_error.body = '{"status":"error","message":"internal error","category":"INTERNAL_ERROR"}'
    outcomes = [
        _hubspot_429(),
        _hubspot_429(),
        _hubspot_429(),
        _hubspot_429(),
        server_error,
        server_error,
        "ok",
    ]

    def burst_then_flaky():
        result = outcomes.pop(0)
        if isinstance(result, Exception):
            raise result
        return result

    assert caller("contacts.search", burst_then_flaky) == "ok"
    assert caller.meter.total("hubspot") == 7


def test_gives_up_after_max_attempts_of_server_errors():
    caller, slept = _caller("hubspot", max_attempts=3)
    server_error = ApiException(status=503, reason="Service Unavailable")
    server_error.body = '{"status":"error","message":"unavailable","category":"SERVICE_UNAVAILABLE"}'

    def always_down():
        raise server_error

    with pytest.raises(CrmError) as info:
        caller("contacts.search", always_down)
    assert info.value.status == 503 and len(slept) == 2 and caller.meter.total() == 3


def test_daily_limit_is_not_retried():
    caller, slept = _caller("hubspot")
    exc = _hubspot_429()
    exc.body = '{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT","policyName":"DAILY"}'

    def daily():
        raise exc

    with pytest.raises(CrmError) as info:
        caller("contacts.list", daily)
    assert info.value.code == "DAILY_LIMIT" and slept == []


def test_other_exceptions_pass_through_untouched():
    caller, _ = _caller("hubspot")

    def bug():
        raise KeyError("not a CRM failure")

    with pytest.raises(KeyError):
        caller("x", bug)
