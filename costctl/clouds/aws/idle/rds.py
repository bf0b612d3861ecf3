"""RDS check: instances with almost no CPU or no connections at all over the window."""

from __future__ import annotations

from collections.abc import Iterator

from costctl.clouds.aws.idle import metrics as aws_metrics
from costctl.clouds.aws.idle.api import Api
from costctl.idle.findings import Finding
from costctl.idle.scope import Scope


def databases(api: Api, scope: Scope) -> Iterator[Finding]:
    """``db_idle``: average CPU below the limit, or a maximum of 0 connections, over ``db_days``."""
    lim = scope.limits
    for db in api.pages("rds", "DescribeDBInstances", "DBInstances"):
        if db.get("DBInstanceStatus") != "available":
            continue
        ident, cls = db["DBInstanceIdentifier"], db.get("DBInstanceClass", "")
        dims = {"DBInstanceIdentifier": ident}
        cpu = aws_metrics.average(api, "AWS/RDS", "CPUUtilization", dims, scope.now, lim.db_days)
        conns = aws_metrics.maximum(api, "AWS/RDS", "DatabaseConnections", dims, scope.now, lim.db_days)
        reasons = []
        if conns.value is not None and conns.value == 0:
            reasons.append(f"0 connections over {lim.db_days} d")
        if cpu.value is not None and cpu.value < lim.db_cpu_percent:
            reasons.append(f"avg CPU {cpu.value:.1f} % over {lim.db_days} d")
        if not reasons:
            continue
        yield Finding(scope.provider, scope.account, scope.region, db.get("DBInstanceArn") or ident, "rds:db",
                      "db_idle", f"{', '.join(reasons)} ({cls})", "snapshot, then stop or delete", action="stop",
                      price_hints={"kind": "rds_instance", "instance_class": cls, "engine": db.get("Engine", ""),
                                   "multi_az": bool(db.get("MultiAZ"))})
