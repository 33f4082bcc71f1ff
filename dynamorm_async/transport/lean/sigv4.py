"""AWS Signature Version 4 with the standard library, byte-identical to botocore's ``SigV4Auth``.

Only what DynamoDB's JSON protocol needs: ``POST`` with a body, no query string. The signing key
depends only on (secret, date, region, service), so it is derived once per day and cached.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from urllib.parse import quote

#: Headers botocore never signs (proxies and hops may change them).
UNSIGNED_HEADERS = frozenset(
    {
        "baggage",
        "connection",
        "expect",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "traceparent",
        "tracestate",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "user-agent",
        "x-amzn-trace-id",
    }
)

_ALGORITHM = "AWS4-HMAC-SHA256"
_KEY_CACHE: dict[tuple[str, str, str, str], bytes] = {}
_KEY_CACHE_LIMIT = 64


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    """The derived SigV4 key for one day (``YYYYMMDD``), region and service, cached per process."""
    cache_key = (secret_key, date, region, service)
    key = _KEY_CACHE.get(cache_key)
    if key is None:
        k_date = _hmac(f"AWS4{secret_key}".encode(), date)
        key = _hmac(_hmac(_hmac(k_date, region), service), "aws4_request")
        if len(_KEY_CACHE) >= _KEY_CACHE_LIMIT:
            _KEY_CACHE.clear()
        _KEY_CACHE[cache_key] = key
    return key


def amz_date(now: float | None = None) -> str:
    """``YYYYMMDDTHHMMSSZ`` for ``now`` (seconds since the epoch; the current time by default)."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if now is None else now))


def sign(
    *,
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes,
    access_key: str,
    secret_key: str,
    token: str | None,
    region: str,
    service: str,
    timestamp: str,
) -> dict[str, str]:
    """The headers to add to sign a request: ``X-Amz-Date``, ``X-Amz-Security-Token`` (with a
    session token) and ``Authorization``.

    ``headers`` are the request's other headers (``Host`` included); every one not in
    :data:`UNSIGNED_HEADERS` is signed, as botocore does. ``timestamp`` comes from :func:`amz_date`.
    """
    added = {"X-Amz-Date": timestamp}
    if token:
        added["X-Amz-Security-Token"] = token
    signed: dict[str, list[str]] = {}
    for name, value in (*headers.items(), *added.items()):
        lname = name.lower()
        if lname not in UNSIGNED_HEADERS and lname not in ("authorization",):
            signed.setdefault(lname, []).append(" ".join(value.split()))
    names = sorted(signed)
    canonical_headers = "".join(f"{n}:{','.join(signed[n])}\n" for n in names)
    signed_headers = ";".join(names)
    canonical_request = "\n".join(
        (
            method,
            _canonical_path(path),
            "",
            canonical_headers,
            signed_headers,
            hashlib.sha256(body).hexdigest(),
        )
    )
    date = timestamp[:8]
    scope = f"{date}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        (_ALGORITHM, timestamp, scope, hashlib.sha256(canonical_request.encode("utf-8")).hexdigest())
    )
    signature = hmac.new(
        signing_key(secret_key, date, region, service), string_to_sign.encode("utf-8"), hashlib.sha256
    ).hexdigest()
    added["Authorization"] = (
        f"{_ALGORITHM} Credential={access_key}/{scope}, SignedHeaders={signed_headers}, Signature={signature}"
    )
    return added


def _canonical_path(path: str) -> str:
    if path in ("", "/"):
        return "/"
    # botocore normalises dot segments (RFC 3986 5.2.4) and keeps a trailing slash.
    segments: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if segments:
                segments.pop()
            continue
        segments.append(part)
    normalized = "/" + "/".join(segments)
    if path.endswith("/") and normalized != "/":
        normalized += "/"
    return quote(normalized, safe="/~")
