"""Which CRMs crmsync talks to, from the environment alone."""

from __future__ import annotations

import pytest

from crmsync_pipeline.connectors.settings import ConnectionSettings, SettingsError

REAL = {
    "HUBSPOT_ACCESS_TOKEN": "pat-na1-secret-hubspot",
    "SALESFORCE_INSTANCE_URL": "https://acme.my.salesforce.com",
    "SALESFORCE_ACCESS_TOKEN": "00D!secret-salesforce",
}


def test_no_crm_setting_means_the_sandbox_on_its_default_ports():
    settings = ConnectionSettings.from_env({})
    assert settings.is_sandbox
    assert settings.hubspot.base_url == "http://127.0.0.1:8765"
    assert settings.salesforce.instance_url == "http://127.0.0.1:8766"
    assert settings.hubspot.access_token.get_secret_value() == "sandbox-token"
    assert settings.salesforce.access_token.get_secret_value() == "sandbox-token"


def test_sandbox_urls_can_be_moved():
    settings = ConnectionSettings.from_env(
        {
            "CRMSYNC_SANDBOX_HUBSPOT_URL": "http://127.0.0.1:9001",
            "CRMSYNC_SANDBOX_SALESFORCE_URL": "http://127.0.0.1:9002",
        }
    )
    assert settings.is_sandbox
    assert (settings.hubspot.base_url, settings.salesforce.instance_url) == (
        "http://127.0.0.1:9001",
        "http://127.0.0.1:9002",
    )


def test_both_real_crms_with_tokens():
    settings = ConnectionSettings.from_env(REAL)
    assert not settings.is_sandbox
    assert settings.hubspot.base_url == "https://api.hubapi.com"
    assert settings.salesforce.instance_url == "https://acme.my.salesforce.com"


def test_salesforce_by_oauth_client_credentials_needs_no_instance_url():
    env = {
        "HUBSPOT_ACCESS_TOKEN": "pat",
        "SALESFORCE_CLIENT_ID": "3MVG9",
        "SALESFORCE_CLIENT_SECRET": "shh",
        "SALESFORCE_LOGIN_URL": "https://acme.my.salesforce.com",
    }
    settings = ConnectionSettings.from_env(env)
    assert not settings.is_sandbox
    assert settings.salesforce.client_id == "3MVG9"
    assert settings.salesforce.access_token is None


def test_secrets_never_show_in_repr_or_str():
    settings = ConnectionSettings.from_env({**REAL, "SALESFORCE_CLIENT_SECRET": "client-shh"})
    for text in (repr(settings), str(settings), settings.model_dump_json()):
        assert "secret-hubspot" not in text
        assert "secret-salesforce" not in text
        assert "client-shh" not in text


@pytest.mark.parametrize(
    ("env", "missing", "not_named"),
    [
        ({"HUBSPOT_ACCESS_TOKEN": "pat"}, ["SALESFORCE_INSTANCE_URL", "SALESFORCE_ACCESS_TOKEN"], []),
        (
            {"SALESFORCE_INSTANCE_URL": "https://a.my.salesforce.com", "SALESFORCE_ACCESS_TOKEN": "t"},
            ["HUBSPOT_ACCESS_TOKEN"],
            ["SALESFORCE_INSTANCE_URL"],
        ),
        (
            {"HUBSPOT_ACCESS_TOKEN": "pat", "SALESFORCE_CLIENT_ID": "id"},
            ["SALESFORCE_CLIENT_SECRET", "SALESFORCE_LOGIN_URL"],
            ["SALESFORCE_CLIENT_ID", "SALESFORCE_ACCESS_TOKEN"],
        ),
        (
            {"HUBSPOT_BASE_URL": "https://api.hubapi.com"},
            ["HUBSPOT_ACCESS_TOKEN", "SALESFORCE_ACCESS_TOKEN"],
            [],
        ),
    ],
)
def test_one_side_alone_is_refused_naming_what_is_missing(env, missing, not_named):
    with pytest.raises(SettingsError) as refused:
        ConnectionSettings.from_env(env)
    message = str(refused.value)
    missing_part = message.split("missing:")[1].split(". Set them")[0]
    for name in missing:
        assert name in missing_part
    for name in not_named:
        assert name not in missing_part
    assert "sandbox data can never reach a real CRM" in message
