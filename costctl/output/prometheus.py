"""Prometheus exposition of a monitoring Snapshot: model, registry, and the two transports.

The layers of prometheus_client, kept apart: a custom ``Collector`` turns the Snapshot into
``GaugeMetricFamily`` objects, a fresh ``CollectorRegistry`` holds only it (never the global
registry, which would add process metrics), and the transports are a textfile (temp file in the
same directory, then rename, as ``write_to_textfile`` does, but refusing planted symlinks and
keeping the file's mode: ``costctl.output.atomic``; node_exporter never reads half a file) and
``push_to_gateway``. Money has no base unit, so it is a plain gauge with a ``currency`` label.
Budget families appear only when the snapshot has budgets, so a config without budgets exposes
no empty HELP/TYPE blocks; finding families only when findings were computed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, generate_latest, push_to_gateway
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from costctl.monitoring.snapshot import Snapshot

if TYPE_CHECKING:
    from costctl.monitoring.findings import FindingFigures

COST_LABELS = ["provider", "account", "service", "currency"]
BUDGET_LABELS = ["budget", "currency", "period"]


def _money(value: float) -> float:
    """Rounded to 6 decimals so float noise (12.340000000001) never reaches a dashboard."""
    return round(value, 6) + 0.0


class SnapshotCollector(Collector):
    """Yields the costctl metric families of one Snapshot."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot

    def collect(self) -> Iterator[GaugeMetricFamily]:
        snap = self.snapshot
        day = GaugeMetricFamily("costctl_cost_latest_day", "Cost of the latest complete UTC day, in the unit of the "
                                "currency label.", labels=COST_LABELS)
        mtd = GaugeMetricFamily("costctl_cost_month_to_date", "Cost of the current month through the latest complete "
                                "day, in the unit of the currency label.", labels=COST_LABELS)
        forecast = GaugeMetricFamily("costctl_cost_month_forecast", "Projected cost of the whole current month "
                                     "(day-of-week aware), in the unit of the currency label.",
                                     labels=["provider", "currency"])
        newest = GaugeMetricFamily("costctl_data_newest_timestamp_seconds", "End of the newest cost data a provider "
                                   "has delivered, as a Unix timestamp.", labels=["provider"])
        up = GaugeMetricFamily("costctl_up", "Whether the last refresh of the provider succeeded (1) or failed (0).",
                               labels=["provider"])
        requests = GaugeMetricFamily("costctl_upstream_requests", "Upstream API requests made by this run.",
                                     labels=["provider"])
        scanned = GaugeMetricFamily("costctl_upstream_bytes_scanned", "Bytes the upstream query engine scanned for "
                                    "this run (Athena, BigQuery); 0 when all came from the cache.",
                                    labels=["provider"])
        for p in snap.providers:
            for (account, service, currency), value in p.latest_day.items():
                day.add_metric([p.name, account, service, currency], _money(value))
            for (account, service, currency), value in p.month_to_date.items():
                mtd.add_metric([p.name, account, service, currency], _money(value))
            for currency, value in sorted(p.forecast.items()):
                forecast.add_metric([p.name, currency], _money(value))
            if p.newest_end is not None:
                newest.add_metric([p.name], float(p.newest_end))
            up.add_metric([p.name], 1.0 if p.up else 0.0)
            requests.add_metric([p.name], float(p.requests))
            scanned.add_metric([p.name], float(p.bytes_scanned))
        previous = GaugeMetricFamily("costctl_cost_previous_month", "Cost of the whole previous month, in the unit "
                                     "of the currency label (absent when the data does not cover it).",
                                     labels=["provider", "currency"])
        for p in snap.providers:
            for currency, value in sorted(p.previous_month.items()):
                previous.add_metric([p.name, currency], _money(value))
        yield from (day, mtd, forecast)
        if previous.samples:  # no empty HELP/TYPE block when no provider's data covers last month
            yield previous
        yield from (newest, up, requests, scanned)
        if snap.budgets:
            yield from budget_families(snap)
        if snap.anomalies is not None or snap.idle is not None or snap.commitments is not None:
            yield from finding_families(snap)
        yield GaugeMetricFamily("costctl_run_duration_seconds", "Duration of the costctl run that wrote these "
                                "metrics.", value=snap.duration)
        yield GaugeMetricFamily("costctl_last_success_timestamp_seconds", "When the costctl run that wrote these "
                                "metrics finished, as a Unix timestamp.", value=snap.finished)


def budget_families(snap: Snapshot) -> Iterator[GaugeMetricFamily]:
    """Amount, spend, forecast and ratio consumed of each budget's current period."""
    families = [
        (GaugeMetricFamily("costctl_budget_amount", "Amount of the budget for its current period, in the unit of "
                           "the currency label.", labels=BUDGET_LABELS), lambda b: _money(b.amount)),
        (GaugeMetricFamily("costctl_budget_spend", "Spend of the budget's current period through the latest "
                           "complete day, in the unit of the currency label.", labels=BUDGET_LABELS),
         lambda b: _money(b.spend)),
        (GaugeMetricFamily("costctl_budget_forecast", "Projected spend of the budget's whole current period, in "
                           "the unit of the currency label.", labels=BUDGET_LABELS), lambda b: _money(b.forecast)),
        (GaugeMetricFamily("costctl_budget_consumed_ratio", "Spend of the budget's current period divided by its "
                           "amount (1 = fully spent).", labels=BUDGET_LABELS), lambda b: _money(b.consumed_ratio)),
        (GaugeMetricFamily("costctl_budget_forecast_ratio", "Projected spend of the budget's whole current period "
                           "divided by its amount (above 1 = projected to overspend).", labels=BUDGET_LABELS),
         lambda b: _money(b.forecast_ratio)),
    ]
    for family, value in families:
        for b in snap.budgets:
            family.add_metric([b.name, b.currency, b.period], value(b))
        yield family


def finding_families(snap: Snapshot) -> Iterator[GaugeMetricFamily]:
    """Open anomalies per severity and idle findings per check, and whether each provider's were computed."""
    up = GaugeMetricFamily("costctl_findings_up", "Whether the findings of this kind could be computed for the "
                           "provider (1) or not (0; its counts are then absent, not zero).",
                           labels=["provider", "finding"])
    if snap.anomalies is not None:
        count = GaugeMetricFamily("costctl_anomalies_open", "Unacknowledged cost anomalies of the anomalies window "
                                  "(anomalies.days), as costctl anomalies lists them.",
                                  labels=["provider", "severity"])
        impact = GaugeMetricFamily("costctl_anomalies_open_impact", "Sum of the absolute daily impact (cost minus "
                                   "expected) of the unacknowledged anomalies, in the unit of the currency label.",
                                   labels=["provider", "severity", "currency"])
        _fill_findings(snap.anomalies, "anomalies", up, count, impact)
        yield from (count, impact)
    if snap.idle is not None:
        count = GaugeMetricFamily("costctl_idle_findings", "Idle, orphaned or oversized resources found, as costctl "
                                  "idle lists them.", labels=["provider", "check"])
        savings = GaugeMetricFamily("costctl_idle_estimated_monthly_savings", "Estimated monthly savings of the "
                                    "idle findings, in the unit of the currency label.",
                                    labels=["provider", "check", "currency"])
        _fill_findings(snap.idle, "idle", up, count, savings)
        yield from (count, savings)
    if snap.commitments is not None:
        yield from commitment_families(snap, up)
    yield up


def _fill_findings(figures: list[FindingFigures], finding: str, up: GaugeMetricFamily, count: GaugeMetricFamily,
                   money: GaugeMetricFamily) -> None:
    """One kind of findings into its families: up per provider, counts and money per category."""
    for f in figures:
        up.add_metric([f.provider, finding], 1.0 if f.up else 0.0)
        for category, n in f.counts.items():
            count.add_metric([f.provider, category], float(n))
        for (category, currency), value in f.amounts.items():
            money.add_metric([f.provider, category, currency], _money(value))


def commitment_families(snap: Snapshot, up: GaugeMetricFamily) -> Iterator[GaugeMetricFamily]:
    """Utilization, unused cost and days to expiry per commitment, coverage per service (the last 7 days)."""
    labels = ["provider", "commitment", "type"]
    util = GaugeMetricFamily("costctl_commitment_utilization_ratio", "Used share of each commitment over the "
                             "last 7 complete days: used / (used + unused) amortized cost (1 = fully used); the "
                             "least used 20 per provider, the rest as commitment=\"(other)\".", labels=labels)
    unused = GaugeMetricFamily("costctl_commitment_unused_cost", "Amortized cost of the unused share of each "
                               "commitment over the last 7 complete days, in the unit of the currency label.",
                               labels=[*labels, "currency"])
    expiry = GaugeMetricFamily("costctl_commitment_end_timestamp_seconds", "End of the commitment's term as a Unix "
                               "timestamp, where the billing data says it (absent otherwise).", labels=labels)
    cover = GaugeMetricFamily("costctl_commitment_coverage_ratio", "Share of eligible usage (at on-demand prices) "
                              "that commitments covered over the last 7 complete days, per service with covered "
                              "usage.", labels=["provider", "service", "currency"])
    for f in snap.commitments or []:
        up.add_metric([f.provider, "commitments"], 1.0 if f.up else 0.0)
        for s in f.series:
            if s.utilization is not None:
                util.add_metric([f.provider, s.commitment, s.type], _money(s.utilization))
            if s.unused is not None:  # not stated by the cloud (Azure's summaries): no sample, not a false 0
                unused.add_metric([f.provider, s.commitment, s.type, s.currency], _money(s.unused))
            if s.end is not None:
                expiry.add_metric([f.provider, s.commitment, s.type], s.end)
        for (service, currency), ratio in f.coverage.items():
            cover.add_metric([f.provider, service, currency], _money(ratio))
    yield from (util, unused, expiry, cover)


def registry_for(snapshot: Snapshot) -> CollectorRegistry:
    """A fresh registry holding only the snapshot's metrics."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(snapshot))
    return registry


def exposition(registry: CollectorRegistry) -> str:
    return generate_latest(registry).decode("utf-8")


def write_textfile(path: str, registry: CollectorRegistry, follow_symlinks: bool = False) -> None:
    """Write atomically for node_exporter's textfile collector (temp file in the directory, rename).

    A new file is 0644 whatever the umask, so node_exporter (another user) can read it; an existing
    one keeps its mode (e.g. 0640 with node_exporter's group). A symlink is refused unless
    ``follow_symlinks`` (see ``costctl.output.atomic``); raises OutputError.
    """
    from costctl.output import atomic

    atomic.write_text(path, exposition(registry), follow_symlinks=follow_symlinks, new_mode=0o644)


def push(url: str, job: str, registry: CollectorRegistry, grouping: Mapping[str, str], timeout: float) -> None:
    """PUT the registry to a Pushgateway (replacing the group's previous metrics).

    ``http://user:password@host:9091`` sends HTTP basic auth (prometheus_client would take the
    userinfo for part of the host name); the credentials never appear in messages.
    """
    from urllib.parse import unquote, urlsplit, urlunsplit

    parts = urlsplit(url)
    if "@" not in parts.netloc:
        push_to_gateway(url, job=job, registry=registry, grouping_key=dict(grouping), timeout=timeout)
        return
    from prometheus_client.exposition import basic_auth_handler

    userinfo, _, host = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")

    def handler(url: str, method: str, timeout: float | None, headers: list[tuple[str, str]],
                data: bytes) -> Callable[[], None]:
        return basic_auth_handler(url, method, timeout, headers, data, unquote(user), unquote(password))

    plain = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    push_to_gateway(plain, job=job, registry=registry, grouping_key=dict(grouping), timeout=timeout,
                    handler=handler)
