"""The PyInstaller spec's trimming (packaging/costctl.spec) against what the source actually calls.

The binary keeps only the botocore service models costctl calls (the rest is 28 MB of the folder);
a call to a service left out would fail only inside the binary, with ``UnknownServiceError``, so
every service the source names in ``call``/``pages``/``client`` must be a kept model.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# call("ce", "GetCostAndUsage", ...), pages("ec2", "DescribeVolumes", ...), client("s3"), also across lines
CALL = re.compile(r"\b(?:call|pages|client)\(\s*\"([a-z0-9-]+)\"")


def _kept_services() -> set[str]:
    tree = ast.parse((ROOT / "packaging" / "costctl.spec").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "BOTOCORE_SERVICES" for t in node.targets):
            return set(ast.literal_eval(node.value))
    raise AssertionError("BOTOCORE_SERVICES not found in packaging/costctl.spec")


def test_every_aws_service_the_source_calls_keeps_its_botocore_model() -> None:
    aws_modules = list((ROOT / "costctl" / "clouds" / "aws").rglob("*.py"))
    called = {m.group(1) for path in aws_modules for m in CALL.finditer(path.read_text())}
    assert {"ce", "sts", "s3", "athena", "glue", "ec2", "pricing", "cloudwatch"} <= called  # the pattern finds calls
    assert called <= _kept_services(), sorted(called - _kept_services())
