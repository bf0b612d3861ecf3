"""Local stand-ins for the Compute Engine REST API and the Cloud Monitoring gRPC API.

The tests run the real ``google.cloud.compute_v1`` clients (REST transport) and the real
``monitoring_v3.MetricServiceClient`` (gRPC transport; the installed google-cloud-monitoring has no
REST transport) against these servers, which speak each API's wire format:

* ``GET /compute/v1/projects/{project}/aggregated/{disks|instances|addresses}``: JSON
  ``{"kind", "items": {"zones/Z" | "regions/R": {"<kind>": [...]} | {"warning": ...}}, "nextPageToken"}``
  with ``page_size`` resources a page, timestamps in RFC 3339 with a -08:00 offset as Google sends
  them, 64-bit integers as strings; a denied listing answers 403 with Google's error body.
* ``GET /v1/projects/{project}/locations/{region}/recommenders/{recommender}/recommendations``
  (the Recommender REST API): ``{"recommendations": [...], "nextPageToken"}`` from
  ``recommendations[(project, location, recommender id)]`` or ``recommendations[(project, location)]``
  (a list of pages), ``{}`` where there are none; recommenders in ``recommender_deny`` answer 403;
  ``recommender_script`` holds (status, body) answers served first, one per request.
* ``google.monitoring.v3.MetricService/ListTimeSeries`` over gRPC (protobuf): one ``TimeSeries``
  per instance with the daily points inside the request's interval, ``series_page_size`` series a
  page with ``next_page_token``; the request must ask for daily ``ALIGN_MEAN`` of CPU utilization.
"""

from __future__ import annotations

import threading
from concurrent import futures
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from local_http import JsonHandler

BASE = "https://www.googleapis.com/compute/v1"
PACIFIC = timezone(timedelta(hours=-8))
KINDS = {"disks": "compute#diskAggregatedList", "instances": "compute#instanceAggregatedList",
         "addresses": "compute#addressAggregatedList", "commitments": "compute#commitmentAggregatedList"}
CPU_METRIC = "compute.googleapis.com/instance/cpu/utilization"


def stamp(when: datetime) -> str:
    return when.astimezone(PACIFIC).isoformat(timespec="milliseconds")


def gce_disk(project: str, zone: str, name: str, gb: int, disk_type: str, *, created: datetime,
             users: list[str] | None = None, detached: datetime | None = None, iops: int | None = None,
             throughput: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": "compute#disk", "id": str(abs(hash((project, zone, name))) % 10**18), "name": name,
        "sizeGb": str(gb), "zone": f"{BASE}/projects/{project}/zones/{zone}", "status": "READY",
        "selfLink": f"{BASE}/projects/{project}/zones/{zone}/disks/{name}",
        "type": f"{BASE}/projects/{project}/zones/{zone}/diskTypes/{disk_type}",
        "creationTimestamp": stamp(created),
    }
    if users:
        out["users"] = users
    if detached:
        out["lastDetachTimestamp"] = stamp(detached)
    if iops is not None:
        out["provisionedIops"] = str(iops)  # int64: a string on the wire
    if throughput is not None:
        out["provisionedThroughput"] = str(throughput)
    return out


def gce_instance(project: str, zone: str, name: str, iid: int, machine: str, status: str,
                 disks: list[dict[str, Any]], *, stopped: datetime | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": "compute#instance", "id": str(iid), "name": name, "status": status,
        "zone": f"{BASE}/projects/{project}/zones/{zone}",
        "machineType": f"{BASE}/projects/{project}/zones/{zone}/machineTypes/{machine}",
        "selfLink": f"{BASE}/projects/{project}/zones/{zone}/instances/{name}",
        "disks": [{"kind": "compute#attachedDisk", "index": i, "boot": i == 0, "source": d["selfLink"],
                   "diskSizeGb": d["sizeGb"], "deviceName": d["name"]} for i, d in enumerate(disks)],
        "creationTimestamp": stamp(datetime(2025, 1, 1, tzinfo=UTC)),
    }
    if stopped:
        out["lastStopTimestamp"] = stamp(stopped)
    return out


def gce_address(project: str, region: str, name: str, ip: str, status: str, *,
                address_type: str = "EXTERNAL") -> dict[str, Any]:
    return {"kind": "compute#address", "id": str(abs(hash((project, name))) % 10**18), "name": name,
            "address": ip, "status": status, "addressType": address_type,
            "region": f"{BASE}/projects/{project}/regions/{region}",
            "selfLink": f"{BASE}/projects/{project}/regions/{region}/addresses/{name}"}


def gce_commitment(project: str, region: str, name: str, plan: str, status: str, *, start: datetime,
                   end: datetime, vcpus: int = 8, memory_mb: int = 32768) -> dict[str, Any]:
    """A Compute Engine Commitment resource as regionCommitments lists it (64-bit integers as strings)."""
    return {"kind": "compute#commitment", "id": str(abs(hash(name)) % 10**18), "name": name, "status": status,
            "plan": plan, "type": "GENERAL_PURPOSE_N2", "category": "MACHINE", "autoRenew": False,
            "startTimestamp": stamp(start), "endTimestamp": stamp(end), "creationTimestamp": stamp(start),
            "region": f"{BASE}/projects/{project}/regions/{region}",
            "resources": [{"type": "VCPU", "amount": str(vcpus)}, {"type": "MEMORY", "amount": str(memory_mb)}],
            "selfLink": f"{BASE}/projects/{project}/regions/{region}/commitments/{name}"}


@dataclass
class FakeGcp:
    """Resources per project, CPU points per instance id, denied listings, and the requests seen."""

    page_size: int = 2
    series_page_size: int = 1
    disks: list[dict[str, Any]] = field(default_factory=list)
    instances: list[dict[str, Any]] = field(default_factory=list)
    addresses: list[dict[str, Any]] = field(default_factory=list)
    commitments: list[dict[str, Any]] = field(default_factory=list)  # regionCommitments, as gce_commitment makes
    cpu: dict[str, list[tuple[datetime, float]]] = field(default_factory=dict)  # instance id -> (time, 0..1)
    deny: set[str] = field(default_factory=set)  # "disks", "instances", "addresses", "metrics"
    seen: list[tuple[str, dict[str, list[str]]]] = field(default_factory=list)  # (path, query) of REST calls
    metric_requests: list[Any] = field(default_factory=list)  # ListTimeSeriesRequest messages
    recommendations: dict[tuple[str, ...], list[list[dict[str, Any]]]] = field(default_factory=dict)
    recommender_script: list[tuple[int, bytes]] = field(default_factory=list)
    # Recommender ids (``google.compute.disk.IdleResourceRecommender``...) answering 403 like IAM does.
    recommender_deny: set[str] = field(default_factory=set)

    def recommender_requests(self) -> list[tuple[str, dict[str, list[str]]]]:
        return [(p, q) for p, q in self.seen if p.endswith("/recommendations")]

    def __post_init__(self) -> None:
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Handler,), {"fake": self}))
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.grpc = _grpc_server(self)

    @property
    def compute_url(self) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}"

    @property
    def monitoring_url(self) -> str:
        return f"http://127.0.0.1:{self.grpc_port}"

    def daily_cpu(self, iid: int, now: datetime, values: list[float]) -> None:
        """One utilization (0..1) a day for the days before ``now``, newest first."""
        self.cpu[str(iid)] = [(now - timedelta(days=i + 1), v) for i, v in enumerate(values)]

    def requests(self, kind: str) -> list[dict[str, list[str]]]:
        return [q for path, q in self.seen if path.endswith(f"/aggregated/{kind}")]

    def start(self) -> FakeGcp:
        self.thread.start()
        self.grpc.start()
        return self

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()
        self.grpc.stop(None)

    def page(self, kind: str, project: str, token: str | None) -> dict[str, Any]:
        items = [i for i in getattr(self, kind) if f"/projects/{project}/" in i["selfLink"]]
        skip = int(token or 0)
        grouped: dict[str, dict[str, Any]] = {}
        for item in items[skip:skip + self.page_size]:
            where = "/".join(item["selfLink"].split("/")[-4:-2])  # zones/Z or regions/R
            grouped.setdefault(where, {kind: []})[kind].append(item)
        if skip == 0:  # Google lists scopes without resources with a warning, on the first page
            grouped.setdefault("zones/asia-east1-a", {"warning": {
                "code": "NO_RESULTS_ON_PAGE", "message": "There are no results for scope 'zones/asia-east1-a'.",
                "data": [{"key": "scope", "value": "zones/asia-east1-a"}]}})
        answer: dict[str, Any] = {"kind": KINDS[kind], "id": f"projects/{project}/aggregated/{kind}",
                                  "items": grouped, "selfLink": f"{BASE}/projects/{project}/aggregated/{kind}"}
        if skip + self.page_size < len(items):
            answer["nextPageToken"] = str(skip + self.page_size)
        return answer

    def time_series(self, request: Any) -> Any:
        """The ListTimeSeriesResponse for one request (``request`` is the protobuf message)."""
        from google.api import metric_pb2
        from google.cloud.monitoring_v3 import types

        start, end = request.interval.start_time, request.interval.end_time  # proto-plus: aware datetimes
        ids = sorted(self.cpu)
        skip = int(request.page_token or 0)
        series = []
        for iid in ids[skip:skip + self.series_page_size]:
            points = [types.Point(interval={"start_time": t - timedelta(days=1), "end_time": t},
                                  value={"double_value": v})
                      for t, v in sorted(self.cpu[iid], reverse=True) if start <= t <= end]
            series.append(types.TimeSeries(
                metric={"type": CPU_METRIC, "labels": {"instance_name": f"vm-{iid}"}},
                resource={"type": "gce_instance", "labels": {"instance_id": iid, "zone": "us-central1-a",
                                                             "project_id": request.name.split("/")[1]}},
                metric_kind=metric_pb2.MetricDescriptor.GAUGE, value_type=metric_pb2.MetricDescriptor.DOUBLE,
                points=points))
        token = str(skip + self.series_page_size) if skip + self.series_page_size < len(ids) else ""
        return types.ListTimeSeriesResponse(time_series=series, next_page_token=token)


def _grpc_server(fake: FakeGcp) -> Any:
    import grpc
    from google.cloud.monitoring_v3 import types

    def list_time_series(request: Any, context: Any) -> Any:
        fake.metric_requests.append(request)
        if "metrics" in fake.deny:
            context.abort(grpc.StatusCode.PERMISSION_DENIED,
                          f"Permission monitoring.timeSeries.list denied (or the resource may not exist) "
                          f"on {request.name}")
        aggregation = request.aggregation
        if (CPU_METRIC not in request.filter or aggregation.alignment_period != timedelta(days=1)
                or aggregation.per_series_aligner != types.Aggregation.Aligner.ALIGN_MEAN):
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"unexpected request {request}")
        return fake.time_series(request)

    handler = grpc.method_handlers_generic_handler("google.monitoring.v3.MetricService", {
        "ListTimeSeries": grpc.unary_unary_rpc_method_handler(
            list_time_series, request_deserializer=types.ListTimeSeriesRequest.deserialize,
            response_serializer=types.ListTimeSeriesResponse.serialize)})
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((handler,))
    fake.grpc_port = server.add_insecure_port("127.0.0.1:0")
    return server


class _Handler(JsonHandler):
    fake: FakeGcp

    content_type = "application/json; charset=UTF-8"

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        self.fake.seen.append((parts.path, query))
        if parts.path.startswith("/v1/projects/") and parts.path.endswith("/recommendations"):
            self._recommendations(parts.path, query)
            return
        bits = parts.path.split("/")  # '', compute, v1, projects, P, aggregated, KIND
        if len(bits) != 7 or bits[1:4] != ["compute", "v1", "projects"] or bits[5] != "aggregated" \
                or bits[6] not in KINDS:
            self._send(404, {"error": {"code": 404, "message": f"no route {parts.path}",
                                       "errors": [{"reason": "notFound", "domain": "global"}]}})
            return
        project, kind = bits[4], bits[6]
        if kind in self.fake.deny:
            message = f"Required 'compute.{kind}.list' permission for 'projects/{project}'"
            self._send(403, {"error": {"code": 403, "message": message,
                                       "errors": [{"message": message, "domain": "global", "reason": "forbidden"}]}})
            return
        self._send(200, self.fake.page(kind, project, query.get("pageToken", [None])[0]))

    def _recommendations(self, path: str, query: dict[str, list[str]]) -> None:
        if self.fake.recommender_script:
            status, body = self.fake.recommender_script.pop(0)
            self.send_response(status)
            self.send_header("Content-Type", self.content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        bits = path.split("/")  # '', v1, projects, P, locations, R, recommenders, ID, recommendations
        if bits[7] in self.fake.recommender_deny:
            message = f"Permission denied for {bits[7]} on projects/{bits[3]}"
            self._send(403, {"error": {"code": 403, "message": message, "status": "PERMISSION_DENIED"}})
            return
        pages = self.fake.recommendations.get((bits[3], bits[5], bits[7])) or \
            self.fake.recommendations.get((bits[3], bits[5]))
        if not pages:
            self._send(200, {})
            return
        index = int(query.get("pageToken", ["0"])[0])
        answer: dict[str, Any] = {"recommendations": pages[index]}
        if index + 1 < len(pages):
            answer["nextPageToken"] = str(index + 1)
        self._send(200, answer)
