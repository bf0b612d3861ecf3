"""Public list prices bundled with costctl: the last resort when neither the cost records nor a
cloud's price API can price a finding (``savings``, ``cost_source: list``).

Plain data, cloud-neutral code: ``savings`` prices the flat-rate hint kinds from here without
importing any cloud's package, and the AWS pricer falls back to the same table.
"""

from __future__ import annotations

HOURS_PER_MONTH = 730.0  # the month the clouds' hourly list prices are quoted against

# Public on-demand prices (us-east-1, USD), the documented fallback: per GB-month for storage,
# per hour for the rest.
LIST: dict[str, float] = {
    "ebs:gp2": 0.10, "ebs:gp3": 0.08, "ebs:io1": 0.125, "ebs:io2": 0.125, "ebs:st1": 0.045, "ebs:sc1": 0.015,
    "ebs:standard": 0.05, "ebs:snapshot": 0.05,
    "elastic_ip": 0.005, "nat_gateway": 0.045, "application_lb": 0.0225, "network_lb": 0.0225,
}
