"""Broken AWS answers are failed fetches: one line naming the instance and the fault, nothing cached.

A fault proxy (tests/fault_proxy.py) sits between boto3 and a real moto_server and replaces chosen
answers with a 200 whose body is truncated, not JSON, of the wrong shape or holds NaN amounts, or
fails a follow-up page. After each fault the next healthy run must give the right total (nothing
wrong was cached), and a cached copy from before must survive a failing ``--refresh``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from fault_proxy import Fault, FaultProxy

from moto_server import aws_env, inject_ce_results, reset

pytestmark = pytest.mark.component

TODAY = datetime.now(UTC).date()
START = TODAY - timedelta(days=8)
LAST = TODAY - timedelta(days=3)  # inclusive; all days closed for restatement_days: 1
DAYS = [START + timedelta(days=i) for i in range((LAST - START).days + 1)]
COST = {d: round(10.0 + i * 1.25, 2) for i, d in enumerate(DAYS)}
TOTAL = round(sum(COST.values()), 2)
ACCOUNT = "111122223333"


def period(day: date, amount: str) -> dict[str, Any]:
    return {"TimePeriod": {"Start": day.isoformat(), "End": (day + timedelta(days=1)).isoformat()},
            "Total": {}, "Estimated": False,
            "Groups": [{"Keys": ["Amazon EC2", ACCOUNT], "Metrics": {
                "UnblendedCost": {"Amount": amount, "Unit": "USD"},
                "AmortizedCost": {"Amount": amount, "Unit": "USD"}}}]}


def healthy(days: list[date] = DAYS, token: str | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"ResultsByTime": [period(d, f"{COST[d]:.2f}") for d in days],
                              "DimensionValueAttributes": []}
    if token:
        answer["NextPageToken"] = token
    return answer


@pytest.fixture
def proxy(moto: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    aws_env(monkeypatch)
    reset(moto)
    server = FaultProxy(moto).start()
    yield server
    server.stop()


@pytest.fixture
def config(proxy: FaultProxy, tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(f"providers:\n  payer:\n    type: aws\n    endpoint_url: {proxy.url}\n"
                    "    group_plan: service_account\n    restatement_days: 1\n    max_retry_time: 1s\n"
                    f"cache:\n  path: {tmp_path / 'cache'}\n")
    return path


def costs(run: Any, config: Path, *extra: str) -> Any:
    return run("--config", str(config), *extra, "costs", "--provider", "payer", "--start", START.isoformat(),
               "--end", LAST.isoformat(), "--granularity", "total", "--format", "json", "--metric", "billed")


def total(result: Any) -> float:
    return round(sum(float(r["cost"]) for r in result.json()), 2)


def one_line_error(result: Any) -> str:
    assert result.exit_code == 1, result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("costctl: error: payer: "), lines[0]
    return lines[0]


NAN = json.dumps({"ResultsByTime": [period(DAYS[0], "NaN")]}).encode()
INF = json.dumps({"ResultsByTime": [period(DAYS[0], "Infinity")]}).encode()
NO_GROUPS = json.dumps({"ResultsByTime": [{"TimePeriod": {"Start": DAYS[0].isoformat(),
                                                          "End": DAYS[1].isoformat()}}]}).encode()
NO_METRIC = json.dumps({"ResultsByTime": [{**period(DAYS[0], "1"), "Groups": [
    {"Keys": ["Amazon EC2", ACCOUNT], "Metrics": {"UnblendedCost": {"Amount": "1", "Unit": "USD"}}}]}]}).encode()


@pytest.mark.parametrize(("body", "says"), [
    (b'{"ResultsByTime": [{"TimePeriod": {"Start": "20', "answered with no ResultsByTime"),  # truncated
    (b"<html>502 Bad Gateway</html>", "answered with no ResultsByTime"),  # not JSON
    (b"", "answered with no ResultsByTime"),
    (b"{}", "answered with no ResultsByTime"),
    (b'{"ResultsByTime": {}}', "answered with no day at all of the 6 asked"),  # boto3 reads {} as []
    (b'{"ResultsByTime": "x"}', "'str' object has no attribute 'get'"),  # boto3 itself chokes
    (json.dumps(healthy(DAYS[1:])).encode(), f"answered with 5 day(s) of the 6 asked; {DAYS[0]} is missing"),
    (NO_GROUPS, "no ResultsByTime[0].Groups"),
    (NO_METRIC, "no ResultsByTime[0].Groups[0].Metrics.AmortizedCost"),
    (NAN, "ResultsByTime[0].Groups[0].Metrics.UnblendedCost.Amount = 'NaN', not a finite amount"),
    (INF, "not a finite amount"),
])
def test_a_broken_cost_explorer_200_is_a_failed_fetch_and_nothing_is_cached(
        run: Any, proxy: FaultProxy, config: Path, moto: str, body: bytes, says: str) -> None:
    inject_ce_results(moto, [healthy()])
    proxy.add(Fault("GetCostAndUsage", body))
    line = one_line_error(costs(run, config))
    assert says in line, line
    good = costs(run, config)  # the API is healthy again: the real total, not a cached zero
    assert good.exit_code == 0, good.stderr
    assert total(good) == TOTAL


def test_a_failing_refresh_keeps_the_cached_copy(run: Any, proxy: FaultProxy, config: Path, moto: str) -> None:
    inject_ce_results(moto, [healthy()])
    first = costs(run, config)
    assert first.exit_code == 0 and total(first) == TOTAL, first.stderr
    proxy.add(Fault("GetCostAndUsage", b"{}"))
    again = costs(run, config, "--refresh")
    assert again.exit_code == 0, again.stderr
    assert again.stdout == first.stdout
    assert "warning: payer: Cost Explorer GetCostAndUsage answered with no ResultsByTime" in again.stderr
    assert "using cached data" in again.stderr
    assert total(costs(run, config)) == TOTAL


@pytest.mark.parametrize("page_two", [Fault("page-2", b"{}"), Fault("page-2", b'{"message": "boom"}', status=400)])
def test_a_missing_second_page_fails_the_fetch_instead_of_shortening_it(
        run: Any, proxy: FaultProxy, config: Path, moto: str, page_two: Fault) -> None:
    half = len(DAYS) // 2
    inject_ce_results(moto, [healthy(DAYS[:half], token="page-2"), healthy(DAYS[half:])])
    proxy.add(page_two)
    one_line_error(costs(run, config))
    assert page_two.served == 1
    good = costs(run, config)
    assert good.exit_code == 0 and total(good) == TOTAL, good.stderr


def create_accounts(moto: str, count: int) -> list[str]:
    org = boto3.client("organizations", endpoint_url=moto, region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    return [org.create_account(AccountName=f"acct{i}", Email=f"a{i}@example.com")["CreateAccountStatus"]["AccountId"]
            for i in range(count)]


@pytest.mark.parametrize("body", [b"{}", b"<html>", b'{"Accounts": [{"Name": "no id"}]}'])
def test_a_broken_account_list_fails_the_fetch_instead_of_caching_ids(
        run: Any, proxy: FaultProxy, config: Path, moto: str, body: bytes) -> None:
    inject_ce_results(moto, [healthy()])
    create_accounts(moto, 1)
    proxy.add(Fault("ListAccounts", body))
    line = one_line_error(costs(run, config))
    assert "Organizations ListAccounts answered with" in line
    good = run("--config", str(config), "costs", "--provider", "payer", "--start", START.isoformat(), "--end",
               LAST.isoformat(), "--granularity", "total", "--group-by", "account_name", "--format", "json")
    assert good.exit_code == 0, good.stderr
    assert [r["account_name"] for r in good.json()] == [ACCOUNT]  # moto's org does not hold this id: id shown


def test_a_failing_second_account_page_fails_the_fetch_instead_of_caching_ids(
        run: Any, proxy: FaultProxy, config: Path, moto: str) -> None:
    inject_ce_results(moto, [healthy()])
    create_accounts(moto, 1)

    def with_next_page(body: bytes) -> bytes:
        page = json.loads(body)
        page["NextToken"] = "page-2-of-accounts"
        return json.dumps(page).encode()

    proxy.add(Fault("ListAccounts", with_next_page))
    proxy.add(Fault("page-2-of-accounts", b'{"__type": "ServiceException", "message": "down"}', status=400))
    line = one_line_error(costs(run, config))
    assert "account names: a ListAccounts page failed" in line, line
    good = costs(run, config)
    assert good.exit_code == 0 and total(good) == TOTAL, good.stderr
