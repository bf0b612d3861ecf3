"""Keep secrets out of everything costctl prints: messages, ``config show``, -v/-vvv, --debug.

Two layers, because a secret reaches output in two ways:

- **by shape**: a URL's ``user:password@`` and its signed query (an Azure SAS ``sig=``, S3/GCS
  presigned ``X-Amz-Signature``/``X-Goog-Signature``, ``token=``...), a connection string's
  ``AccountKey=``/``SharedAccessSignature=``, a ``Bearer`` token. ``text`` masks these wherever
  they appear, even when the secret was never in the config (a ``--pushgateway`` URL).
- **by value**: every value of a setting that is a secret (a schema ``Field(secret=True)``, a
  key whose name says secret/password/token/key, credentials embedded in a URL setting) is
  remembered when the config is loaded (``remember_config``), and ``text`` replaces each one
  wherever it turns up, e.g. inside an SDK's error message.

The CLI applies ``text`` to every line it writes to stderr (errors, warnings, the log handler,
the --debug traceback) and to the plugin output of ``check``; ``config show`` prints
``mapping``. Importing this module costs nothing measurable: patterns compile on first use.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import re

MASK = "***"

# Key names (lower case, any depth of the config) whose values are secrets.
SECRET_WORDS = ("secret", "password", "passwd", "token", "connection_string", "account_key", "private_key",
                "sas", "api_key", "apikey", "credential_json")

# Query parameters that carry a credential by themselves.
SECRET_PARAMS = frozenset({
    "sig", "signature", "x-amz-signature", "x-amz-credential", "x-amz-security-token", "x-goog-signature",
    "x-goog-credential", "token", "access_token", "refresh_token", "id_token", "code", "key", "api_key", "apikey",
    "api-key", "password", "passwd", "pwd", "secret", "client_secret", "auth", "authorization", "awsaccesskeyid",
    "googleaccessid", "skoid", "sktid",
})
# A query with one of these is a signed URL: every value of it is part of the credential
# (an Azure SAS's se/sp/sr say what the token may do and until when; hide them with the sig).
SIGNED_QUERY_MARKERS = frozenset({"sig", "signature", "x-amz-signature", "x-goog-signature"})

MIN_SECRET_LENGTH = 8  # shorter values would mask ordinary words ("testing") in every message

_known: set[str] = set()
_patterns: tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]] | None = None


def _compiled() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """The patterns, compiled on first use: a warm ``check`` never imports ``re``."""
    global _patterns
    if _patterns is None:
        import re

        _patterns = (
            re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>`]+"),  # a URL
            re.compile(r"(?i)\b(AccountKey|SharedAccessKey|SharedAccessSignature|Password|Pwd|sig|"
                       r"client_secret|access_token|refresh_token|X-Amz-Signature|X-Amz-Security-Token)"
                       r"(\s*=\s*)(?!\*\*\*)([^;&\s'\",]+)"),  # key=value outside a URL (not masked yet)
            re.compile(r"(?i)\b(bearer|basic)(\s+)([A-Za-z0-9._~+/\-]{8,}=*)"),  # Authorization header values
        )
    return _patterns


def is_secret_key(key: Any) -> bool:
    """A setting whose name says it holds a secret."""
    name = str(key).lower()
    return any(word in name for word in SECRET_WORDS)


def url(value: str) -> str:
    """``value`` with the password of its userinfo and the credentials of its query masked."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(value)
    except ValueError:
        return _mask_params(value)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user, colon, _password = userinfo.partition(":")
        netloc = f"{user}:{MASK}@{host}" if colon else f"{MASK}@{host}"  # a lone user part may be a token
    query = _mask_query(parts.query)
    fragment = _mask_query(parts.fragment) if "=" in parts.fragment else parts.fragment
    try:
        return urlunsplit((parts.scheme, netloc, parts.path, query, fragment))
    except ValueError:
        return _mask_params(value)


def _mask_query(query: str) -> str:
    if not query:
        return query
    pairs = [item.partition("=") for item in query.split("&")]
    signed = any(name.lower() in SIGNED_QUERY_MARKERS for name, _, _ in pairs)
    out = []
    for name, eq, value in pairs:
        hide = eq and value and (signed or name.lower() in SECRET_PARAMS or is_secret_key(name))
        out.append(f"{name}={MASK}" if hide else f"{name}{eq}{value}")
    return "&".join(out)


def _mask_params(value: str) -> str:
    return _compiled()[1].sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", value)


def _url_match(match: re.Match[str]) -> str:
    """A URL found in text, without the punctuation that ends the sentence around it."""
    found = match.group(0)
    core = found.rstrip(".,:;)]}")
    return url(core) + found[len(core):]


def text(value: str) -> str:
    """``value`` with every known secret and every credential-shaped part masked."""
    if not value:
        return value
    for secret in sorted(_known, key=len, reverse=True):  # longest first: one may contain another
        if secret in value:
            value = value.replace(secret, MASK)
    # Each pattern runs only when its anchor is present: a warm `check` masks its status line
    # without compiling a regular expression.
    if "://" in value:
        value = _compiled()[0].sub(_url_match, value)
    if "=" in value:
        value = _compiled()[1].sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", value)
    lowered = value.lower()
    if "bearer" in lowered or "basic" in lowered:
        value = _compiled()[2].sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", value)
    return value


def remember(values: Iterable[Any]) -> None:
    """Add secret values to mask wherever they appear (too short ones are ignored)."""
    for value in values:
        if isinstance(value, str):
            value = value.strip()
            if len(value) >= MIN_SECRET_LENGTH:
                _known.add(value)


def forget_all() -> None:
    """Drop every remembered secret (tests; a process loads one config)."""
    _known.clear()


def secrets_in(value: Any, secret: bool = False) -> Iterable[str]:
    """Every secret string inside a config value: whole values under secret keys, and the
    credentials embedded in URLs and connection strings anywhere."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from secrets_in(v, secret or is_secret_key(k))
    elif isinstance(value, list | tuple):
        for v in value:
            yield from secrets_in(v, secret)
    elif isinstance(value, str):
        if secret:
            yield value
        yield from _embedded(value)


def _embedded(value: str) -> Iterable[str]:
    """The credential parts of a URL or connection string held by an ordinary setting."""
    if "://" in value:
        from urllib.parse import unquote, urlsplit

        try:
            parts = urlsplit(value)
        except ValueError:
            parts = None
        if parts is not None:
            if "@" in parts.netloc:
                userinfo = parts.netloc.rpartition("@")[0]
                user, colon, password = userinfo.partition(":")
                for piece in ((password,) if colon else (user,)):
                    yield piece
                    yield unquote(piece)
            if parts.query:
                masked = _mask_query(parts.query)
                if masked != parts.query:
                    for item, shown in zip(parts.query.split("&"), masked.split("&"), strict=True):
                        if item != shown:
                            piece = item.partition("=")[2]
                            yield piece
                            yield unquote(piece)
    if "=" in value:
        for match in _compiled()[1].finditer(value):
            yield match.group(3)


def identity(value: Any) -> Any:
    """What names a data source in a setting, without its credentials (for cache fingerprints).

    Unlike ``text``, the credential parts are dropped, not masked with their shape: a URL keeps
    scheme, host, port and path (a signed query goes entirely, other queries lose their secret
    parameters); a connection string keeps its non-secret ``key=value`` pairs (AccountName,
    BlobEndpoint); in a mapping, a secret-named key that is not a connection string is dropped.
    """
    if isinstance(value, Mapping):
        return {k: identity(v) for k, v in value.items() if not is_secret_key(k) or names_a_source(v)}
    if isinstance(value, list | tuple):
        return [identity(v) for v in value]
    if not isinstance(value, str):
        return value
    if "://" in value and not names_a_source(value):
        return _url_identity(value)
    if names_a_source(value):
        return ";".join(pair for pair in value.split(";")
                        if pair.strip() and not is_secret_key(pair.partition("=")[0])
                        and pair.partition("=")[0].strip().lower() not in _CONNECTION_SECRETS)
    return value


_CONNECTION_SECRETS = frozenset({"accountkey", "sharedaccesskey", "sharedaccesssignature", "password", "pwd",
                                 "sig", "user id", "uid"})


def names_a_source(value: Any) -> bool:
    """A connection string (``Key=value;Key=value``): it names a source besides its credentials."""
    return isinstance(value, str) and ";" in value and "=" in value and "://" not in value.partition("=")[0]


def _url_identity(value: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(value)
        host = parts.netloc.rpartition("@")[2]
        pairs = [item.partition("=") for item in parts.query.split("&")] if parts.query else []
        if any(name.lower() in SIGNED_QUERY_MARKERS for name, _, _ in pairs):
            query = ""
        else:
            query = "&".join(f"{n}{eq}{v}" for n, eq, v in pairs
                             if n.lower() not in SECRET_PARAMS and not is_secret_key(n))
        return urlunsplit((parts.scheme, host, parts.path, query, ""))
    except ValueError:
        return MASK


def mapping(value: Any, secret_keys: Iterable[str] = (), secret: bool = False) -> Any:
    """A copy of a config mapping for display: secret values as ``***``, URLs and strings masked.

    ``secret_keys`` are the keys at this level declared secret by a schema; deeper levels use
    the key names (``is_secret_key``).
    """
    declared = set(secret_keys)
    if isinstance(value, Mapping):
        return {k: mapping(v, (), secret or k in declared or is_secret_key(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [mapping(v, (), secret) for v in value]
    if isinstance(value, str):
        return MASK if secret and value else text(value)
    return MASK if secret and value not in (None, False, "") else value


def remember_config(data: Mapping[str, Any], sections: Iterable[tuple[Mapping[str, Any], Mapping[str, Any]]]) -> None:
    """Remember every secret of a loaded config.

    ``data`` is searched by key names and URL shapes; each of ``sections`` is a mapping of
    settings with its schema (``Field`` objects whose ``secret`` marks a secret even when the key
    name does not say so, like a webhook ``url``).
    """
    remember(secrets_in(data))
    for settings, fields in sections:
        for key, value in settings.items():
            spec = fields.get(key)
            declared = bool(spec is not None and getattr(spec, "secret", False))
            remember(secrets_in(value, declared or is_secret_key(key)))


def remember_environment(environ: Mapping[str, str]) -> None:
    """Values of environment variables named like secrets (AZURE_CLIENT_SECRET, AWS_SESSION_TOKEN...),
    which SDKs read on their own and may echo in an error."""
    remember(v for k, v in environ.items()
             if any(word in k.lower() for word in ("secret", "password", "token", "connection_string", "sas_")))



def log_formatter(fmt: str) -> Any:
    """A ``logging.Formatter`` whose lines (message, arguments, traceback) are masked by ``text``.

    Built on call: importing ``logging`` here would cost every warm ``check`` that never logs.
    """
    import logging

    class RedactingFormatter(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            return text(super().format(record))

    return RedactingFormatter(fmt)
