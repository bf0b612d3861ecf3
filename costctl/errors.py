"""Named errors of the core.

Core modules raise these; only the CLI layer turns them into an exit status and a one-line
``costctl: error: ...`` message (see ``costctl.cli``). Every message says what is wrong and
what to do about it, because the reader is usually an operator looking at a monitoring alert.
"""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """Exit statuses of every command except ``check`` (which speaks the Nagios codes)."""

    OK = 0
    ERROR = 1  # runtime failure: a provider, a file, the cache
    USAGE = 2  # bad arguments or bad configuration


class CostctlError(Exception):
    """Base of every error costctl reports to the user without a traceback."""

    exit_status: ExitStatus = ExitStatus.ERROR


class UsageError(CostctlError):
    """The command line asks for something impossible."""

    exit_status = ExitStatus.USAGE


class ConfigError(CostctlError):
    """The configuration file is missing, unreadable or invalid."""

    exit_status = ExitStatus.USAGE


class SchemaError(CostctlError):
    """A frame does not match the normalized record (a bug in a provider or a parser)."""


class ExportFormatError(CostctlError):
    """A cost export file cannot be read or mapped to the normalized record."""


class ProviderError(CostctlError):
    """A provider could not fetch data: auth, network, permissions, API errors."""


class Denied(ProviderError):
    """The caller may not run one cloud API operation; the check that needs it is skipped.

    Cloud-neutral: the AWS, Azure and GCP idle scanners all raise it, naming the permission
    (IAM action, Azure RBAC action, GCP permission) so the warning can say what to grant.
    """

    def __init__(self, permission: str, detail: str) -> None:
        super().__init__(f"access denied: grant {permission} ({detail})")
        self.permission = permission


class CacheError(CostctlError):
    """The local cache cannot be opened or read."""


class CacheDamagedError(CacheError):
    """The cache's database file is corrupt (not a permission or locking problem).

    ``costctl cache clear`` recovers by moving the damaged files aside, so it needs the directory.
    """

    def __init__(self, message: str, directory: str, reason: str) -> None:
        super().__init__(message)
        self.directory = directory
        self.reason = reason


class OutputError(CostctlError):
    """An output file (``--output``, the Prometheus textfile) cannot be written safely."""
