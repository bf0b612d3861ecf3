"""Credentials, the BigQuery client, bounded retries and error messages for the ``gcp`` provider.

Sits between ``gcp`` and google-cloud-bigquery. The client's own retry layers (``retry`` for
HTTP calls, ``job_retry`` for failed jobs) are switched off so that tenacity is the only retry
layer: then every query job we start is counted exactly once in ``stats.requests`` and the total
time spent retrying is bounded by one setting. Everything that retrying cannot fix becomes a
one-line ProviderError that tells the operator what to do.

google.cloud is imported inside functions only, so loading the plugin stays cheap.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from costctl import deadline
from costctl.errors import ProviderError

log = logging.getLogger(__name__)

SCOPES = ("https://www.googleapis.com/auth/bigquery",)
# Reasons BigQuery gives for failures that the same request may survive later.
TRANSIENT_REASONS = frozenset({"rateLimitExceeded", "backendError", "internalError", "badGateway"})
# First wait in seconds, doubled each attempt with jitter; tests lower it.
INITIAL_WAIT = 1.0
MAX_WAIT = 30.0
REQUEST_TIMEOUT = 60.0  # seconds one HTTP request may wait (less when the deadline leaves less)


@dataclass
class Answer:
    """What one query job returned: its rows as dicts and the bytes it processed."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    bytes_processed: int = 0
    job_id: str = ""


def credentials(settings: dict[str, Any]) -> tuple[Any, str]:
    """(credentials, identity) from ``credentials_file``, anonymous mode, or Application Default Credentials."""
    if settings.get("anonymous"):
        from google.auth.credentials import AnonymousCredentials

        return AnonymousCredentials(), "anonymous"
    path = settings.get("credentials_file")
    if path:
        from google.oauth2 import service_account

        try:
            creds = service_account.Credentials.from_service_account_file(path, scopes=list(SCOPES))
        except FileNotFoundError:
            raise ProviderError(f"credentials_file {path} does not exist; point it at a service-account JSON key") \
                from None
        except (ValueError, KeyError) as exc:
            raise ProviderError(f"credentials_file {path} is not a service-account JSON key ({exc})") from None
        return creds, creds.service_account_email
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    try:
        creds, _project = google.auth.default(scopes=list(SCOPES))
    except DefaultCredentialsError:
        raise ProviderError(
            "no Google credentials found: run `gcloud auth application-default login`, set "
            "GOOGLE_APPLICATION_CREDENTIALS, or set the provider's credentials_file"
        ) from None
    return creds, getattr(creds, "service_account_email", None) or "application default credentials"


def make_client(settings: dict[str, Any], project: str) -> tuple[Any, str]:
    """A ``bigquery.Client`` running jobs in ``project`` (the billing project), and who we are."""
    from google.cloud import bigquery

    creds, identity = credentials(settings)
    options = {"api_endpoint": settings["api_endpoint"]} if settings.get("api_endpoint") else None
    client = bigquery.Client(project=project, credentials=creds, location=settings.get("location"),
                             client_options=options)
    return client, identity


def is_transient(exc: BaseException) -> bool:
    """True for rate limits, 5xx and connection failures: a new attempt may succeed."""
    import requests
    from google.api_core import exceptions as gexc

    if isinstance(exc, gexc.TooManyRequests | gexc.ServerError):
        return True
    if isinstance(exc, gexc.GoogleAPICallError):
        return bool(_reasons(exc) & TRANSIENT_REASONS)
    return isinstance(exc, requests.ConnectionError | ConnectionError | TimeoutError)


def run(client: Any, sql: str, parameters: list[Any], *, dry_run: bool, maximum_bytes_billed: int | None,
        page_size: int, max_time: float, on_job: Callable[[], None], on_retry: Callable[[], None],
        table: str) -> Answer:
    """Run one query job (retrying transient failures up to ``max_time`` s) and read all its pages."""
    from google.cloud import bigquery

    from costctl.clouds.gcp import answers as gcp_answers
    from costctl.providers.retry import bounded_retry

    config = bigquery.QueryJobConfig(
        query_parameters=parameters, dry_run=dry_run, use_legacy_sql=False,
        maximum_bytes_billed=maximum_bytes_billed or None, labels={"application": "costctl"},
    )

    def attempt() -> Answer:
        on_job()
        # timeout= is per HTTP request; a whole slow answer is cut by the loader's deadline watch.
        job = client.query(sql, job_config=config, retry=None, job_retry=None,
                           timeout=deadline.read_timeout(REQUEST_TIMEOUT))
        if dry_run:
            return Answer(bytes_processed=int(job.total_bytes_processed or 0), job_id=job.job_id or "")
        result = job.result(page_size=page_size, retry=None, job_retry=None,
                            timeout=deadline.read_timeout(REQUEST_TIMEOUT))
        try:
            rows = [dict(row.items()) for row in result]
        except (ValueError, TypeError, KeyError) as exc:  # the client could not convert a cell
            raise ProviderError(f"BigQuery answer for {table} has a malformed row ({short(exc)}); "
                                "check that the table is a Cloud Billing export") from exc
        # A pageToken page that came back empty ends the iteration early: count what arrived.
        rows = gcp_answers.all_rows(rows, result.total_rows, table)
        return Answer(rows=rows, bytes_processed=int(job.total_bytes_processed or 0), job_id=job.job_id)

    def before_sleep(state: Any) -> None:
        on_retry()
        log.info("BigQuery: %s; retrying in %.1f s", short(state.outcome.exception()), state.upcoming_sleep)

    try:
        return bounded_retry(attempt, is_transient=is_transient, max_time=max_time, what="BigQuery query job",
                             on_retry=before_sleep, describe=cause, initial_wait=INITIAL_WAIT, max_wait=MAX_WAIT)
    except ProviderError:
        raise
    except Exception as exc:  # noqa: BLE001 - every client failure becomes one readable line
        raise translate(exc, table, client.project, maximum_bytes_billed) from exc


def cause(exc: BaseException | None) -> str:
    """What kept a query failing, in words: "rate-limited by BigQuery (rateLimitExceeded)"."""
    from google.api_core import exceptions as gexc

    if isinstance(exc, gexc.GoogleAPICallError):
        reasons = sorted(_reasons(exc))
        if isinstance(exc, gexc.TooManyRequests) or "rateLimitExceeded" in reasons:
            return f"rate-limited by BigQuery ({', '.join(reasons) or exc.code})"
        return f"BigQuery failing ({', '.join(reasons) or exc.code}: {_message(exc)[:100]})"
    return f"cannot reach BigQuery ({short(exc)})"


def translate(exc: BaseException, table: str, billing_project: str, max_bytes: int | None) -> ProviderError:
    """A one-line ProviderError for a failure that retrying will not fix."""
    from google.api_core import exceptions as gexc
    from google.auth import exceptions as aexc

    reasons = _reasons(exc) if isinstance(exc, gexc.GoogleAPICallError) else set()
    detail = short(exc)
    if isinstance(exc, aexc.GoogleAuthError):
        return ProviderError(f"Google credentials rejected ({detail}); refresh them or fix credentials_file")
    forbidden = isinstance(exc, gexc.Forbidden | gexc.Unauthorized) and not reasons & {"quotaExceeded",
                                                                                         "billingNotEnabled"}
    if "accessDenied" in reasons or forbidden:
        return ProviderError(
            f"BigQuery denied access ({_message(exc)}): grant roles/bigquery.dataViewer on {table} and "
            f"roles/bigquery.jobUser on project {billing_project} to the caller"
        )
    if "notFound" in reasons or isinstance(exc, gexc.NotFound):
        return ProviderError(
            f"BigQuery table {table} not found ({_message(exc)}); check the provider's table setting and that "
            "the Cloud Billing export to BigQuery is enabled"
        )
    if "quotaExceeded" in reasons:
        return ProviderError(f"BigQuery quota exceeded ({_message(exc)}); run again later or raise the quota")
    if "billingNotEnabled" in reasons:
        return ProviderError(f"billing is not enabled on project {billing_project}; set billing_project to one "
                             "that can run query jobs")
    if "bytesBilledLimitExceeded" in reasons:
        return ProviderError(
            f"the query would scan more than maximum_bytes_billed ({max_bytes} bytes); fetch fewer days or raise "
            "the provider's maximum_bytes_billed"
        )
    if isinstance(exc, gexc.GoogleAPICallError):
        return ProviderError(f"BigQuery query failed: {_message(exc)}")
    return ProviderError(f"BigQuery query failed: {detail}")


def _reasons(exc: Any) -> set[str]:
    return {str(e.get("reason")) for e in (getattr(exc, "errors", None) or []) if isinstance(e, dict)}


def _message(exc: BaseException) -> str:
    errors = getattr(exc, "errors", None) or []
    text = next((e.get("message") for e in errors if isinstance(e, dict) and e.get("message")), None)
    return short(text or getattr(exc, "message", None) or exc)


def short(value: Any) -> str:
    text = " ".join(str(value).split()) if value is not None else "unknown error"
    return text if len(text) <= 200 else text[:197] + "..."
