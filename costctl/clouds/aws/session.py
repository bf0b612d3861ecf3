"""AWS credentials and clients for the ``aws`` provider.

Resolves who we are in one place: boto3's default chain, a named ``profile``, or a role assumed
through STS (``role_arn`` + optional ``external_id``) for reading a payer account from elsewhere.
Every client gets the configured ``endpoint_url`` (moto, LocalStack, a VPC endpoint) and has
botocore's own retries disabled so ``aws_retry`` alone retries and counts requests.
"""

from __future__ import annotations

from typing import Any

from costctl.clouds.aws import retry as aws_retry

# Cost Explorer and Organizations are global services answered from us-east-1.
GLOBAL_REGION = "us-east-1"
CONNECT_TIMEOUT = 10.0  # seconds
READ_TIMEOUT = 60.0  # seconds one socket read may wait


class AwsSession:
    """Lazily built boto3 session and clients for one provider instance."""

    # Per-client limits; a session for a lookup with a cheaper fallback (the idle scan's Pricing
    # API) lowers them.
    connect_timeout = CONNECT_TIMEOUT
    read_timeout = READ_TIMEOUT

    def __init__(self, settings: dict[str, Any], counter: aws_retry.Counter) -> None:
        self.settings = settings
        self.counter = counter
        self._session: Any = None
        self._clients: dict[str, Any] = {}

    @property
    def max_time(self) -> float:
        return float(self.settings.get("max_retry_time") or 60.0)

    def _config(self) -> Any:
        """No botocore retries (``aws_retry`` retries and counts); per-read and connect timeouts
        no longer than the command's deadline leaves (a drip is cut by the loader's watch)."""
        from botocore.config import Config

        from costctl import deadline

        return Config(
            retries={"total_max_attempts": 1, "mode": "standard"},
            connect_timeout=deadline.read_timeout(self.connect_timeout),
            read_timeout=deadline.read_timeout(self.read_timeout),
            user_agent_extra="costctl",
        )

    def _base_session(self) -> Any:
        import boto3
        from botocore.exceptions import BotoCoreError

        try:
            return boto3.Session(profile_name=self.settings.get("profile") or None)
        except BotoCoreError as exc:
            raise aws_retry.translate(exc, "Session") from exc

    def session(self) -> Any:
        """The boto3 session to use: the base one, or one holding the assumed role's credentials."""
        if self._session is not None:
            return self._session
        base = self._base_session()
        role_arn = self.settings.get("role_arn")
        if not role_arn:
            self._session = base
            return base
        import boto3

        params: dict[str, Any] = {
            "RoleArn": role_arn,
            "RoleSessionName": self.settings.get("session_name") or "costctl",
        }
        if self.settings.get("external_id"):
            params["ExternalId"] = self.settings["external_id"]
        sts = self._make_client(base, "sts")
        creds = aws_retry.call(self.counter, sts, "AssumeRole", self.max_time, **params)["Credentials"]
        self._session = boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )
        return self._session

    def _make_client(self, session: Any, service: str) -> Any:
        from botocore.exceptions import BotoCoreError

        region = self.settings.get("region") or session.region_name or GLOBAL_REGION
        if service in ("ce", "organizations"):
            region = GLOBAL_REGION if not self.settings.get("endpoint_url") else region
        try:
            return session.client(
                service,
                region_name=region,
                endpoint_url=self.settings.get("endpoint_url") or None,
                config=self._config(),
            )
        except BotoCoreError as exc:
            raise aws_retry.translate(exc, f"{service} client") from exc

    def client(self, service: str) -> Any:
        """A cached client for ``service`` built from ``session()``."""
        if service not in self._clients:
            self._clients[service] = self._make_client(self.session(), service)
        return self._clients[service]

    def call(self, service: str, operation: str, **params: Any) -> dict[str, Any]:
        """One API operation with retries and request counting (see ``aws_retry.call``)."""
        return aws_retry.call(self.counter, self.client(service), operation, self.max_time, **params)

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()
