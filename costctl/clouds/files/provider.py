"""The ``files`` provider: cost exports on local disk (FOCUS, AWS CUR, Azure, GCP).

Parsing and format detection live in ``costctl.formats`` (shared with the S3 and Blob readers of
the cloud providers); this module only finds files, filters the asked range and, for the bundled
demo dataset, shifts dates so the data always ends yesterday.
"""

from __future__ import annotations

import itertools
import os
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from costctl.errors import ExportFormatError
from costctl.providers.base import AuthResult, Provider
from costctl.schema import Field

if TYPE_CHECKING:
    import pandas as pd


def today_utc() -> date:
    return datetime.now(UTC).date()


_TABLES = itertools.count()
MAP_ONCE_BYTES = 16 << 20  # files this small on disk are mapped once into a DuckDB table when read twice


def _mapped_once(source: str) -> str:
    """``source``'s records copied into a temp table (one run of the mapping SQL); its name."""
    from costctl.duck import connect
    from costctl.query import translated

    name = f"costctl_files_{next(_TABLES)}"
    with translated():
        connect().execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM {source}")
    return name


def _a_date(value: str) -> str:
    try:
        date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"expected a date YYYY-MM-DD, got {value!r}") from None
    return str(value)


def _some_paths(value: list[str]) -> list[str]:
    if not value or not all(str(p).strip() for p in value):
        raise ValueError("expected at least one file or glob pattern, e.g. [/srv/billing/*.csv.gz]")
    return value


class FilesProvider(Provider):
    """Reads cost exports from paths and globs (plain, .gz, .zip; CSV, Parquet, JSON)."""

    type_name: ClassVar[str] = "files"
    description: ClassVar[str] = "cost exports on disk: FOCUS, AWS CUR/CUR 2.0, Azure, GCP billing export"
    fields: ClassVar[dict[str, Field]] = {
        "paths": Field("list", required=True, items="str", help="files or glob patterns of cost exports",
                       validator=_some_paths),
        "shift_to_yesterday": Field(
            "bool", default=False, help="shift all dates so the newest day is yesterday (demo data)"
        ),
        "shift_anchor": Field(
            "str", default=None, validator=_a_date,
            help="with shift_to_yesterday: the newest day becomes the day before this date (YYYY-MM-DD) "
                 "instead of yesterday; makes demo output reproducible",
        ),
    }

    def missing_capability(self, capability: str) -> str:
        """Export files list costs, not resources: say so by name rather than the generic line."""
        if capability == "idle_scanner":
            return f"provider {self.name!r} is of type files, which idle cannot scan (cloud APIs only)"
        return super().missing_capability(capability)

    def anchor(self) -> date:
        """The day after the shifted data's newest day: ``shift_anchor``, else today (UTC)."""
        fixed = self.settings.get("shift_anchor")
        return date.fromisoformat(fixed) if fixed else today_utc()

    def files(self) -> list[str]:
        """Every file the configured paths and globs name, sorted; error if a path matches nothing.

        Plain ``os.path`` strings: ``check --demo`` fingerprints these files on every run, and
        importing pathlib would cost it more than the stat calls.
        """
        found: list[str] = []
        for pattern in self.settings["paths"]:
            expanded = os.path.expanduser(pattern)
            is_glob = any(c in expanded for c in "*?[")
            if is_glob:  # glob is imported only then
                import glob

                matches = sorted(glob.glob(expanded, recursive=True))
            else:
                matches = [expanded]
            files = [m for m in matches if os.path.isfile(m)]
            if not files:
                raise ExportFormatError(f"{pattern}: {self._why_not_a_file(matches, is_glob)}")
            matches = files
            found.extend(os.path.normpath(m) for m in matches)
        return sorted(set(found))

    def _why_not_a_file(self, matches: list[str], is_glob: bool) -> str:
        where = f"check the path in providers.{self.name}.paths or --file"
        if is_glob:
            if matches:
                return f"matches only directories or special files, no export file ({where})"
            return f"no file matches this pattern ({where})"
        path = matches[0]
        if os.path.isdir(path):
            return f"is a directory; name its files, e.g. {os.path.join(path, '*.csv.gz')} ({where})"
        if os.path.exists(path):
            return f"is not a regular file (a device or pipe); save the export to a file first ({where})"
        return f"no such file ({where})"

    # Export files are read whole whatever range is asked: the loader caches every day they hold.
    reads_whole_source: ClassVar[bool] = True

    def scan_sql(self) -> str:
        """Every record of every file as a DuckDB source; nothing is read until it is queried.

        Each file goes through the ingest engine (``costctl.formats.engine``): a streamed read
        with the format's SQL mapping. With ``shift_to_yesterday`` (the demo) every date moves by
        the whole days that make the newest day yesterday, in SQL as well.
        """
        from costctl.duck import connect
        from costctl.formats.engine import scan
        from costctl.query import keep_scan

        con = connect()
        paths = self.files()
        selects = []
        for path in paths:
            selects.append(f"SELECT * FROM {keep_scan(scan(path, path, con=con))}")
        if not selects:
            from costctl.query import Dataset

            return f"({Dataset.empty().sql()})"
        source = "(" + " UNION ALL ".join(selects) + ")"
        if self.settings.get("shift_to_yesterday"):
            # Shifting reads the files twice (their newest day, then the rows): small ones are
            # mapped once into memory instead, which halves a first demo run's mapping work.
            if sum(os.path.getsize(p) for p in paths) <= MAP_ONCE_BYTES:
                source = _mapped_once(source)
            source = self._shifted(source, self.anchor())
        return source

    @staticmethod
    def _shifted(source: str, anchor: date) -> str:
        from costctl.query import Dataset

        newest = Dataset(source).span()
        if newest is None:
            return source
        delta = (anchor - newest[1]).days
        shift = f"INTERVAL {int(delta)} DAY"
        return (f"(SELECT * REPLACE (ChargePeriodStart + {shift} AS ChargePeriodStart, "
                f"ChargePeriodEnd + {shift} AS ChargePeriodEnd, "
                f"date_trunc('month', ChargePeriodStart + {shift}) AS BillingPeriodStart, "
                f"date_trunc('month', ChargePeriodStart + {shift}) + INTERVAL 1 MONTH AS BillingPeriodEnd, "
                f"x_CommitmentDiscountEnd + {shift} AS x_CommitmentDiscountEnd) "
                f"FROM {source})")

    def fetch_sql(self, start: date, end: date) -> str:
        """``fetch`` for the columnar loader: all the files' records (the cache keeps the days
        it needs), so one read of the files serves every later range."""
        return self.scan_sql()

    def read_all(self) -> pd.DataFrame:
        """All records of all files as a normalized frame (dates shifted when configured)."""
        from costctl.query import Dataset

        return Dataset(self.scan_sql()).frame()

    def fetch(self, start: date, end: date, granularity: str = "daily") -> pd.DataFrame:
        from costctl.query import Dataset

        return Dataset(self.scan_sql()).between(start, end).frame()

    def fingerprint_extra(self) -> dict[str, Any]:
        # Shifted data changes every day, and a re-exported file replaces the old one: key the
        # cache by the anchor date and by each file's size and modification time.
        extra: dict[str, Any] = {}
        if self.settings.get("shift_to_yesterday"):
            extra["anchor"] = self.anchor().isoformat()
        try:
            extra["files"] = [(p, st.st_size, int(st.st_mtime)) for p in self.files() for st in [os.stat(p)]]
        except ExportFormatError:
            extra["files"] = "missing"
        return extra

    def test_auth(self) -> AuthResult:
        try:
            files = self.files()
        except ExportFormatError as exc:
            return AuthResult(ok=False, checks=[("files readable", False, str(exc))])
        checks = []
        for path in files:
            try:
                with open(path, "rb") as fh:
                    fh.read(1)
                checks.append((path, True, "readable"))
            except OSError as exc:
                checks.append((path, False, exc.strerror or str(exc)))
        return AuthResult(ok=all(ok for _, ok, _ in checks), identity="local files", checks=checks)
