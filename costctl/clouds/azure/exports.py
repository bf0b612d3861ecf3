"""Azure Cost Management exports in Blob Storage -> normalized records (``exports`` mode of the azure provider).

Cost Management writes each export run under ``{directory}/{export}/{YYYYMMDD-YYYYMMDD}/``:
older exports drop one file per run straight into that billing-period folder
(``{export}_{guid}.csv``); partitioned and newer exports write a run folder
(``{runId}/part_0_0001.csv.gz`` ...) with a ``manifest.json`` (``_manifest.json`` for the older
partitioned ones) that lists the run's blobs. Every run of a month holds the whole month to date,
so only the newest run of each period is read; older runs stay in the container and are ignored.

Data blobs are downloaded in chunks to private temp files and scanned by the ingest engine the files
provider uses (EA/MCA actual, amortized and FOCUS columns; CSV, .csv.gz, Parquet), see
``costctl.providers.deliveries``; the filters run in SQL, so the loader takes the columnar path.
"""

from __future__ import annotations

import functools
import json
import logging
import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, BinaryIO

from costctl.errors import ExportFormatError, ProviderError

if TYPE_CHECKING:
    import pandas as pd

    from costctl.providers.base import FetchStats

PERIOD = re.compile(r"^(\d{8})-(\d{8})$")
MANIFESTS = ("manifest.json", "_manifest.json")
DATA_SUFFIXES = (".csv", ".csv.gz", ".gz", ".parquet")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
GET_SIZE = 4 << 20  # bytes per Blob Storage get while downloading (the SDK's default first get is 32 MB)


@dataclass
class BlobInfo:
    """What a listing tells about one blob."""

    name: str
    modified: datetime
    size: int = 0


@dataclass
class Run:
    """One export run inside a billing-period folder: its data blobs and when it was written."""

    key: str  # run folder or single file
    submitted: datetime
    blobs: list[str] = field(default_factory=list)


@dataclass
class Period:
    """A billing-period folder of one export: ``[start, end)`` dates and its runs."""

    export: str  # the path before the period folder
    folder: str
    start: date
    end: date  # exclusive
    runs: list[Run] = field(default_factory=list)

    def overlaps(self, start: date, end: date) -> bool:
        return self.start < end and start < self.end


def is_data(name: str) -> bool:
    lower = name.lower()
    return lower.endswith(DATA_SUFFIXES) and posixpath.basename(lower) not in MANIFESTS


def periods_of(blobs: Iterable[BlobInfo]) -> list[Period]:
    """Group listed blobs into billing-period folders (runs without their manifests resolved yet)."""
    found: dict[str, Period] = {}
    members: dict[str, list[BlobInfo]] = {}
    for blob in blobs:
        parts = blob.name.split("/")
        idx = next((i for i, part in enumerate(parts[:-1]) if PERIOD.match(part)), None)
        if idx is None:
            continue
        folder = "/".join(parts[: idx + 1])
        if folder not in found:
            m = PERIOD.match(parts[idx])
            assert m is not None
            lo = datetime.strptime(m.group(1), "%Y%m%d").date()
            hi = datetime.strptime(m.group(2), "%Y%m%d").date() + timedelta(days=1)
            found[folder] = Period("/".join(parts[:idx]), folder, lo, hi)
            members[folder] = []
        members[folder].append(blob)
    for folder, period in found.items():
        period.runs = runs_of(folder, members[folder])
    return sorted(found.values(), key=lambda p: (p.export, p.start))


def runs_of(folder: str, blobs: list[BlobInfo]) -> list[Run]:
    """Each file directly in the period folder is a run; so is each sub folder (a partitioned run)."""
    runs: dict[str, Run] = {}
    for blob in blobs:
        rest = blob.name[len(folder) + 1:]
        key = rest.split("/")[0] if "/" in rest else rest
        if "/" not in rest and not is_data(rest):
            continue
        run = runs.setdefault(f"{folder}/{key}", Run(f"{folder}/{key}", EPOCH))
        run.submitted = max(run.submitted, blob.modified)
        run.blobs.append(blob.name)
    return [r for r in runs.values() if any(is_data(b) or posixpath.basename(b) in MANIFESTS for b in r.blobs)]


def manifest_blobs(manifest: dict[str, Any], run: Run, names: set[str],
                   source: str = "export manifest") -> tuple[list[str], datetime | None]:
    """The data blobs a manifest lists (resolved against the listing) and its submitted time.

    A manifest without a ``blobs`` list, with an entry that names no blob, or whose ``blobCount``
    disagrees with its list is cut short or of another shape: a failed fetch, never a run with
    fewer files (or none, which would make its month cost nothing).
    """
    from costctl.providers.answers import bad, field, same_count

    entries = field(manifest, "blobs", list, source)
    listed = []
    for i, entry in enumerate(entries):
        name = field(entry, "blobName", str, source, f"blobs[{i}]")
        if not name.strip("/"):
            raise bad(source, f"blobs[{i}].blobName being empty")
        name = name.lstrip("/")
        if name not in names:  # some manifests name blobs relative to the run folder
            candidate = f"{run.key}/{posixpath.basename(name)}"
            name = candidate if candidate in names else name
        listed.append(name)
    stated = manifest.get("blobCount")
    if isinstance(stated, int) and not isinstance(stated, bool):
        same_count(stated, len(listed), source, "blob(s) listed")
    submitted = None
    stamp = (manifest.get("runInfo") or {}).get("submittedTime") if isinstance(manifest.get("runInfo"), dict) else None
    if stamp:
        import pandas as pd

        try:  # e.g. 2024-02-03T17:32:21.9784984Z: seven fraction digits, beyond datetime.fromisoformat
            when = pd.Timestamp(str(stamp))
            when = when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")
            submitted = when.floor("us").to_pydatetime()
        except ValueError:
            submitted = None
    return listed, submitted


@dataclass
class ExportReader:
    """Reads one export root (account, container, directory) for one provider instance."""

    container: Any  # azure.storage.blob.ContainerClient
    directory: str
    stats: FetchStats
    where: str
    log: logging.Logger = logging.getLogger(__name__)

    def list(self) -> list[BlobInfo]:
        """Every blob under the directory (one request per listing page)."""
        prefix = f"{self.directory.strip('/')}/" if self.directory.strip("/") else None
        out = []
        with blob_errors(self.where, self.container):
            for page in self.container.list_blobs(name_starts_with=prefix).by_page():
                self.stats.requests += 1
                for item in page:
                    out.append(BlobInfo(item.name, item.last_modified or EPOCH, item.size or 0))
        return out

    def download(self, name: str) -> bytes:
        """A whole blob (manifests only: they are small)."""
        self.stats.requests += 1
        with blob_errors(self.where, self.container, name):
            return self.container.download_blob(name).readall()

    def download_to(self, name: str, out: BinaryIO) -> None:
        """Copy a data blob to ``out`` chunk by chunk (the client's get sizes bound each chunk)."""
        self.stats.requests += 1
        with blob_errors(self.where, self.container, name):
            self.container.download_blob(name, max_concurrency=1).readinto(out)

    def newest_run(self, period: Period, names: set[str]) -> Run | None:
        """The newest run of a period, its blob list taken from its manifest when it has one."""
        resolved = []
        for run in period.runs:
            manifest = next((b for b in run.blobs if posixpath.basename(b) in MANIFESTS), None)
            if manifest is None:
                resolved.append(Run(run.key, run.submitted, [b for b in run.blobs if is_data(b)]))
                continue
            try:
                payload = json.loads(self.download(manifest))
                if not isinstance(payload, dict):
                    raise ValueError("not a JSON object")
            except ValueError as exc:
                raise ProviderError(f"{self.where}: export manifest {manifest} is not valid JSON ({exc}); "
                                    "re-run the export") from None
            blobs, submitted = manifest_blobs(payload, run, names, f"{self.where}: export manifest {manifest}")
            missing = [b for b in blobs if b not in names]
            if missing:
                self.log.warning("%s: manifest %s lists missing blob %s; skipping that run",
                                 self.where, manifest, missing[0])
                continue
            resolved.append(Run(run.key, submitted or run.submitted, blobs))
        resolved = [r for r in resolved if r.blobs]
        return max(resolved, key=lambda r: r.submitted) if resolved else None

    def fetch_sql(self, start: date, end: date) -> str:
        """Records of ``[start, end)`` from the newest run of every billing period that overlaps it,
        as a DuckDB source: each blob is downloaded in chunks to a private temp file and scanned
        (``deliveries``); the period, range and newest-run-per-day filters run in SQL."""
        from costctl.duck import connect
        from costctl.providers import deliveries

        listing = self.list()
        periods = periods_of(listing)
        exports = sorted({p.export for p in periods})
        if len(exports) > 1:
            raise ProviderError(f"{self.where}: the export directory holds several exports ({', '.join(exports)}); "
                                "set exports.directory to one of them")
        names = {b.name for b in listing}
        con = connect()
        staged = []
        for period in periods:
            if not period.overlaps(start, end):
                continue
            run = self.newest_run(period, names)
            if run is None:
                continue
            self.log.info("%s: reading %d blob(s) of run %s", self.where, len(run.blobs), run.key)
            for name in sorted(run.blobs):
                # Overlapping period folders (custom-range exports) would count a day twice: the
                # source keeps, for each day, only the rows of the newest run whose period covers it.
                delivery = deliveries.Delivery(name, run.submitted.timestamp(), period.start, period.end)
                staged.append((delivery, deliveries.stage(name, functools.partial(self.download_to, name), con)))
        return deliveries.source(staged, start, end)

    def fetch(self, start: date, end: date) -> pd.DataFrame:
        """``fetch_sql`` as a frame; a broken export is this reader's failed fetch."""
        from costctl.query import Dataset

        try:
            return Dataset(self.fetch_sql(start, end)).frame()
        except ExportFormatError as exc:
            raise ProviderError(f"{self.where}: {exc}") from None


class blob_errors:  # noqa: N801 - used as a lower-case context manager like contextlib's
    """Turn Blob Storage failures into one-line ProviderErrors that say what to do."""

    def __init__(self, where: str, container: Any, blob: str | None = None) -> None:
        self.where = where
        self.container = container
        self.blob = blob

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        if exc is None:
            return False
        from azure.core.exceptions import (
            ClientAuthenticationError,
            HttpResponseError,
            ResourceNotFoundError,
            ServiceRequestError,
        )

        name = getattr(self.container, "container_name", "?")
        target = f"blob {self.blob}" if self.blob else f"container {name}"
        status = getattr(exc, "status_code", None)
        first = " ".join(str(getattr(exc, "message", None) or exc).split())[:160]
        if isinstance(exc, ResourceNotFoundError):
            raise ProviderError(f"{self.where}: {target} not found; check exports.container and exports.directory")
        if isinstance(exc, ClientAuthenticationError) and status is None:
            raise ProviderError(f"{self.where}: no Azure credential could get a token for Blob Storage ({first}); "
                                "run `az login` or use exports.connection_string")
        if status == 403 or isinstance(exc, ClientAuthenticationError):
            raise ProviderError(f"{self.where}: no read access to {target} ({status}); grant the Storage Blob "
                                "Data Reader role on the storage account or container")
        if isinstance(exc, HttpResponseError):
            raise ProviderError(f"{self.where}: Blob Storage refused {target} ({status}: {first})")
        if isinstance(exc, ServiceRequestError):
            raise ProviderError(f"{self.where}: cannot reach Blob Storage ({first}); check exports.account_url")
        if isinstance(exc, AttributeError | TypeError | ValueError):
            # A 200 whose body the SDK could not read (empty, HTML, cut short): not "no blobs".
            from costctl.providers.answers import bad

            raise bad(f"{self.where}: Blob Storage", f"a {target} answer the SDK could not read "
                                                    f"({type(exc).__name__}: {first[:100]})") from None
        return False


def container_client(exports: dict[str, Any], credential_factory: Callable[[], Any], where: str) -> Any:
    """A ContainerClient from a connection string, or an account URL with an Azure AD credential or SAS."""
    from azure.storage.blob import BlobServiceClient

    from costctl.clouds.azure.auth import transport_timeouts

    container = exports["container"]
    # The SDK gets the first 32 MB of a blob in one answer held in memory; smaller gets bound what a
    # download of a data blob holds at a time.
    options = {**transport_timeouts(), "max_single_get_size": GET_SIZE, "max_chunk_get_size": GET_SIZE}
    if exports.get("connection_string"):
        try:
            service = BlobServiceClient.from_connection_string(exports["connection_string"], **options)
        except ValueError as exc:
            raise ProviderError(f"{where}: exports.connection_string is not valid ({exc})") from None
    else:
        url = exports["account_url"]
        credential = None if "sig=" in url else credential_factory()
        service = BlobServiceClient(url, credential=credential, **options)
    return service.get_container_client(container)
