"""CloudWatch figures the AWS checks compare with their thresholds.

Daily datapoints (period 86400 s) keep every request to one page for windows of up to 1440
days, and the daily average/maximum is exactly what the thresholds speak of.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from costctl.clouds.aws.idle.api import Api

DAY = 86400


@dataclass(frozen=True)
class Figure:
    """A statistic over a window: its value and how many daily datapoints it came from."""

    value: float | None  # None: CloudWatch has no datapoints at all
    points: int


def daily(api: Api, namespace: str, metric: str, dimensions: dict[str, str], now: datetime, days: int,
          statistic: str) -> list[float]:
    """The daily ``statistic`` (Average, Maximum, Sum) of one metric over the last ``days`` days."""
    answer = api.call(
        "cloudwatch", "GetMetricStatistics", Namespace=namespace, MetricName=metric,
        Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()],
        StartTime=now - timedelta(days=days), EndTime=now, Period=DAY, Statistics=[statistic],
    )
    return [float(p[statistic]) for p in answer.get("Datapoints", [])]


def average(api: Api, namespace: str, metric: str, dimensions: dict[str, str], now: datetime, days: int) -> Figure:
    """Mean of the daily averages (every day weighs the same)."""
    values = daily(api, namespace, metric, dimensions, now, days, "Average")
    return Figure(sum(values) / len(values) if values else None, len(values))


def maximum(api: Api, namespace: str, metric: str, dimensions: dict[str, str], now: datetime, days: int) -> Figure:
    values = daily(api, namespace, metric, dimensions, now, days, "Maximum")
    return Figure(max(values) if values else None, len(values))


def total(api: Api, namespace: str, metric: str, dimensions: dict[str, str], now: datetime, days: int) -> Figure:
    values = daily(api, namespace, metric, dimensions, now, days, "Sum")
    return Figure(sum(values) if values else None, len(values))
