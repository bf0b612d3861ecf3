"""Write the rows of a query to a data file (CSV or Parquet, optionally gzip-compressed).

For exports of the rows themselves (``export focus``), which can be millions of rows: DuckDB's
COPY streams them to a private temporary file (bounded memory, spilling as it needs), which is then
copied into the destination stream, so the caller's atomic-replace and stdout handling apply.
CSV quotes a value only where it needs quotes; Parquet is zstd-compressed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import IO, Any

from costctl.duck import literal

FORMATS = ("csv", "parquet")


def format_for(path: str | None, given: str | None) -> str:
    """The format asked for, else the one the file name says (``.parquet``), else CSV."""
    if given:
        return given
    name = (path or "").lower()
    return "parquet" if name.endswith((".parquet", ".parquet.gz")) else "csv"


def gzipped(path: str | None) -> bool:
    return bool(path) and str(path).lower().endswith(".gz")


def write(con: Any, query: str, binary: IO[bytes], fmt: str, compress: bool = False,
          scratch_dir: str | None = None) -> int:
    """Write the rows of ``query`` to ``binary``; the number of rows written.

    ``scratch_dir`` holds the temporary file (the destination's folder, so a large export needs no
    room in /tmp); it is removed whatever happens.
    """
    options = ["FORMAT parquet", "COMPRESSION zstd"] if fmt == "parquet" else ["FORMAT csv", "HEADER true"]
    work = tempfile.mkdtemp(prefix=".costctl-export-", dir=scratch_dir)
    try:
        path = os.path.join(work, "rows")
        written = con.execute(f"COPY ({query}) TO {literal(path)} ({', '.join(options)})").fetchone()
        rows = int(written[0]) if written else 0  # COPY answers the number of rows it wrote
        with open(path, "rb") as source:
            if compress:
                import gzip

                # mtime 0: the same rows give the same bytes (files can be compared or deduplicated).
                with gzip.GzipFile(fileobj=binary, mode="wb", mtime=0) as sink:
                    shutil.copyfileobj(source, sink, 1 << 20)
            else:
                shutil.copyfileobj(source, binary, 1 << 20)
        return rows
    finally:
        shutil.rmtree(work, ignore_errors=True)

