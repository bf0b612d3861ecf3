"""Cost export parsers: FOCUS, AWS CUR / CUR 2.0, Azure cost exports and the GCP billing export.

Shared by the ``files`` provider and by the cloud providers' S3 / Blob export readers. Each
entry point returns a frame that passed ``model.normalize`` and ``model.validate``. This package
holds the cross-cloud machinery (engine, detection, sqlexpr, FOCUS); each cloud's own format
mapping lives in its package under ``costctl/clouds/``.

The frame-returning entry points live in ``export``, which imports pandas; they are loaded on
first use, so code that only needs the streaming engine (``engine``, ``sqlexpr``) does not pay
pandas' import before its query runs.
"""

from __future__ import annotations

from typing import Any

from costctl.formats.detect import detect_format

__all__ = ["columns_for", "detect_format", "map_frame", "parse_export", "read_export"]
_LAZY = ("columns_for", "map_frame", "parse_export", "read_export")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from costctl.formats import export

        return getattr(export, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
