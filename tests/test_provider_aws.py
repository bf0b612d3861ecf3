"""The aws provider's Cost Explorer path against a real moto_server process.

Cost Explorer answers are injected through moto's static-results API; moto hands them out in the
order distinct requests arrive, so each test queues answers in the order the request plan asks.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

import boto3
import pytest

from costctl import model
from costctl.clouds.aws import cost_explorer as aws_ce
from costctl.clouds.aws import retry as aws_retry
from costctl.clouds.aws.provider import AwsProvider
from costctl.errors import ConfigError, ProviderError
from moto_server import aws_env, inject_ce_results, reset

pytestmark = pytest.mark.component

TODAY = date.today()
D1 = TODAY - timedelta(days=5)
D2 = D1 + timedelta(days=1)
D3 = D1 + timedelta(days=2)


@pytest.fixture
def endpoint(moto: str, monkeypatch: pytest.MonkeyPatch) -> str:
    aws_env(monkeypatch)
    reset(moto)
    monkeypatch.setattr(aws_retry, "INITIAL_WAIT", 0.01)
    return moto


def provider(endpoint: str, **settings: Any) -> AwsProvider:
    return AwsProvider("prod", {"type": "aws", "endpoint_url": endpoint, **settings}, store={})


def group(keys: list[str], billed: str, effective: str) -> dict[str, Any]:
    return {"Keys": keys, "Metrics": {
        "UnblendedCost": {"Amount": billed, "Unit": "USD"},
        "AmortizedCost": {"Amount": effective, "Unit": "USD"},
    }}


def period(day: date, groups: list[dict[str, Any]], estimated: bool = False) -> dict[str, Any]:
    return {"TimePeriod": {"Start": day.isoformat(), "End": (day + timedelta(days=1)).isoformat()},
            "Total": {}, "Groups": groups, "Estimated": estimated}


def answer(*periods: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"ResultsByTime": list(periods), "DimensionValueAttributes": []}
    if token:
        result["NextPageToken"] = token
    return result


def create_accounts(endpoint: str, *names: str) -> list[str]:
    org = boto3.client("organizations", endpoint_url=endpoint, region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    ids = []
    for name in names:
        status = org.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]
        ids.append(status["AccountId"])
    return ids


def test_service_account_plan_follows_pages_and_keeps_exact_totals(endpoint: str) -> None:
    web, data = create_accounts(endpoint, "web", "data")
    inject_ce_results(endpoint, [
        answer(period(D1, [group(["Amazon EC2", web], "10.25", "9.75"), group(["Amazon S3", data], "1.5", "1.5")]),
               token="page-2"),
        answer(period(D2, [group(["Amazon EC2", web], "7.125", "7.0"), group(["Tax", data], "0.8", "0.8")],
                      estimated=True)),
    ])
    p = provider(endpoint, group_plan="service_account")
    frame = p.fetch(D1, D3)
    model.validate(frame)
    assert frame["BilledCost"].sum() == pytest.approx(10.25 + 1.5 + 7.125 + 0.8, abs=1e-9)
    assert frame["EffectiveCost"].sum() == pytest.approx(9.75 + 1.5 + 7.0 + 0.8, abs=1e-9)
    assert p.requests_by_service["ce"] == 2
    assert p.requests_by_service["organizations"] == 1
    assert p.stats.requests == 3
    assert dict(zip(frame["SubAccountId"], frame["SubAccountName"], strict=True)) == {web: "web", data: "data"}
    assert frame.loc[frame["ServiceName"] == "Tax", "ChargeCategory"].tolist() == ["Tax"]
    by_day = frame.groupby(frame["ChargePeriodStart"].dt.date)["x_Estimated"].all().to_dict()
    assert by_day == {D1: False, D2: True}
    assert frame["RegionId"].isna().all()


def test_region_plan_pivots_on_the_smaller_dimension_and_sums_exactly(endpoint: str) -> None:
    acct_a, acct_b = sorted(create_accounts(endpoint, "a", "b"))
    discovery = answer(period(D1, [
        group([acct_a, "us-east-1"], "5", "5"), group([acct_a, "eu-west-1"], "3", "2"),
        group([acct_b, "us-east-1"], "4", "4"), group([acct_b, "ap-south-1"], "1", "1"),
        group([acct_b, "NoRegion"], "0.5", "0.5"),
    ]))
    # 2 accounts < 4 regions: one request per account, grouped by SERVICE x REGION.
    detail_a = answer(period(D1, [group(["Amazon EC2", "us-east-1"], "5", "5"),
                                  group(["Amazon RDS", "eu-west-1"], "3", "2")]))
    detail_b = answer(period(D1, [group(["Amazon EC2", "us-east-1"], "4", "4"),
                                  group(["Amazon EC2", "ap-south-1"], "1", "1"),
                                  group(["AWS Support", "NoRegion"], "0.5", "0.5")]))
    inject_ce_results(endpoint, [discovery, detail_a, detail_b])
    p = provider(endpoint)
    frame = p.fetch(D1, D2)
    assert p.requests_by_service["ce"] == 3
    assert frame["BilledCost"].sum() == pytest.approx(13.5)
    assert frame["EffectiveCost"].sum() == pytest.approx(12.5)
    cells = {(r.SubAccountId, r.ServiceName, r.RegionId if isinstance(r.RegionId, str) else None): r.BilledCost
             for r in frame.itertuples()}
    assert cells == {
        (acct_a, "Amazon EC2", "us-east-1"): 5.0, (acct_a, "Amazon RDS", "eu-west-1"): 3.0,
        (acct_b, "Amazon EC2", "us-east-1"): 4.0, (acct_b, "Amazon EC2", "ap-south-1"): 1.0,
        (acct_b, "AWS Support", None): 0.5,
    }


def test_region_plan_with_more_accounts_than_regions_filters_by_region(endpoint: str) -> None:
    discovery = answer(period(D1, [group(["111111111111", "us-east-1"], "1", "1"),
                                   group(["222222222222", "us-east-1"], "2", "2"),
                                   group(["333333333333", "us-east-1"], "3", "3")]))
    detail = answer(period(D1, [group(["Amazon EC2", "111111111111"], "1", "1"),
                                group(["Amazon EC2", "222222222222"], "2", "2"),
                                group(["Amazon S3", "333333333333"], "3", "3")]))
    inject_ce_results(endpoint, [discovery, detail])
    seen: list[dict[str, Any]] = []
    p = provider(endpoint)
    original = p.aws.call

    def recording(service: str, operation: str, **params: Any) -> dict[str, Any]:
        seen.append(params)
        return original(service, operation, **params)

    p.aws.call = recording  # type: ignore[method-assign]
    frame = p.fetch(D1, D2)
    ce_calls = [s for s in seen if "Granularity" in s]
    assert len(ce_calls) == 2
    assert ce_calls[1]["Filter"]["Dimensions"] == {"Key": "REGION", "Values": ["us-east-1"], "MatchOptions": ["EQUALS"]}
    assert set(frame["RegionId"]) == {"us-east-1"}
    assert frame["BilledCost"].sum() == 6.0
    # no Organization here: names fall back to the ids
    assert (frame["SubAccountName"] == frame["SubAccountId"]).all()


def test_tag_keys_become_filters_and_untagged_cost_keeps_empty_tags(endpoint: str) -> None:
    discovery = answer(period(D1, [group(["team$"], "2", "2"), group(["team$web"], "8", "8")]))
    untagged = answer(period(D1, [group(["Amazon S3", "111111111111"], "2", "2")]))
    web = answer(period(D1, [group(["Amazon EC2", "111111111111"], "8", "8")]))
    inject_ce_results(endpoint, [discovery, untagged, web])
    p = provider(endpoint, group_plan="service_account", tag_keys=["team"])
    frame = p.fetch(D1, D2)
    assert p.requests_by_service["ce"] == 3
    tags = {r.ServiceName: r.Tags for r in frame.itertuples()}
    assert tags == {"Amazon S3": {}, "Amazon EC2": {"team": "web"}}
    assert frame["BilledCost"].sum() == 10.0


def test_too_many_filter_dimensions_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="at most 2 tag_keys"):
        AwsProvider("prod", {"type": "aws", "tag_keys": ["team", "env"]})


def test_rows_outside_the_asked_range_are_dropped(endpoint: str) -> None:
    inject_ce_results(endpoint, [answer(period(D1, [group(["Amazon EC2", "1"], "1", "1")]),
                                        period(D2, [group(["Amazon EC2", "1"], "2", "2")]))])
    frame = provider(endpoint, group_plan="service_account").fetch(D1, D2)
    assert frame["ChargePeriodStart"].dt.date.tolist() == [D1]


def test_range_older_than_the_lookback_is_clipped_with_a_warning(endpoint: str, caplog: Any) -> None:
    p = provider(endpoint, group_plan="service_account", lookback_months=2)
    p.today = lambda: date(2025, 3, 15)  # type: ignore[method-assign]
    seen: list[dict[str, Any]] = []
    def empty_days(params: dict[str, Any]) -> dict[str, Any]:  # what CE says for days without cost
        lo, hi = (date.fromisoformat(params["TimePeriod"][k]) for k in ("Start", "End"))
        return answer(*(period(lo + timedelta(days=i), []) for i in range((hi - lo).days)))

    p.aws.call = lambda service, operation, **params: seen.append(params) or empty_days(params)  # type: ignore
    with caplog.at_level(logging.WARNING):
        p.fetch(date(2024, 6, 1), date(2025, 4, 1))
    assert seen[0]["TimePeriod"] == {"Start": "2025-02-01", "End": "2025-03-16"}
    assert "lookback_months" in caplog.text
    seen.clear()
    assert len(p.fetch(date(2024, 1, 1), date(2024, 2, 1))) == 0
    assert seen == []


def throttle_first(p: AwsProvider, times: int, code: str = "ThrottlingException") -> list[int]:
    """Make the provider's CE client fail ``times`` times with ``code`` before answering normally."""
    from botocore.exceptions import ClientError

    client = p.aws.client("ce")
    real = client.get_cost_and_usage
    calls = [0]

    def flaky(**params: Any) -> dict[str, Any]:
        calls[0] += 1
        if calls[0] <= times:
            status = 400 if code != "InternalServerError" else 500
            raise ClientError({"Error": {"Code": code, "Message": "Rate exceeded"},
                               "ResponseMetadata": {"HTTPStatusCode": status}}, "GetCostAndUsage")
        return real(**params)

    client.get_cost_and_usage = flaky
    return calls


@pytest.mark.parametrize("code", ["ThrottlingException", "LimitExceededException", "InternalServerError"])
def test_transient_errors_are_retried_within_the_bound(endpoint: str, code: str) -> None:
    inject_ce_results(endpoint, [answer(period(D1, [group(["Amazon EC2", "1"], "4.5", "4.5")]))])
    p = provider(endpoint, group_plan="service_account", max_retry_time=30)
    calls = throttle_first(p, 3, code)
    frame = p.fetch(D1, D2)
    assert frame["BilledCost"].sum() == 4.5
    assert calls[0] == 4
    assert p.stats.retries == 3
    assert p.requests_by_service["ce"] == 4


def test_throttling_beyond_the_bound_fails_with_one_line(endpoint: str) -> None:
    p = provider(endpoint, group_plan="service_account", max_retry_time=0.2)
    throttle_first(p, 10_000)
    with pytest.raises(ProviderError) as info:
        p.fetch(D1, D2)
    assert str(info.value).startswith("throttled by Cost Explorer (ThrottlingException) for 0 s (GetCostAndUsage, ")
    assert "gave up after max_retry_time=0.2s" in str(info.value)
    assert "\n" not in str(info.value)


def test_access_denied_fails_at_once_naming_the_permission(endpoint: str) -> None:
    p = provider(endpoint, group_plan="service_account")
    calls = throttle_first(p, 10_000, "AccessDeniedException")
    with pytest.raises(ProviderError, match=r"grant ce:GetCostAndUsage") as info:
        p.fetch(D1, D2)
    assert calls[0] == 1
    assert "\n" not in str(info.value)


def test_role_is_assumed_and_test_auth_reports_identity(endpoint: str) -> None:
    inject_ce_results(endpoint, [answer()])
    p = provider(endpoint, role_arn="arn:aws:iam::123456789012:role/costctl-read", external_id="ext-1234",
                 session_name="nightly")
    result = p.test_auth()
    assert result.ok
    assert "assumed-role/costctl-read/nightly" in result.identity
    assert p.requests_by_service["sts"] == 2  # AssumeRole + GetCallerIdentity
    assert {what: ok for what, ok, _ in result.checks}["Cost Explorer (ce:GetCostAndUsage)"] is True


def test_test_auth_reports_a_denied_cost_explorer(endpoint: str) -> None:
    p = provider(endpoint)
    throttle_first(p, 10_000, "AccessDeniedException")
    result = p.test_auth()
    assert not result.ok
    assert any("ce:GetCostAndUsage" in detail for _, ok, detail in result.checks if not ok)


def test_account_names_are_remembered_between_instances(endpoint: str) -> None:
    (acct,) = create_accounts(endpoint, "shop")
    store: dict[str, Any] = {}
    for _ in range(2):
        p = AwsProvider("prod", {"type": "aws", "endpoint_url": endpoint}, store=store)
        assert p.account_names()[acct] == "shop"
    assert p.requests_by_service["organizations"] == 0


def test_hourly_requests_use_timestamps() -> None:
    assert aws_ce.time_period(date(2025, 1, 1), date(2025, 1, 2), "hourly") == {
        "Start": "2025-01-01T00:00:00Z", "End": "2025-01-02T00:00:00Z"}
