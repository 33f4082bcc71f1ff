"""STS AssumeRole on the lean transport: the Query body botocore would send, the signature botocore
would compute for the very bytes we send, the XML answer parsed (errors and hostile bodies typed),
the endpoint rules, and the library's retry and error table applied as to every other call."""

from __future__ import annotations

import datetime
import logging
from typing import Any

import botocore.auth
import botocore.session
import pytest
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials
from botocore.serialize import create_serializer
from botocore.utils import percent_encode_sequence

from dynamorm_async.errors import ConnectionFailed, CredentialsError, InvalidInput, Throttled
from dynamorm_async.transport import TransportConfig, build_transport, choose_http, debug_stats
from dynamorm_async.transport.errortable import TLS_FAILED
from dynamorm_async.transport.lean import Credentials
from dynamorm_async.transport.lean.errors import LeanConfigurationError
from dynamorm_async.transport.lean.sts import (
    LeanStsRawTransport,
    encode_form,
    parse_error,
    parse_result,
    resolve_sts_endpoint,
    sts_endpoint_from_environment,
)

from .scripted_server import Request, ScriptedServer
from .test_tls import pki, server_context

pytestmark = pytest.mark.anyio
__all__ = ["pki"]  # the fixture, re-used

ROLE = "arn:aws:iam::111122223333:role/partner data+x"
PARAMS: dict[str, Any] = {
    "RoleArn": ROLE,
    "RoleSessionName": "dynamorm-acme",
    "ExternalId": "ext=/+:@,._-7f3a",
    "DurationSeconds": 3600,
}
NS = 'xmlns="https://sts.amazonaws.com/doc/2011-06-15/"'
OK_XML = f"""<AssumeRoleResponse {NS}>
  <AssumeRoleResult>
    <SourceIdentity>who</SourceIdentity>
    <AssumedRoleUser>
      <AssumedRoleId>AROA3XFRBF535PLBIFPI4:dynamorm-acme</AssumedRoleId>
      <Arn>arn:aws:sts::111122223333:assumed-role/partner/dynamorm-acme</Arn>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAJEXAMPLEXEG2JICEA</AccessKeyId>
      <SecretAccessKey>9drTJvcXLB89EXAMPLELB8923FB892xMFI</SecretAccessKey>
      <SessionToken>AQoXdzELDDY//////////wEaoAK1wvxJY12r2IrDFT2IvAzTCn3zHoZ7YNtpiQLF0MqZye/qwjzP2iEXAMPLE</SessionToken>
      <Expiration>2030-07-15T23:28:33.359Z</Expiration>
    </Credentials>
    <PackedPolicySize>6</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</AssumeRoleResponse>""".encode()


def error_xml(code: str, message: str = "no") -> bytes:
    return (
        f"<ErrorResponse {NS}><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
        "</Error><RequestId>r-1</RequestId></ErrorResponse>"
    ).encode()


def http_answer(status: int, body: bytes) -> bytes:
    head = (
        f"HTTP/1.1 {status} X\r\nContent-Type: text/xml\r\nx-amzn-RequestId: r-1\r\n"
        f"Content-Length: {len(body)}"
    )
    return head.encode() + b"\r\n\r\n" + body


def sts_transport(url: str, *, token: str | None = None, attempts: int = 3) -> Any:
    config = TransportConfig(
        region="eu-west-1", endpoint_url=url, http="lean", max_attempts=attempts, backoff_base=0.001
    )
    return build_transport(
        config, service="sts", lean_credentials=Credentials("AKIDEXAMPLE", "s3cr3t/key+x", token)
    )


# ---------------------------------------------------------------------------------------- the body
def test_the_form_body_is_what_botocore_serialises() -> None:
    model = botocore.session.get_session().get_service_model("sts")
    serialized = create_serializer("query").serialize_to_request(PARAMS, model.operation_model("AssumeRole"))
    assert encode_form("AssumeRole", PARAMS) == percent_encode_sequence(serialized["body"]).encode()
    assert b"ExternalId=ext%3D%2F%2B%3A%40%2C._-7f3a" in encode_form("AssumeRole", PARAMS)


def test_the_form_body_refuses_what_it_cannot_send() -> None:
    assert b"ExternalId" not in encode_form("AssumeRole", {**PARAMS, "ExternalId": None})
    with pytest.raises(LeanConfigurationError):
        encode_form("GetCallerIdentity", {})
    with pytest.raises(LeanConfigurationError):
        encode_form("AssumeRole", {**PARAMS, "DurationSeconds": True})
    with pytest.raises(LeanConfigurationError):
        encode_form("AssumeRole", {**PARAMS, "Tags": [{"Key": "k"}]})


# ------------------------------------------------------------------------------------ the signature
@pytest.mark.parametrize("token", [None, "FwoGZXIvYXdzEBYaD+session/token=="])
async def test_the_signature_on_the_wire_is_botocores(
    token: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def ok(request: Request) -> bytes:
        return http_answer(200, OK_XML)

    async with ScriptedServer(ok) as server:
        url = server.url
        sts = sts_transport(url, token=token)
        await sts.call("AssumeRole", PARAMS)
        await sts.close()
    sent = server.requests[0]
    assert sent.line.startswith("POST / HTTP/1.1")
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded; charset=utf-8"
    assert sent.body == encode_form("AssumeRole", PARAMS)
    # botocore signs the same request at the same instant: the same Authorization, byte for byte.
    moment = datetime.datetime.strptime(sent.headers["x-amz-date"], "%Y%m%dT%H%M%SZ")
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *a, **k: moment)
    request = AWSRequest(
        method="POST",
        url=url + "/",
        data=sent.body,
        headers={"Host": sent.headers["host"], "Content-Type": sent.headers["content-type"]},
    )
    botocore.auth.SigV4Auth(
        BotoCredentials("AKIDEXAMPLE", "s3cr3t/key+x", token), "sts", "eu-west-1"
    ).add_auth(request)
    assert sent.headers["authorization"] == request.headers["Authorization"]
    assert "/eu-west-1/sts/aws4_request" in sent.headers["authorization"]
    assert sent.headers.get("x-amz-security-token") == request.headers.get("X-Amz-Security-Token")


# ------------------------------------------------------------------------------------- the answers
def test_a_success_answer_has_botocores_shape() -> None:
    data = parse_result("AssumeRole", OK_XML)
    creds = data["Credentials"]
    assert creds["AccessKeyId"] == "ASIAJEXAMPLEXEG2JICEA"
    assert creds["SessionToken"].endswith("EXAMPLE")
    assert creds["Expiration"] == datetime.datetime(2030, 7, 15, 23, 28, 33, 359000, tzinfo=datetime.UTC)
    assert data["AssumedRoleUser"]["Arn"].endswith("assumed-role/partner/dynamorm-acme")
    assert data["PackedPolicySize"] == 6
    assert data["ResponseMetadata"]["RequestId"] == "c6104cbe-af31-11e0-8154-cbc7ccf896c7"


def test_an_error_answer_gives_code_message_and_request_id() -> None:
    code, message, request_id, body = parse_error(403, error_xml("AccessDenied", "not authorized"))
    assert (code, message, request_id) == ("AccessDenied", "not authorized", "r-1")
    assert body["Error"]["Type"] == "Sender"
    assert parse_error(503, b"<html><body>Service Unavailable</body></html>")[0] == "503"
    assert parse_error(502, b"not xml at all")[:2] == ("502", "")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<AssumeRoleResponse><AssumeRoleResult>",  # truncated
        b"<GetCallerIdentityResponse/>",  # another operation's answer
        OK_XML.replace(b"<SessionToken>", b"<Other>").replace(b"</SessionToken>", b"</Other>"),
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + OK_XML,
        b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY l2 "&lol;&lol;">]><AssumeRoleResponse/>',
    ],
)
def test_a_malformed_or_hostile_answer_is_refused(body: bytes) -> None:
    with pytest.raises(ValueError, match="the answer"):
        parse_result("AssumeRole", body)


async def test_a_malformed_answer_is_a_typed_error_without_secrets() -> None:
    async def doctype(request: Request) -> bytes:
        return http_answer(200, b'<!DOCTYPE x [<!ENTITY e SYSTEM "http://evil/">]><x>&e;</x>')

    async with ScriptedServer(doctype) as server:
        sts = sts_transport(server.url, token="tok-secret", attempts=1)
        with pytest.raises(ConnectionFailed) as info:
            await sts.call("AssumeRole", PARAMS)
        await sts.close()
    text = f"{info.value} {info.value!r} {info.value.__cause__!r}"
    for secret in ("s3cr3t", "tok-secret", PARAMS["ExternalId"]):
        assert secret not in text


# ------------------------------------------------------------------- the library's errors and retries
async def test_access_denied_maps_through_the_error_table() -> None:
    async def deny(request: Request) -> bytes:
        return http_answer(403, error_xml("AccessDenied", "User is not authorized to perform sts:AssumeRole"))

    async with ScriptedServer(deny) as server:
        sts = sts_transport(server.url)
        with pytest.raises(CredentialsError) as info:
            await sts.call("AssumeRole", PARAMS)
        await sts.close()
    assert info.value.code == "AccessDenied"
    assert len(server.requests) == 1  # a refusal is not retried


async def test_throttling_is_retried_by_the_library() -> None:
    async def throttle_once(request: Request) -> bytes:
        if len(server.requests) == 1:
            return http_answer(400, error_xml("Throttling", "Rate exceeded"))
        return http_answer(200, OK_XML)

    async with ScriptedServer(throttle_once) as server:
        sts = sts_transport(server.url)
        before = debug_stats().retries
        answer = await sts.call("AssumeRole", PARAMS)
        assert debug_stats().retries == before + 1
        assert answer["Credentials"]["AccessKeyId"] == "ASIAJEXAMPLEXEG2JICEA"
        await sts.close()

    async def throttle() -> bytes:
        return http_answer(400, error_xml("Throttling", "Rate exceeded"))

    async with ScriptedServer(lambda r: throttle()) as server:
        sts = sts_transport(server.url, attempts=2)
        with pytest.raises(Throttled) as err:
            await sts.call("AssumeRole", PARAMS)
        await sts.close()
    assert err.value.code == "Throttling" and err.value.attempts == 2


async def test_bad_input_and_missing_credentials_are_typed_and_send_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def never(request: Request) -> bytes:
        raise AssertionError("nothing must be sent")

    async with ScriptedServer(never) as server:
        sts = sts_transport(server.url)
        with pytest.raises(InvalidInput):
            await sts.call("AssumeRole", {**PARAMS, "DurationSeconds": 1.5})
        await sts.close()
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            monkeypatch.delenv(name, raising=False)
        raw = LeanStsRawTransport(TransportConfig(region="eu-west-1", endpoint_url=server.url), environ={})
        with pytest.raises(CredentialsError) as info:
            await raw.send("AssumeRole", PARAMS)
        assert info.value.code == "NoCredentials"
        await raw.close()
    assert server.requests == []


def test_reprs_and_logs_hold_no_secrets(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, "dynamorm_async")
    sts = sts_transport("http://127.0.0.1:9", token="tok-secret")
    sts.raw.lean()
    text = f"{sts!r} {sts.raw!r} {sts.raw.lean()!r} {caplog.text}"
    assert "transport for sts: lean (asked for)" in caplog.text
    for secret in ("s3cr3t", "tok-secret"):
        assert secret not in text


# ------------------------------------------------------------------------------------ the endpoints
@pytest.mark.parametrize(
    ("region", "fips", "dualstack", "url"),
    [
        ("eu-west-1", False, False, "https://sts.eu-west-1.amazonaws.com"),
        ("us-east-1", True, False, "https://sts-fips.us-east-1.amazonaws.com"),
        ("us-east-1", False, True, "https://sts.us-east-1.api.aws"),
        ("us-east-1", True, True, "https://sts-fips.us-east-1.api.aws"),
        ("cn-north-1", False, False, "https://sts.cn-north-1.amazonaws.com.cn"),
        ("cn-north-1", False, True, "https://sts.cn-north-1.api.amazonwebservices.com.cn"),
        ("us-gov-west-1", False, False, "https://sts.us-gov-west-1.amazonaws.com"),
        ("us-gov-west-1", True, False, "https://sts.us-gov-west-1.amazonaws.com"),
        ("ap-southeast-5", False, False, "https://sts.ap-southeast-5.amazonaws.com"),
    ],
)
def test_regional_endpoints_follow_botocores_rules(
    region: str, fips: bool, dualstack: bool, url: str
) -> None:
    assert resolve_sts_endpoint(region, use_fips=fips, use_dualstack=dualstack) == url
    resolver = botocore.session.get_session()
    client = resolver.create_client(
        "sts",
        region_name=region,
        aws_access_key_id="a",
        aws_secret_access_key="b",
        config=botocore.config.Config(use_fips_endpoint=fips, use_dualstack_endpoint=dualstack),
    )
    assert client.meta.endpoint_url == url


def test_configured_endpoints_and_what_needs_botocore() -> None:
    env = {"AWS_ENDPOINT_URL": "http://all:1", "AWS_ENDPOINT_URL_STS": "http://sts:2"}
    assert sts_endpoint_from_environment(env, "eu-west-1") == "http://sts:2"
    assert sts_endpoint_from_environment({"AWS_ENDPOINT_URL": "http://all:1"}, "eu-west-1") == "http://all:1"
    assert sts_endpoint_from_environment(env, "eu-west-1", endpoint_url="http://given:3") == "http://given:3"
    ignored = {**env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true", "AWS_USE_FIPS_ENDPOINT": "true"}
    assert sts_endpoint_from_environment(ignored, "eu-west-1") == "https://sts-fips.eu-west-1.amazonaws.com"
    for bad in ("aws-global", "us-iso-east-1", "bad_region", ""):
        with pytest.raises(LeanConfigurationError):
            resolve_sts_endpoint(bad)
    with pytest.raises(LeanConfigurationError):
        sts_endpoint_from_environment({"AWS_STS_REGIONAL_ENDPOINTS": "legacy"}, "us-east-1")


def test_auto_sends_sts_lean_exactly_where_dynamodb_goes_lean() -> None:
    auto = TransportConfig(region="eu-west-1")
    lam = {
        "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
        "AWS_CONFIG_FILE": "/absent",
        "AWS_SHARED_CREDENTIALS_FILE": "/absent",
    }
    keys = {"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}
    for env in (
        {**lam, **keys},
        lam,
        keys,
        {**lam, **keys, "AWS_PROFILE": "p"},
        {**lam, **keys, "HTTPS_PROXY": "http://p:3"},
    ):
        dynamodb, sts = choose_http(auto, environ=env), choose_http(auto, service="sts", environ=env)
        assert dynamodb[0] == sts[0], env
    assert choose_http(auto, service="sts", environ={**lam, **keys})[1] == "auto: environment credentials"
    legacy = choose_http(auto, service="sts", environ={**lam, **keys, "AWS_STS_REGIONAL_ENDPOINTS": "legacy"})
    assert legacy[0] == "aiobotocore" and "legacy" in legacy[1]
    assert choose_http(auto, service="sts", environ={**lam, **keys}, session=object())[0] == "aiobotocore"


async def test_sts_over_tls_verifies_the_certificate_and_the_host(
    pki: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def ok(request: Request) -> bytes:
        return http_answer(200, OK_XML)

    async with ScriptedServer(ok, ssl=server_context(pki)) as server:
        port = server.url.rsplit(":", 1)[1]
        monkeypatch.setenv("AWS_CA_BUNDLE", pki["ca"])
        sts = sts_transport(f"https://localhost:{port}")
        assert (await sts.call("AssumeRole", PARAMS))["Credentials"]["AccessKeyId"]
        await sts.close()
        for host, ca in (("127.0.0.1", pki["ca"]), ("localhost", pki["other_ca"])):
            monkeypatch.setenv("AWS_CA_BUNDLE", ca)
            sts = sts_transport(f"https://{host}:{port}", attempts=1)
            with pytest.raises(ConnectionFailed) as info:
                await sts.call("AssumeRole", PARAMS)
            await sts.close()
            assert info.value.code == TLS_FAILED and info.value.may_have_reached_aws is False
        assert len(server.requests) == 1  # only over the verified connection
