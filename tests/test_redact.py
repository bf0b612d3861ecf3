"""``costctl.redact``: credential parts of URLs and connection strings, remembered secret values."""

from __future__ import annotations

import pytest

from costctl import redact


@pytest.fixture(autouse=True)
def no_remembered_secrets():
    redact.forget_all()
    yield
    redact.forget_all()


@pytest.mark.parametrize(("given", "shown"), [
    ("http://user:pw0rd@gw:9091/x", "http://user:***@gw:9091/x"),
    ("https://tok3n@host/", "https://***@host/"),
    ("https://acct.blob.core.windows.net/c?sv=2022-11-02&se=2030-01-01&sp=rl&sig=abc%2Fdef",
     "https://acct.blob.core.windows.net/c?sv=***&se=***&sp=***&sig=***"),
    ("https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIA&X-Amz-Signature=ff00&X-Amz-Expires=60",
     "https://b.s3.amazonaws.com/k?X-Amz-Credential=***&X-Amz-Signature=***&X-Amz-Expires=***"),
    ("https://api.example/v1?api-version=2023-03-01&access_token=xyz", "https://api.example/v1?api-version=2023-03-01"
                                                                       "&access_token=***"),
    ("https://management.azure.com/subscriptions/1/q?api-version=2023-03-01",
     "https://management.azure.com/subscriptions/1/q?api-version=2023-03-01"),
])
def test_urls_lose_their_credentials_and_keep_the_rest(given: str, shown: str):
    assert redact.url(given) == shown
    assert redact.text(f"cannot reach {given}: refused") == f"cannot reach {shown}: refused"


def test_connection_strings_and_bearer_tokens_are_masked_in_free_text():
    line = ("bad DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=k3y/+=;EndpointSuffix=core.windows.net "
            "header Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.payload.sig")
    out = redact.text(line)
    assert "k3y" not in out and "eyJhbGci" not in out
    assert "AccountName=acct" in out and "AccountKey=***" in out and "Bearer ***" in out


def test_remembered_secrets_are_masked_anywhere_even_inside_other_words():
    redact.remember(["hunter2-long", "abc", "testing", None])  # too short and non-strings are ignored
    assert redact.text("the SDK said: bad secret 'hunter2-long' for abc") == "the SDK said: bad secret '***' for abc"


def test_config_values_give_up_their_embedded_and_declared_secrets():
    data = {"providers": {"p": {"exports": {"account_url": "https://a.blob/x?sv=1&sig=SIG123", "connection_string":
                                            "AccountName=a;AccountKey=KEY456"}, "endpoint": "http://u:PW789@h"}},
            "webhook": {"client_secret": "CS000"}}
    found = set(redact.secrets_in(data))
    assert {"SIG123", "KEY456", "PW789", "CS000", "AccountName=a;AccountKey=KEY456"} <= found


def test_a_mapping_for_display_masks_declared_and_named_secrets_and_urls():
    shown = redact.mapping({"url": "https://hooks/x", "external_id": "e", "nested": {"password": "p", "n": 3},
                            "endpoint": "http://u:pw@h", "empty_token": None}, ["url"])
    assert shown == {"url": "***", "external_id": "e", "nested": {"password": "***", "n": 3},
                     "endpoint": "http://u:***@h", "empty_token": None}


def test_the_log_formatter_masks_messages_and_arguments():
    import logging

    redact.remember(["sup3rs3cret"])
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token %s for %s", ("sup3rs3cret", "http://a:b@c"),
                               None)
    assert redact.log_formatter("%(message)s").format(record) == "token *** for http://a:***@c"


def test_a_config_error_on_a_secret_setting_never_quotes_the_value():
    from costctl.errors import ConfigError
    from costctl.schema import Field, check

    def refuse(value: str) -> str:
        raise ValueError(f"expected an https URL, got {value!r}")

    fields = {"secret_key": Field("str", secret=True), "url": Field("str", secret=True, validator=refuse)}
    with pytest.raises(ConfigError) as info:
        check({"secret_key": "S3CRET-nul\x00"}, fields, "p")
    assert "S3CRET" not in str(info.value) and "not shown (a secret)" in str(info.value)
    with pytest.raises(ConfigError) as info:
        check({"url": "http://hooks/S3CRET-path"}, fields, "p")
    assert str(info.value) == "p.url: expected an https URL, got '***'"
