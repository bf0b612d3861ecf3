"""The azure provider's Query API mode, through the real CostManagementClient against a local fake.

The fake (tests/fake_costmanagement.py) answers in the documented wire format with shuffled column
order and ``nextLink`` pages, serves a managed-identity token endpoint, and plays scripted 429 /
401 / 403 / malformed answers. Expected totals are summed independently from the fake's rows.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fake_costmanagement import APP_ID, IDENTITY_HEADER, TENANT_ID, Canned, FakeCostManagement, usage_row

from costctl.clouds.azure.provider import AzureProvider, clean_scope
from costctl.clouds.azure.query import retry_after_seconds, usage_date
from costctl.errors import ConfigError, ProviderError

SUB = "6b3e4a2c-0000-4000-8000-000000000001"
ROWS = [
    usage_row("2024-03-01", 1.25, ServiceName="Storage", SubscriptionId=SUB, SubscriptionName="prod",
              ResourceLocation="West Europe", ChargeType="Usage", tags={"env": "prod"}),
    usage_row("2024-03-01", 3.5, ServiceName="Virtual Machines", SubscriptionId=SUB, SubscriptionName="prod",
              ResourceLocation="westeurope", ChargeType="Usage", tags={"env": "dev"}),
    usage_row("2024-03-02", 0.0, 2.0, ServiceName="Virtual Machines", SubscriptionId=SUB, SubscriptionName="prod",
              ResourceLocation="westeurope", ChargeType="Usage"),  # covered by a reservation
    usage_row("2024-03-02", 60.0, 0.0, ServiceName="Reservations", SubscriptionId=SUB, SubscriptionName="prod",
              ResourceLocation="", ChargeType="Purchase"),
    usage_row("2024-03-03", 7.75, ServiceName="Storage", SubscriptionId=SUB, SubscriptionName="prod",
              ResourceLocation="West Europe", ChargeType="Usage", tags={"env": "prod"}),
    usage_row("2024-03-04", 100.0, ServiceName="Storage", SubscriptionId=SUB, SubscriptionName="prod",
              ResourceLocation="West Europe", ChargeType="Usage"),  # outside the asked range
]
START, END = date(2024, 3, 1), date(2024, 3, 4)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCostManagement]:
    server = FakeCostManagement(ROWS, page_size=2).start()
    # The App Service managed-identity protocol: azure-identity GETs a token from IDENTITY_ENDPOINT.
    monkeypatch.setenv("IDENTITY_ENDPOINT", server.token_url)
    monkeypatch.setenv("IDENTITY_HEADER", IDENTITY_HEADER)
    yield server
    server.stop()


def provider(fake: FakeCostManagement, **extra: Any) -> AzureProvider:
    settings = {"scope": f"subscriptions/{SUB}", "credential": "managed_identity", "endpoint": fake.url,
                "max_retry_time": 20.0, **extra}
    return AzureProvider("azprod", settings)


def expected(kind: str, lo: date = START, hi: date = END) -> float:
    return sum(r[kind] for r in ROWS if int(lo.strftime("%Y%m%d")) <= r["UsageDate"] < int(hi.strftime("%Y%m%d")))


def test_pages_are_followed_and_both_cost_types_are_summed_by_column_name(fake: FakeCostManagement) -> None:
    azure = provider(fake)
    frame = azure.fetch(START, END)
    assert frame["BilledCost"].sum() == pytest.approx(expected("ActualCost"))
    assert frame["EffectiveCost"].sum() == pytest.approx(expected("AmortizedCost"))
    days = sorted({ts.date() for ts in frame["ChargePeriodStart"]})
    assert days == [date(2024, 3, 1), date(2024, 3, 2), date(2024, 3, 3)]
    queries = fake.queries()
    # 5 grouped rows per cost type in the range, 2 per page: 3 pages each, pages 2..3 via nextLink.
    assert len(queries) == 6 == azure.stats.requests
    assert sum("$skiptoken" in q.query for q in queries) == 4
    assert [q.body["type"] for q in queries] == ["ActualCost"] * 3 + ["AmortizedCost"] * 3
    assert all(q.headers["Authorization"].startswith("Bearer ") for q in queries)
    assert queries[0].body["timePeriod"] == {"from": "2024-03-01T00:00:00Z", "to": "2024-03-03T23:59:59Z"}


def test_actual_and_amortized_rows_are_joined_on_their_grouping_keys(fake: FakeCostManagement) -> None:
    frame = provider(fake).fetch(START, END)
    purchase = frame[frame["ServiceName"] == "Reservations"].iloc[0]
    assert (purchase["BilledCost"], purchase["EffectiveCost"], purchase["ChargeCategory"]) == (60.0, 0.0, "Purchase")
    covered = frame[(frame["ServiceName"] == "Virtual Machines")
                    & (frame["ChargePeriodStart"].dt.date == date(2024, 3, 2))].iloc[0]
    assert (covered["BilledCost"], covered["EffectiveCost"]) == (0.0, 2.0)
    first = frame[frame["ChargePeriodStart"].dt.date == date(2024, 3, 1)]
    assert set(first["RegionId"]) == {"westeurope"}
    assert set(first["SubAccountId"]) == {SUB} and set(first["SubAccountName"]) == {"prod"}
    assert set(frame["ProviderName"]) == {"Microsoft"} and set(frame["BillingCurrency"]) == {"EUR"}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_column_order_gives_the_same_records(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    server = FakeCostManagement(ROWS, seed=seed).start()
    monkeypatch.setenv("IDENTITY_ENDPOINT", server.token_url)
    monkeypatch.setenv("IDENTITY_HEADER", IDENTITY_HEADER)
    try:
        frame = provider(server).fetch(START, END)
    finally:
        server.stop()
    by_service = frame.groupby("ServiceName")["BilledCost"].sum().to_dict()
    assert by_service == pytest.approx({"Storage": 9.0, "Virtual Machines": 3.5, "Reservations": 60.0})


def test_one_tag_key_becomes_the_tags_column(fake: FakeCostManagement) -> None:
    frame = provider(fake, tag_keys=["env"]).fetch(START, END)
    assert frame["BilledCost"].sum() == pytest.approx(expected("ActualCost"))
    tagged = {(r.ServiceName, r.Tags.get("env")) for r in frame.itertuples()}
    assert ("Storage", "prod") in tagged and ("Virtual Machines", "dev") in tagged
    assert fake.queries()[0].body["dataset"]["grouping"][-1] == {"type": "TagKey", "name": "env"}


def test_two_tag_keys_in_query_mode_are_a_config_error(fake: FakeCostManagement) -> None:
    with pytest.raises(ConfigError, match="one tag key"):
        provider(fake, tag_keys=["env", "team"]).fetch(START, END)


def test_a_429_waits_for_the_longest_retry_after_header_then_succeeds(fake: FakeCostManagement) -> None:
    fake.script.append(Canned(429, {"x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after": "2",
                                    "Retry-After": "1"}, b'{"error":{"code":"429","message":"Too many requests"}}'))
    azure = provider(fake)
    began = time.monotonic()
    frame = azure.fetch(START, END)
    assert time.monotonic() - began >= 2.0
    assert frame["BilledCost"].sum() == pytest.approx(expected("ActualCost"))
    assert azure.stats.retries == 1 and azure.stats.requests == 7


def test_a_429_on_a_next_page_is_retried_too(fake: FakeCostManagement) -> None:
    azure = provider(fake)
    original = fake.answer

    def throttle_second_page(scope: str, query: dict, body: dict) -> dict:
        if "$skiptoken" in query and not getattr(throttle_second_page, "done", False):
            throttle_second_page.done = True  # type: ignore[attr-defined]
            fake.script.append(Canned(429, {"x-ms-ratelimit-microsoft.costmanagement-entity-retry-after": "1"}))
        return original(scope, query, body)

    fake.answer = throttle_second_page  # type: ignore[method-assign]
    frame = azure.fetch(START, END)
    assert frame["BilledCost"].sum() == pytest.approx(expected("ActualCost"))
    assert azure.stats.retries == 1


def test_throttling_longer_than_max_retry_time_is_one_line_and_stops_at_once(fake: FakeCostManagement) -> None:
    fake.script.append(Canned(429, {"x-ms-ratelimit-microsoft.costmanagement-tenant-retry-after": "600"}))
    azure = provider(fake, max_retry_time=5.0)
    with pytest.raises(ProviderError) as err:
        azure.fetch(START, END)
    message = str(err.value)
    assert "\n" not in message and "429" in message and "max_retry_time=5s" in message
    assert azure.stats.requests == 1


@pytest.mark.parametrize(("status", "needle"), [(401, "rejected the credential"), (403, "Cost Management Reader")])
def test_permanent_auth_failures_are_one_line_errors_without_retry(fake: FakeCostManagement, status: int,
                                                                  needle: str) -> None:
    fake.script.append(Canned(status, {}, b'{"error":{"code":"AuthorizationFailed","message":"The client\\n'
                                          b'does not have authorization"}}'))
    azure = provider(fake)
    with pytest.raises(ProviderError) as err:
        azure.fetch(START, END)
    assert needle in str(err.value) and "\n" not in str(err.value)
    assert azure.stats.requests == 1 and azure.stats.retries == 0


def test_an_error_status_with_a_body_that_is_not_json_keeps_its_status(fake: FakeCostManagement) -> None:
    fake.script.append(Canned(403, {"Content-Type": "text/html"}, b"<html>\n<body>Forbidden</body></html>"))
    with pytest.raises(ProviderError, match="403.*Cost Management Reader"):
        provider(fake).fetch(START, END)


def test_a_malformed_body_is_a_one_line_error(fake: FakeCostManagement) -> None:
    fake.script.append(Canned(200, {}, b'{"properties": {"columns": [{"name": "Cost"'))
    with pytest.raises(ProviderError, match="malformed body") as err:
        provider(fake).fetch(START, END)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("missing", ["UsageDate", "Currency", "ServiceName", "Cost"])
def test_a_missing_column_is_named_in_the_error(fake: FakeCostManagement, missing: str) -> None:
    answer = fake.answer(f"/subscriptions/{SUB}/providers/Microsoft.CostManagement/query", {"api-version": ["x"]},
                         {"type": "ActualCost", "timePeriod": {"from": "2024-03-01", "to": "2024-03-03"},
                          "dataset": {"aggregation": {"totalCost": {"name": "Cost", "function": "Sum"}},
                                      "grouping": [{"type": "Dimension", "name": d} for d in
                                                   ("ServiceName", "SubscriptionId", "SubscriptionName",
                                                    "ResourceLocation", "ChargeType")]}})
    props = answer["properties"]
    idx = [c["name"] for c in props["columns"]].index(missing)
    props["columns"].pop(idx)
    for row in props["rows"]:
        row.pop(idx)
    props["nextLink"] = None
    import json

    fake.script.append(Canned(200, {}, json.dumps(answer).encode()))
    with pytest.raises(ProviderError, match=f"'{missing}'"):
        provider(fake).fetch(START, END)


def test_test_auth_names_the_credential_the_identity_and_the_scope(fake: FakeCostManagement) -> None:
    azure = provider(fake)
    result = azure.test_auth()
    assert result.ok, result.checks
    assert APP_ID in result.identity and TENANT_ID in result.identity
    assert result.checks[0] == ("credential", True, "ManagedIdentityCredential got a token")
    assert result.checks[1][0] == f"Cost Management Query at subscriptions/{SUB}" and result.checks[1][1]
    assert azure.stats.requests == 1


def test_test_auth_reports_a_denied_scope(fake: FakeCostManagement) -> None:
    fake.script.append(Canned(403, {}, b'{"error":{"code":"AuthorizationFailed","message":"denied"}}'))
    result = provider(fake).test_auth()
    assert not result.ok
    assert result.checks[0][1] and not result.checks[1][1] and "Cost Management Reader" in result.checks[1][2]


def test_a_credential_that_gets_no_token_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    server = FakeCostManagement(ROWS).start()
    monkeypatch.setenv("IDENTITY_ENDPOINT", server.token_url)
    monkeypatch.setenv("IDENTITY_HEADER", "wrong-header")
    try:
        with pytest.raises(ProviderError, match="no Azure credential could get a token") as err:
            provider(server).fetch(START, END)
    finally:
        server.stop()
    assert "\n" not in str(err.value) and not server.queries()


def test_client_secret_needs_tenant_client_and_secret(fake: FakeCostManagement,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"):
        monkeypatch.delenv(var, raising=False)
    azure = provider(fake, credential=None, client_secret="s3cret", client_id="app")
    with pytest.raises(ConfigError, match=r"providers\.azprod\.tenant_id: required for credential client_secret"):
        azure.fetch(START, END)


def test_scopes_are_cleaned_and_checked() -> None:
    assert clean_scope(f"/subscriptions/{SUB}/") == f"subscriptions/{SUB}"
    assert clean_scope("providers/Microsoft.Billing/billingAccounts/123:456_2019-05-31/billingProfiles/AB-CD")
    assert clean_scope("/providers/Microsoft.Management/managementGroups/root")
    assert clean_scope(f"subscriptions/{SUB}/resourceGroups/rg-app")
    with pytest.raises(ValueError, match="not a Cost Management scope"):
        clean_scope("subscription/abc")


def test_config_validates_the_azure_instance() -> None:
    from costctl.config import build

    config = build({"providers": {"az": {"type": "azure", "scope": f"/subscriptions/{SUB}", "tag_keys": "env"}}})
    assert config.providers["az"]["scope"] == f"subscriptions/{SUB}"
    assert config.providers["az"]["tag_keys"] == ["env"]
    with pytest.raises(ConfigError, match=r"providers\.az\.exports: give exactly one of account_url"):
        build({"providers": {"az": {"type": "azure", "exports": {"container": "c"}}}})
    with pytest.raises(ConfigError, match=r"providers\.az\.scope: 'nope' is not a Cost Management scope"):
        build({"providers": {"az": {"type": "azure", "scope": "nope"}}})


def test_billing_account_scope_fills_billing_account_id(fake: FakeCostManagement) -> None:
    frame = provider(fake, scope="providers/Microsoft.Billing/billingAccounts/8611537").fetch(START, END)
    assert set(frame["BillingAccountId"]) == {"8611537"}
    assert fake.queries()[0].path == "/providers/Microsoft.Billing/billingAccounts/8611537/providers/" \
                                     "Microsoft.CostManagement/query"


def test_retry_after_headers_and_usage_dates_parse() -> None:
    assert retry_after_seconds({"x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after": "7",
                                "X-Ms-Ratelimit-Microsoft.Costmanagement-Entity-Retry-After": "12"}) == 12
    assert retry_after_seconds({"Retry-After": "3"}) == 3
    assert retry_after_seconds({"x-ms-ratelimit-microsoft.costmanagement-qpu-remaining": "QueryUsage=9"}) is None
    assert usage_date(20240131, "w") == date(2024, 1, 31)
    assert usage_date(20240131.0, "w") == date(2024, 1, 31)
    assert usage_date("2024-01-31T00:00:00", "w") == date(2024, 1, 31)
    with pytest.raises(ProviderError, match="UsageDate holds 'soon'"):
        usage_date("soon", "w")


def test_a_server_error_is_retried_with_backoff(fake: FakeCostManagement) -> None:
    fake.script.append(Canned(503, {}, b'{"error":{"code":"ServiceUnavailable","message":"try later"}}'))
    azure = provider(fake)
    frame = azure.fetch(START, END)
    assert frame["BilledCost"].sum() == pytest.approx(expected("ActualCost"))
    assert azure.stats.retries == 1 and azure.stats.requests == 7
