"""Retries and error translation for every AWS call the ``aws`` provider makes.

Sits between the provider's modules and botocore: ``call`` performs one API operation, counts
each attempt (Cost Explorer bills every request, so ``-v`` must show the real number), retries
transient failures with exponential backoff and jitter inside a bounded total time, and turns
everything else into a one-line ProviderError that tells the operator what to do.

botocore's own retries are switched off (see ``aws_session``) so that tenacity is the only retry
layer and the request count is exact.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from costctl.errors import ProviderError

log = logging.getLogger(__name__)

# Error codes worth another attempt: AWS asks us to slow down or had a hiccup.
THROTTLING_CODES = frozenset({
    "ThrottlingException", "Throttling", "LimitExceededException", "RequestLimitExceeded",
    "TooManyRequestsException", "RequestThrottled", "SlowDown", "ProvisionedThroughputExceededException",
})
TRANSIENT_CODES = frozenset({"InternalServerError", "InternalFailure", "ServiceUnavailable", "InternalError"})

# The permission each operation needs, for "grant X" messages.
PERMISSIONS = {
    "GetCostAndUsage": "ce:GetCostAndUsage",
    "ListAccounts": "organizations:ListAccounts",
    "GetCallerIdentity": "sts:GetCallerIdentity",
    "AssumeRole": "sts:AssumeRole",
    "ListObjectsV2": "s3:ListBucket",
    "GetObject": "s3:GetObject",
    "GetTable": "glue:GetTable",
    "StartQueryExecution": "athena:StartQueryExecution",
    "GetQueryExecution": "athena:GetQueryExecution",
    "GetQueryResults": "athena:GetQueryResults",
    "StopQueryExecution": "athena:StopQueryExecution",
    "GetWorkGroup": "athena:GetWorkGroup",
    "GetReservationUtilization": "ce:GetReservationUtilization",
    "GetSavingsPlansUtilizationDetails": "ce:GetSavingsPlansUtilizationDetails",
    "GetReservationCoverage": "ce:GetReservationCoverage",
    "GetSavingsPlansCoverage": "ce:GetSavingsPlansCoverage",
    "GetReservationPurchaseRecommendation": "ce:GetReservationPurchaseRecommendation",
    "GetSavingsPlansPurchaseRecommendation": "ce:GetSavingsPlansPurchaseRecommendation",
}

# Names for messages ("throttled by Cost Explorer"), by botocore service name.
SERVICE_NAMES = {"ce": "Cost Explorer", "organizations": "AWS Organizations", "s3": "S3", "sts": "STS",
                 "ec2": "EC2", "cloudwatch": "CloudWatch", "rds": "RDS", "elbv2": "Elastic Load Balancing",
                 "athena": "Athena", "glue": "Glue", "pricing": "the Pricing API"}

# First wait in seconds; doubled each attempt, plus up to one wait of jitter. Tests lower it.
INITIAL_WAIT = 1.0
MAX_WAIT = 20.0


class Counter:
    """Counts attempts per operation; the provider adds the total to ``stats.requests``."""

    def __init__(self, on_request: Callable[[str], None], on_retry: Callable[[], None]) -> None:
        self.on_request = on_request
        self.on_retry = on_retry


def is_transient(exc: BaseException) -> bool:
    """True for throttling, 5xx and connection-level failures: the same request may succeed later."""
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return code in THROTTLING_CODES or code in TRANSIENT_CODES or status >= 500
    return isinstance(exc, ConnectionError | HTTPClientError)


def call(counter: Counter, client: Any, operation: str, max_time: float, **params: Any) -> dict[str, Any]:
    """Run ``client.<operation>(**params)`` with bounded retries; raise ProviderError on failure.

    ``operation`` is the API name (``GetCostAndUsage``); the boto3 method is its snake_case form.
    """
    from costctl.providers.retry import bounded_retry

    method = getattr(client, _snake(operation))
    service = client.meta.service_model.service_name

    def attempt() -> dict[str, Any]:
        counter.on_request(service)
        return method(**params)

    def before_sleep(state: Any) -> None:
        counter.on_retry()
        exc = state.outcome.exception()
        log.info("%s %s: %s; retrying in %.1f s", service, operation, _short(exc), state.upcoming_sleep)

    try:
        return bounded_retry(attempt, is_transient=is_transient, max_time=max_time, what=operation,
                             on_retry=before_sleep, describe=lambda exc: cause(exc, service),
                             initial_wait=INITIAL_WAIT, max_wait=MAX_WAIT)
    except ProviderError:
        raise
    except Exception as exc:  # noqa: BLE001 - every botocore failure becomes one readable line
        raise translate(exc, operation) from exc


def cause(exc: BaseException | None, service: str) -> str:
    """What kept a call failing, in words: "throttled by Cost Explorer (ThrottlingException)"."""
    from botocore.exceptions import ClientError

    label = SERVICE_NAMES.get(service, service)
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in THROTTLING_CODES:
            return f"throttled by {label} ({code})"
        message = _message(exc.response.get("Error", {}).get("Message"))[:100]
        return f"{label} failing ({code or status or 'error'}: {message})"
    return f"cannot reach {label} ({_short(exc)})"


def translate(exc: BaseException, operation: str) -> ProviderError:
    """A one-line ProviderError for a failure that retrying will not fix."""
    from botocore.exceptions import (
        ClientError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
        ProfileNotFound,
        TokenRetrievalError,
    )

    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return ProviderError(
            "no AWS credentials found; set AWS_PROFILE or AWS_ACCESS_KEY_ID, or the provider's profile/role_arn"
        )
    if isinstance(exc, ProfileNotFound):
        return ProviderError(f"{exc}; check the provider's profile setting against ~/.aws/config")
    if isinstance(exc, TokenRetrievalError):
        return ProviderError(f"AWS SSO token expired or missing ({exc}); run `aws sso login`")
    if isinstance(exc, NoRegionError):
        return ProviderError("no AWS region configured; set the provider's region (e.g. us-east-1)")
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        message = _message(exc.response.get("Error", {}).get("Message", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        permission = PERMISSIONS.get(operation, operation)
        if code in ("ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "UnrecognizedClientException"):
            return ProviderError(f"AWS credentials are invalid or expired ({code}); refresh them and retry")
        # Some endpoints (proxies, emulators) answer a JSON API with an XML 403 botocore cannot
        # parse; the status alone still means "not allowed".
        if code in ("AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "UnauthorizedException") or (
                status == 403 and code in ("", "403")):
            return ProviderError(f"AWS denied {operation}: grant {permission} to the caller ({message})")
        if code == "DataUnavailableException":
            return ProviderError(
                "Cost Explorer has no data for this account yet: enable it in the billing console "
                "(data appears within 24 h) or point role_arn at the payer account"
            )
        if code == "BillExpirationException":
            return ProviderError(f"Cost Explorer no longer keeps this range ({message}); lower lookback_months")
        if code == "AWSOrganizationsNotInUseException":
            return ProviderError("this account is not in an AWS Organization; account names fall back to ids")
        if code == "EntityNotFoundException":
            return ProviderError(f"Glue {operation}: {(message or code).rstrip('.')}; check athena.database and "
                                 "athena.table (and that the caller's region holds the Glue catalog)")
        if code == "InvalidRequestException" and "workgroup" in message.lower() and "not found" in message.lower():
            return ProviderError(f"Athena workgroup not found ({message}); check athena.workgroup")
        if code in ("NoSuchBucket", "NoSuchKey"):
            return ProviderError(f"S3 {operation}: {code} ({message}); check cur_s3_uri")
        return ProviderError(f"AWS {operation} failed: {code or 'error'}: {message or exc}")
    return ProviderError(f"AWS {operation} failed: {_short(exc)}")


def _snake(operation: str) -> str:
    import re

    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()


def _message(raw: object) -> str:
    """The error text on one line; the <Message> of an XML body when botocore left it raw."""
    import re

    text = str(raw or "")
    found = re.search(r"<Message>(.*?)</Message>", text, re.S)
    return " ".join((found.group(1) if found else text).split())


def _short(exc: BaseException | None) -> str:
    text = " ".join(str(exc).split()) if exc is not None else "unknown error"
    return text if len(text) <= 160 else text[:157] + "..."
