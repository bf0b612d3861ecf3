"""A local AWS Compute Optimizer (JSON protocol, ``X-Amz-Target: ComputeOptimizerService.<Operation>``)
for the idle recommender tests: the real boto3 client talks to it through ``endpoint_url``.

It answers ``GetEC2InstanceRecommendations``, ``GetEBSVolumeRecommendations``,
``GetLambdaFunctionRecommendations`` and ``GetRDSDatabaseRecommendations`` from the lists it is
given, one item per page (so paging through ``nextToken`` is exercised). Mode ``denied`` (or an
operation in ``deny``) answers the 400 ``AccessDeniedException`` AWS sends without the IAM action;
mode ``malformed`` answers 200 with a recommendation that names no resource (no ARN). ``requests``
keeps every operation asked.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from local_http import JsonHandler, LocalHttp

# operation -> (answer's list key, attribute of the stand-in holding the items)
LISTS = {"GetEC2InstanceRecommendations": ("instanceRecommendations", "instances"),
         "GetEBSVolumeRecommendations": ("volumeRecommendations", "volumes"),
         "GetLambdaFunctionRecommendations": ("lambdaFunctionRecommendations", "functions"),
         "GetRDSDatabaseRecommendations": ("rdsDBRecommendations", "databases")}


class _Handler(JsonHandler):
    fake: ComputeOptimizer
    content_type = "application/x-amz-json-1.0"

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
        service, operation = self.headers["X-Amz-Target"].split(".", 1)
        assert service == "ComputeOptimizerService"
        with self.fake.lock:
            self.fake.requests.append(operation)
        if self.fake.mode == "denied" or operation in self.fake.deny:
            self._send(400, {"__type": "AccessDeniedException",
                             "message": "User is not authorized to perform this action"})
            return
        key, attribute = LISTS[operation]
        if self.fake.mode == "malformed":
            self._send(200, {key: [{"finding": "Overprovisioned", "accountId": "123456789012"}]})
            return
        items = getattr(self.fake, attribute)
        start = int(body.get("nextToken") or 0)
        answer: dict[str, Any] = {key: items[start:start + 1], "errors": []}
        if start + 1 < len(items):
            answer["nextToken"] = str(start + 1)
        self._send(200, answer)


class ComputeOptimizer(LocalHttp):
    """``ComputeOptimizer(instances, volumes).start()``; ``url`` goes to
    ``idle.compute_optimizer_endpoint_url``."""

    def __init__(self, instances: list[dict[str, Any]] | None = None, volumes: list[dict[str, Any]] | None = None,
                 mode: str = "ok") -> None:
        self.instances = instances or []
        self.volumes = volumes or []
        self.functions: list[dict[str, Any]] = []
        self.databases: list[dict[str, Any]] = []
        self.deny: set[str] = set()  # operations answering AccessDeniedException
        self.mode = mode
        self.requests: list[str] = []
        self.lock = threading.Lock()
        self._serve(_Handler)


def instance(instance_id: str, finding: str, saving: float, target: str = "t3.small", current: str = "t3.large",
             account: str = "123456789012", region: str = "us-east-1", idle: str = "False") -> dict[str, Any]:
    """One ``InstanceRecommendation`` as Compute Optimizer sends it (rank-1 option first)."""
    return {"instanceArn": f"arn:aws:ec2:{region}:{account}:instance/{instance_id}", "accountId": account,
            "currentInstanceType": current, "finding": finding, "idle": idle,
            "recommendationOptions": [
                {"instanceType": "t3.medium", "rank": 2,
                 "savingsOpportunity": {"savingsOpportunityPercentage": 10.0,
                                        "estimatedMonthlySavings": {"currency": "USD", "value": saving / 2}}},
                {"instanceType": target, "rank": 1,
                 "savingsOpportunity": {"savingsOpportunityPercentage": 50.0,
                                        "estimatedMonthlySavings": {"currency": "USD", "value": saving}}}]}


def volume(volume_id: str, saving: float, current: str = "io1", target: str = "gp3",
           account: str = "123456789012", region: str = "us-east-1") -> dict[str, Any]:
    """One ``VolumeRecommendation`` (``NotOptimized`` with the saving of moving to ``target``)."""
    return {"volumeArn": f"arn:aws:ec2:{region}:{account}:volume/{volume_id}", "accountId": account,
            "currentConfiguration": {"volumeType": current, "volumeSize": 100}, "finding": "NotOptimized",
            "volumeRecommendationOptions": [
                {"configuration": {"volumeType": target, "volumeSize": 100}, "rank": 1,
                 "savingsOpportunity": {"estimatedMonthlySavings": {"currency": "USD", "value": saving}}}]}


def function(name: str, saving: float, memory: int = 1024, target: int = 512, account: str = "123456789012",
             region: str = "us-east-1") -> dict[str, Any]:
    """One ``LambdaFunctionRecommendation`` (``NotOptimized``: less memory saves ``saving``)."""
    return {"functionArn": f"arn:aws:lambda:{region}:{account}:function:{name}:$LATEST", "accountId": account,
            "currentMemorySize": memory, "finding": "NotOptimized",
            "memorySizeRecommendationOptions": [
                {"rank": 1, "memorySize": target,
                 "savingsOpportunity": {"estimatedMonthlySavings": {"currency": "USD", "value": saving}}}]}


def database(arn: str, finding: str, saving: float, current: str = "db.m5.xlarge",
             target: str = "db.m5.large", idle: str = "False") -> dict[str, Any]:
    """One ``RDSDBRecommendation`` for the database ``arn``."""
    return {"resourceArn": arn, "accountId": arn.split(":")[4], "engine": "postgres",
            "currentDBInstanceClass": current, "instanceFinding": finding, "idle": idle,
            "instanceRecommendationOptions": [
                {"dbInstanceClass": target, "rank": 1,
                 "savingsOpportunity": {"estimatedMonthlySavings": {"currency": "USD", "value": saving}}}]}
