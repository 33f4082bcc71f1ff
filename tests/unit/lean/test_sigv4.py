"""The lean SigV4 signer against botocore's own ``SigV4Auth``: same inputs, same bytes."""

from __future__ import annotations

import datetime
from typing import Any

import botocore.auth
import pytest
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials
from hypothesis import given, settings
from hypothesis import strategies as st

from dynamorm_async.transport.lean import sigv4

_key_text = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=16, max_size=20)
_secret_text = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=40)
_token_text = st.one_of(
    st.none(), st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=80)
)
_operation = st.sampled_from(
    ["GetItem", "PutItem", "Query", "Scan", "BatchWriteItem", "TransactWriteItems", "DescribeTable"]
)
_region = st.sampled_from(["us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1", "ap-southeast-5"])
_host = st.sampled_from(
    [
        ("https://dynamodb.us-east-1.amazonaws.com/", "dynamodb.us-east-1.amazonaws.com"),
        ("http://127.0.0.1:8000/", "127.0.0.1:8000"),
        ("https://dynamodb-fips.us-east-1.api.aws/", "dynamodb-fips.us-east-1.api.aws"),
        ("http://localhost/", "localhost"),
    ]
)
_moment = st.datetimes(
    min_value=datetime.datetime(2000, 1, 1), max_value=datetime.datetime(2099, 12, 31)
).map(lambda d: d.replace(microsecond=0))
# Header values with the spaces SigV4 trims and collapses, and non-ASCII text in the body.
_word = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=8)
_extra_value = st.builds(
    lambda words, gaps: "".join(w + g for w, g in zip(words, gaps, strict=False)),
    st.lists(_word, min_size=1, max_size=4),
    st.lists(st.sampled_from([" ", "  ", "   "]), min_size=4, max_size=4),
).map(lambda s: "  " + s)


def botocore_signature(
    *,
    url: str,
    headers: dict[str, str],
    body: bytes,
    access_key: str,
    secret_key: str,
    token: str | None,
    region: str,
    moment: datetime.datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, Any]:
    """What botocore's SigV4 signer adds to the same request, at the same instant."""
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *a, **k: moment)
    request = AWSRequest(method="POST", url=url, data=body, headers=dict(headers))
    credentials = BotoCredentials(access_key, secret_key, token)
    botocore.auth.SigV4Auth(credentials, "dynamodb", region).add_auth(request)
    names = ("Authorization", "X-Amz-Date", "X-Amz-Security-Token")
    return {name: request.headers[name] for name in names if name in request.headers}


@settings(max_examples=300, deadline=None)
@given(
    access_key=_key_text,
    secret_key=_secret_text,
    token=_token_text,
    operation=_operation,
    region=_region,
    endpoint=_host,
    body=st.text(max_size=200).map(lambda s: s.encode("utf-8")),
    moment=_moment,
    extra=st.one_of(st.none(), _extra_value),
)
def test_signature_is_byte_identical_to_botocore(
    access_key: str,
    secret_key: str,
    token: str | None,
    operation: str,
    region: str,
    endpoint: tuple[str, str],
    body: bytes,
    moment: datetime.datetime,
    extra: str | None,
) -> None:
    url, host = endpoint
    headers = {
        "Host": host,
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": f"DynamoDB_20120810.{operation}",
    }
    if extra is not None:
        headers["X-Custom-Header"] = extra
    headers_for_botocore = dict(headers)
    # Unsigned headers must not change the signature on either side.
    headers["User-Agent"] = "lean-test"
    with pytest.MonkeyPatch.context() as mp:
        expected = botocore_signature(
            url=url,
            headers=headers_for_botocore,
            body=body,
            access_key=access_key,
            secret_key=secret_key,
            token=token,
            region=region,
            moment=moment,
            monkeypatch=mp,
        )
    ours = sigv4.sign(
        method="POST",
        path="/",
        headers=headers,
        body=body,
        access_key=access_key,
        secret_key=secret_key,
        token=token,
        region=region,
        service="dynamodb",
        timestamp=sigv4.amz_date(moment.replace(tzinfo=datetime.UTC).timestamp()),
    )
    assert ours == expected
    assert ("X-Amz-Security-Token" in ours) is bool(token)


def test_signing_key_is_cached_per_secret_date_region_service() -> None:
    sigv4._KEY_CACHE.clear()
    first = sigv4.signing_key("secret", "20260101", "us-east-1", "dynamodb")
    assert sigv4.signing_key("secret", "20260101", "us-east-1", "dynamodb") is first
    assert len(sigv4._KEY_CACHE) == 1
    others = {
        sigv4.signing_key("secret2", "20260101", "us-east-1", "dynamodb"),
        sigv4.signing_key("secret", "20260102", "us-east-1", "dynamodb"),
        sigv4.signing_key("secret", "20260101", "eu-west-1", "dynamodb"),
        sigv4.signing_key("secret", "20260101", "us-east-1", "sts"),
    }
    assert first not in others
    assert len(others) == 4
    assert len(sigv4._KEY_CACHE) == 5


def test_amz_date_format() -> None:
    assert sigv4.amz_date(0) == "19700101T000000Z"
    assert sigv4.amz_date(1_764_000_000) == "20251124T160000Z"
