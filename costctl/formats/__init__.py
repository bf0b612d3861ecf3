"""Cost export parsers: FOCUS, AWS CUR / CUR 2.0, Azure cost exports and the GCP billing export.

Shared by the ``files`` provider and by the cloud providers' S3 / Blob export readers. Each
entry point returns a frame that passed ``model.normalize`` and ``model.validate``.
"""

from costctl.formats.detect import detect_format
from costctl.formats.export import columns_for, map_frame, parse_export, read_export

__all__ = ["columns_for", "detect_format", "map_frame", "parse_export", "read_export"]
