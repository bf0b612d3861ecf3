"""A local stand-in for the Azure Resource Manager APIs the idle scan reads (and a managed-identity token endpoint).

The tests run the real ``ComputeManagementClient``, ``NetworkManagementClient`` and
``MonitorManagementClient`` against this ``http.server``. It speaks their documented wire format:

* ``GET /subscriptions/{id}/providers/Microsoft.Compute/disks``,
  ``.../Microsoft.Compute/virtualMachines`` (with ``statusOnly=true``: each VM with
  ``properties.instanceView`` only) and ``.../Microsoft.Network/publicIPAddresses``: ``{"value": [...],
  "nextLink": ...}`` pages of ``page_size`` items, ``nextLink`` an absolute URL with ``$skiptoken``;
* ``GET /{resourceUri}/providers/Microsoft.Insights/metrics?timespan=..&interval=P1D&metricnames=..
  &aggregation=Average``: a ``Response`` with one ``timeseries`` whose ``data`` are the daily points
  that fall inside the requested timespan (so a scan asking for the wrong window sees other data);
* ``GET /subscriptions/{id}/providers/Microsoft.Advisor/recommendations?$filter=Category eq 'Cost'``:
  the ``advisor`` recommendations in pages like the listings (``advisor_answer``, when set, is sent
  as the whole body instead: a malformed answer);
* ``GET /msi/token`` (App Service style managed identity: ``IDENTITY_ENDPOINT`` + ``IDENTITY_HEADER``);
* ``POST .../Microsoft.CostManagement/query``: an empty QueryResult, so the records load is quiet.

Every ARM request must carry the bearer token and an ``api-version``. Listings named in ``deny``
answer 403 ``AuthorizationFailed`` like Resource Manager does for a missing role assignment.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from fake_costmanagement import IDENTITY_HEADER, TOKEN

from local_http import JsonHandler, LocalHttp

ISO = "%Y-%m-%dT%H:%M:%SZ"
LISTINGS = {
    "Microsoft.Compute/disks": "disks",
    "Microsoft.Compute/virtualMachines": "virtual_machines",
    "Microsoft.Network/publicIPAddresses": "public_ips",
    "Microsoft.Advisor/recommendations": "advisor",
}


def arm_id(sub: str, rg: str, kind: str, name: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{kind}/{name}"


def disk(sub: str, rg: str, name: str, gib: int, sku: str, state: str, *, created: datetime,
         owner_changed: datetime | None = None, managed_by: str | None = None, location: str = "westeurope",
         iops: int | None = None, mbps: int | None = None) -> dict[str, Any]:
    """A managed disk as ``Disks - List`` returns it (with provisioned IOPS/MB/s when given)."""
    props: dict[str, Any] = {"diskSizeGB": gib, "diskState": state, "timeCreated": created.strftime(ISO),
                             "provisioningState": "Succeeded"}
    if iops is not None:
        props["diskIOPSReadWrite"] = iops
    if mbps is not None:
        props["diskMBpsReadWrite"] = mbps
    if owner_changed:
        props["LastOwnershipUpdateTime"] = owner_changed.strftime(ISO)  # sic: the spec capitalizes this one
    out = {"id": arm_id(sub, rg, "Microsoft.Compute/disks", name), "name": name, "location": location,
           "type": "Microsoft.Compute/disks", "sku": {"name": sku, "tier": sku.split("_")[0]}, "properties": props}
    if managed_by:
        out["managedBy"] = managed_by
    return out


def vm(sub: str, rg: str, name: str, size: str, power: str, disks: list[dict[str, Any]], *, operated: datetime,
       location: str = "westeurope", os_type: str = "Linux", license_type: str | None = None) -> dict[str, Any]:
    """A VM (full model) plus its instance view under ``_view`` (served only with statusOnly=true)."""
    def ref(d: dict[str, Any], lun: int | None) -> dict[str, Any]:
        entry = {"name": d["name"], "createOption": "Attach" if lun is not None else "FromImage",
                 "diskSizeGB": d["properties"]["diskSizeGB"],
                 "managedDisk": {"id": d["id"], "storageAccountType": d["sku"]["name"]}}
        return {**entry, "lun": lun} if lun is not None else {**entry, "osType": os_type}

    out = {
        "id": arm_id(sub, rg, "Microsoft.Compute/virtualMachines", name), "name": name, "location": location,
        "type": "Microsoft.Compute/virtualMachines",
        "properties": {
            "hardwareProfile": {"vmSize": size},
            "storageProfile": {"osDisk": ref(disks[0], None),
                               "dataDisks": [ref(d, i) for i, d in enumerate(disks[1:])]},
            "provisioningState": "Succeeded",
        },
        "_view": {"statuses": [
            {"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded",
             "time": operated.strftime(ISO)},
            {"code": f"PowerState/{power}", "level": "Info", "displayStatus": f"VM {power}"},
        ]},
    }
    if license_type:
        out["properties"]["licenseType"] = license_type
    return out


def public_ip(sub: str, rg: str, name: str, address: str, *, method: str = "Static", sku: str = "Standard",
              nic: str | None = None, location: str = "westeurope") -> dict[str, Any]:
    props: dict[str, Any] = {"publicIPAllocationMethod": method, "ipAddress": address,
                             "publicIPAddressVersion": "IPv4", "provisioningState": "Succeeded"}
    if nic:
        props["ipConfiguration"] = {"id": f"{nic}/ipConfigurations/ipconfig1"}
    return {"id": arm_id(sub, rg, "Microsoft.Network/publicIPAddresses", name), "name": name, "location": location,
            "type": "Microsoft.Network/publicIPAddresses", "sku": {"name": sku, "tier": "Regional"},
            "properties": props}


def advice(sub: str, resource: str, problem: str, monthly: float | None, *, annual: float | None = None,
           field_name: str = "Microsoft.Compute/virtualMachines", region: str = "westeurope") -> dict[str, Any]:
    """One Advisor cost recommendation as ``Recommendations - List`` returns it (2023-01-01)."""
    extended: dict[str, str] = {"savingsCurrency": "USD", "region": region}
    if monthly is not None:
        extended["savingsAmount"] = str(monthly)
    if annual is not None:
        extended["annualSavingsAmount"] = str(annual)
    return {"id": f"/subscriptions/{sub}/providers/Microsoft.Advisor/recommendations/{abs(hash(resource)):x}",
            "type": "Microsoft.Advisor/recommendations", "name": f"{abs(hash(resource)):x}",
            "properties": {"category": "Cost", "impact": "High", "impactedField": field_name,
                           "impactedValue": resource.rsplit("/", 1)[-1],
                           "resourceMetadata": {"resourceId": resource, "source": "advisor"},
                           "shortDescription": {"problem": problem, "solution": problem},
                           "extendedProperties": extended}}


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]


@dataclass
class FakeArm(LocalHttp):
    """The resources served, the metric points per resource id, and the requests seen."""

    page_size: int = 2
    disks: list[dict[str, Any]] = field(default_factory=list)
    virtual_machines: list[dict[str, Any]] = field(default_factory=list)
    public_ips: list[dict[str, Any]] = field(default_factory=list)
    cpu: dict[str, list[tuple[datetime, float]]] = field(default_factory=dict)  # resource id (lower) -> points
    advisor: list[dict[str, Any]] = field(default_factory=list)  # Advisor recommendations (``advice``)
    advisor_answer: Any = None  # sent as is instead of the advisor page (tests of malformed answers)
    # the subscriptions ARM lists ({"subscriptionId", "state"}), and those of management groups (id -> [ids])
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    management_groups: dict[str, list[str]] = field(default_factory=dict)
    deny: set[str] = field(default_factory=set)  # "disks", "virtual_machines", "public_ips", "metrics", "advisor",
    # "subscriptions"
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self._serve(_Handler)

    def daily_cpu(self, resource_id: str, now: datetime, values: list[float]) -> None:
        """One average a day for the days before ``now``, newest first."""
        self.cpu[resource_id.lower()] = [(now - timedelta(days=i + 1), v) for i, v in enumerate(values)]

    def requests(self, listing: str) -> list[Seen]:
        """Requests received for one listing name (``disks``...) or ``metrics``."""
        return [s for s in self.seen if _listing(s.path) == listing]

    def requests_to(self, path: str) -> list[Seen]:
        """Requests received for one path (``/subscriptions``)."""
        return [s for s in self.seen if s.path == path]

    # --- answers ---------------------------------------------------------------------------------

    def page(self, listing: str, sub: str, path: str, query: dict[str, list[str]]) -> dict[str, Any]:
        status_only = query.get("statusOnly", ["false"])[0].lower() == "true"
        items = [i for i in getattr(self, listing) if i["id"].lower().startswith(f"/subscriptions/{sub.lower()}/")]
        skip = int(query.get("$skiptoken", ["0"])[0])
        chunk = [_served(i, status_only) for i in items[skip:skip + self.page_size]]
        answer: dict[str, Any] = {"value": chunk}
        if skip + self.page_size < len(items):
            params = {"api-version": query["api-version"][0], "$skiptoken": str(skip + self.page_size)}
            if status_only:
                params["statusOnly"] = "true"
            answer["nextLink"] = f"{self.url}{path}?{urlencode(params)}"
        return answer

    def subscription_page(self, path: str, query: dict[str, list[str]]) -> dict[str, Any]:
        """``GET /subscriptions`` (2022-12-01) or a management group's subscriptions (2021-04-01), paged by one."""
        if path == "/subscriptions":
            assert query["api-version"] == ["2022-12-01"], query
            items = [{"id": f"/subscriptions/{s['subscriptionId']}", "displayName": s["subscriptionId"][-4:], **s}
                     for s in self.subscriptions]
        else:
            assert query["api-version"] == ["2021-04-01"], query
            group = path.split("/")[4]
            items = [{"id": f"{path}/{sub}", "type": "Microsoft.Management/managementGroups/subscriptions",
                      "name": sub, "properties": {"displayName": sub[-4:], "state": "Active",
                                                  "parent": {"id": f"/providers/Microsoft.Management/"
                                                                   f"managementGroups/{group}"}}}
                     for sub in self.management_groups.get(group, [])]
        skip = int(query.get("$skiptoken", ["0"])[0])
        answer: dict[str, Any] = {"value": items[skip:skip + 1]}
        if skip + 1 < len(items):
            params = {"api-version": query["api-version"][0], "$skiptoken": skip + 1}
            answer["nextLink"] = f"{self.url}{path}?{urlencode(params)}"
        return answer

    def metrics(self, resource: str, query: dict[str, list[str]]) -> dict[str, Any]:
        start, end = (datetime.strptime(t, ISO).replace(tzinfo=None) for t in query["timespan"][0].split("/"))
        assert query["metricnames"] == ["Percentage CPU"] and query["aggregation"] == ["Average"], query
        assert query["interval"] == ["P1D"], query
        points = [(t.replace(tzinfo=None), v) for t, v in self.cpu.get(resource.lower(), [])]
        data = [{"timeStamp": t.strftime(ISO), "average": v} for t, v in sorted(points) if start <= t < end]
        return {
            "cost": 0, "timespan": query["timespan"][0], "interval": "P1D",
            "namespace": "Microsoft.Compute/virtualMachines",
            "resourceregion": "westeurope",
            "value": [{"id": f"{resource}/providers/Microsoft.Insights/metrics/Percentage CPU",
                       "type": "Microsoft.Insights/metrics", "unit": "Percent", "errorCode": "Success",
                       "name": {"value": "Percentage CPU", "localizedValue": "Percentage CPU"},
                       "timeseries": [{"metadatavalues": [], "data": data}]}],
        }


def _served(item: dict[str, Any], status_only: bool) -> dict[str, Any]:
    out = {k: v for k, v in item.items() if k != "_view"}
    if "_view" in item and status_only:
        out["properties"] = {"instanceView": item["_view"]}
    return out


def _listing(path: str) -> str | None:
    if path.endswith("/providers/Microsoft.Insights/metrics"):
        return "metrics"
    for suffix, name in LISTINGS.items():
        if path.endswith(f"/providers/{suffix}"):
            return name
    return None


class _Handler(JsonHandler):
    fake: FakeArm

    def _error(self, status: int, code: str, message: str) -> None:
        self._send(status, {"error": {"code": code, "message": message}})

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        with self.fake.lock:
            self.fake.seen.append(Seen("GET", parts.path, query))
        if parts.path == "/msi/token":
            if self.headers.get("X-IDENTITY-HEADER") != IDENTITY_HEADER:
                self._error(401, "Unauthorized", "bad identity header")
                return
            self._send(200, {"access_token": TOKEN, "expires_on": str(int(time.time()) + 3600),
                             "resource": query.get("resource", [""])[0], "token_type": "Bearer"})
            return
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._error(401, "AuthenticationFailed", "missing or invalid bearer token")
            return
        if "api-version" not in query:
            self._error(400, "MissingApiVersionParameter", "The api-version query parameter is required")
            return
        if parts.path == "/subscriptions" or (parts.path.startswith("/providers/Microsoft.Management/managementGroups/")
                                              and parts.path.endswith("/subscriptions")):
            if "subscriptions" in self.fake.deny:
                self._error(403, "AuthorizationFailed", "The client does not have authorization to perform action "
                                                        "'Microsoft.Resources/subscriptions/read'")
                return
            self._send(200, self.fake.subscription_page(parts.path, query))
            return
        listing = _listing(parts.path)
        if listing is None:
            self._error(404, "NotFound", f"no route {parts.path}")
            return
        if listing in self.fake.deny:
            self._error(403, "AuthorizationFailed", f"The client does not have authorization to perform action "
                                                    f"over scope '{parts.path}'")
            return
        if listing == "metrics":
            resource = parts.path.removesuffix("/providers/Microsoft.Insights/metrics")
            if not resource.startswith("/subscriptions/") or resource.startswith("//"):
                self._error(400, "BadRequest", f"bad resource uri {resource}")
                return
            self._send(200, self.fake.metrics(resource, query))
            return
        sub = parts.path.split("/")[2]
        if listing == "advisor" and self.fake.advisor_answer is not None:
            self._send(200, self.fake.advisor_answer)
            return
        if listing == "advisor" and "$skiptoken" not in query:
            assert query.get("$filter") == ["Category eq 'Cost'"], query
        self._send(200, self.fake.page(listing, sub, parts.path, query))

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        parts = urlsplit(self.path)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.fake.lock:
            self.fake.seen.append(Seen("POST", parts.path, parse_qs(parts.query)))
        if not parts.path.endswith("/providers/Microsoft.CostManagement/query"):
            self._error(404, "NotFound", f"no route {parts.path}")
            return
        columns = ["ServiceName", "SubscriptionId", "SubscriptionName", "ResourceLocation", "ChargeType",
                   "UsageDate", "Currency", "Cost"]
        self._send(200, {"properties": {"nextLink": None, "rows": [],
                                        "columns": [{"name": c, "type": "String"} for c in columns]}})
