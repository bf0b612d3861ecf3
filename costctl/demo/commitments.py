"""The demo's commitment discounts: what each one is, how much it buys, and when its term ends.

Covered usage rows come from the catalog (items whose ``commitment`` names one of these ids); the
generator adds, per day, an Unused row for the share of the day's capacity that covered usage
did not use, as a FOCUS export does. Capacities are set from the catalog so that the planted
situations hold whatever the noise: the Azure reservation buys more than its VMs use (about 85%
utilization: under-used), the AWS Savings Plan ends three weeks after the data's last day, the
Reserved Instance and the GCP CUD are well used. Purchases are not billed as rows: the demo's
covered usage already bills its on-demand price, and a purchase row would count it twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from costctl.demo.catalog import Account, LineItem


@dataclass(frozen=True)
class CommitmentSpec:
    """One commitment discount of the demo."""

    commitment_id: str
    name: str
    type: str  # CommitmentDiscountType
    category: str  # CommitmentDiscountCategory: Spend (money per hour) or Usage (units of a resource)
    account: Account  # the account that bought it (its Unused rows are billed there)
    utilization: float  # covered usage of a full day / the day's capacity
    end_offset: int | None  # the term ends this many days after the demo's last day; None: the source has no end


SAVINGS_PLAN = "arn:aws:savingsplans::111122223333:savingsplan/3f8c2a91-6b7d-4e0f-9a15-c2d4e6f80b13"
RESERVED_INSTANCE = "arn:aws:ec2:us-east-1:210987654321:reserved-instances/7d4e2b19-0c8a-4f63-b5e1-9a2c3d4e5f60"
AZURE_RESERVATION = "/providers/Microsoft.Capacity/reservationOrders/2c7e9a41-5d3b-4f8e-a1c6-7b9d0e2f4a85"
GCP_CUD = "projects/acme-prod-361214/regions/europe-west1/commitments/commitment-n2-worker-1y"


def specs() -> dict[str, CommitmentSpec]:
    """Commitment id -> its spec (imported lazily: the catalogs import this module's ids)."""
    from costctl.demo.catalog_aws import AWS_PROD
    from costctl.demo.catalog_azure import AZ_PROD
    from costctl.demo.catalog_gcp import GCP_PROD

    return {s.commitment_id: s for s in (
        CommitmentSpec(SAVINGS_PLAN, "Compute Savings Plan 1y no upfront", "Savings Plan", "Spend", AWS_PROD,
                       1.0, 22),
        CommitmentSpec(RESERVED_INSTANCE, "2x c6i.8xlarge us-east-1 3y", "Reserved Instance", "Usage", AWS_PROD,
                       1.0, 400),
        CommitmentSpec(AZURE_RESERVATION, "VM_RI_Dsv5_WestEurope", "Reservation", "Usage", AZ_PROD, 0.86, None),
        CommitmentSpec(GCP_CUD, "commitment-n2-worker-1y", "Committed Use Discount", "Usage", GCP_PROD, 1.0, None),
    )}


def full_day_cost(items: list[LineItem], commitment_id: str) -> float:
    """Effective cost of the covered items running a full day: the base of the commitment's capacity."""
    return sum(i.quantity * i.price * (1.0 - i.discount) for i in items if i.commitment == commitment_id)
