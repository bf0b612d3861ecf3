"""CUR 2.0 (snake_case, Parquet) commitment lines: the term ends come from ``reservation_end_time`` and
``savings_plan_end_time``, as from the legacy ``reservation/EndTime`` / ``savingsPlan/EndTime``."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from costctl.analysis.commitments import commitments
from costctl.loader import open_files

RI = "arn:aws:ec2:us-east-1:1111:reserved-instances/aaaaaaaa-0000-4000-8000-000000000000"
SP = "arn:aws:savingsplans::1111:savingsplan/bbbbbbbb-0000-4000-8000-000000000000"


def test_cur2_parquet_commitment_lines_carry_their_term_end(tmp_path: Path) -> None:
    hour = (datetime(2024, 5, 1), datetime(2024, 5, 1, 1))
    rows = [
        # RI hour: effective 0.40; its fee line's unused share 0.10 -> 80 %
        {"line_item_line_item_type": "DiscountedUsage", "line_item_unblended_cost": 0.0,
         "reservation_effective_cost": 0.40, "reservation_reservation_a_r_n": RI,
         "reservation_end_time": "2024-06-15T00:00:00Z", "pricing_public_on_demand_cost": 0.70},
        {"line_item_line_item_type": "RIFee", "line_item_unblended_cost": 0.50,
         "reservation_unused_recurring_fee": 0.10, "reservation_reservation_a_r_n": RI,
         "reservation_end_time": "2024-06-15T00:00:00Z"},
        # SP hour: effective 0.90, commitment 1.00 used 0.90 -> unused 0.10, 90 %
        {"line_item_line_item_type": "SavingsPlanCoveredUsage", "line_item_unblended_cost": 1.20,
         "savings_plan_savings_plan_effective_cost": 0.90, "savings_plan_savings_plan_a_r_n": SP,
         "savings_plan_end_time": "2025-04-30T23:59:59Z", "pricing_public_on_demand_cost": 1.20},
        {"line_item_line_item_type": "SavingsPlanRecurringFee", "line_item_unblended_cost": 1.00,
         "savings_plan_total_commitment_to_date": 1.00, "savings_plan_used_commitment": 0.90,
         "savings_plan_savings_plan_a_r_n": SP, "savings_plan_end_time": "2025-04-30T23:59:59Z"},
    ]
    names = sorted({k for r in rows for k in r})
    strings = {"line_item_line_item_type", "reservation_reservation_a_r_n", "savings_plan_savings_plan_a_r_n",
               "reservation_end_time", "savings_plan_end_time"}
    schema = pa.schema([("line_item_usage_start_date", pa.timestamp("us")), ("line_item_usage_end_date",
                        pa.timestamp("us")), ("line_item_usage_account_id", pa.string())]
                       + [(n, pa.string() if n in strings else pa.float64()) for n in names])
    table = pa.Table.from_pylist([{"line_item_usage_start_date": hour[0], "line_item_usage_end_date": hour[1],
                                   "line_item_usage_account_id": "1111", **r} for r in rows], schema=schema)
    path = tmp_path / "cur2.parquet"
    pq.write_table(table, path)
    found = {c.commitment_id: c for c in commitments(open_files((str(path),)))}
    ri, sp = found[RI], found[SP]
    assert (ri.end, sp.end) == (date(2024, 6, 15), date(2025, 4, 30))
    assert round(ri.utilization or 0, 2) == 80.00 and round(sp.utilization or 0, 2) == 90.00
    assert round(ri.savings or 0, 2) == 0.20 and round(sp.savings or 0, 2) == 0.20  # 0.70-0.40-0.10; 1.20-0.90-0.10
