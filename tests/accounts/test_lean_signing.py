"""The lean transport's signatures checked by a real verifier (moto with authentication on), and
partners' AssumeRole credentials signing through an async provider (moto keeps accounts apart)."""

from __future__ import annotations

import contextlib
import datetime
import json
import random
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from dynamorm_async.testing.moto_server import moto_server
from dynamorm_async.transport.lean import Credentials, LeanServiceError, LeanTransport

pytestmark = pytest.mark.anyio

REGION = "us-east-1"
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
TRUST_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
}


def own_session(key_id: str = "testing", secret: str = "testing") -> boto3.session.Session:
    """A boto3 session of the test's own: boto3's default session would keep these credentials
    cached for every later ``boto3.client()`` call in the process."""
    return boto3.session.Session(aws_access_key_id=key_id, aws_secret_access_key=secret, region_name=REGION)


@pytest.fixture(scope="module")
def verifying_moto(aws_test_environment: None) -> Iterator[tuple[str, dict[str, str]]]:
    """A moto server that checks every request's signature after the first five (which make an
    IAM user and a role, both allowed everything, and the user's access key); yields its URL and
    the key."""
    with contextlib.ExitStack() as stack:
        with pytest.MonkeyPatch.context() as mp:  # only the server process sees the setting
            mp.setenv("INITIAL_NO_AUTH_ACTION_COUNT", "5")
            url = stack.enter_context(moto_server(start_timeout=30))
        iam = own_session().client("iam", endpoint_url=url)
        iam.create_user(UserName="lean")
        iam.put_user_policy(UserName="lean", PolicyName="all", PolicyDocument=json.dumps(ALLOW_ALL))
        iam.create_role(RoleName="lean-role", AssumeRolePolicyDocument=json.dumps(TRUST_ALL))
        iam.put_role_policy(RoleName="lean-role", PolicyName="all", PolicyDocument=json.dumps(ALLOW_ALL))
        key = iam.create_access_key(UserName="lean")["AccessKey"]
        yield url, {"id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}


async def test_verifier_accepts_our_signature_and_refuses_a_wrong_secret(
    verifying_moto: tuple[str, dict[str, str]],
) -> None:
    url, key = verifying_moto
    good = LeanTransport(endpoint_url=url, region=REGION, credentials=Credentials(key["id"], key["secret"]))
    assert "TableNames" in await good.call("ListTables", {})
    secret = key["secret"]
    wrong = secret[:-1] + ("y" if secret.endswith("x") else "x")  # one character off, never the same
    bad = LeanTransport(endpoint_url=url, region=REGION, credentials=Credentials(key["id"], wrong))
    with pytest.raises(LeanServiceError) as info:
        await bad.call("ListTables", {})
    assert info.value.status == 403
    await good.close()
    await bad.close()


async def test_verifier_accepts_session_token_signatures(verifying_moto: tuple[str, dict[str, str]]) -> None:
    url, key = verifying_moto
    user = own_session(key["id"], key["secret"])
    sts = user.client("sts", endpoint_url=url)
    arn = user.client("iam", endpoint_url=url).get_role(RoleName="lean-role")["Role"]["Arn"]
    temporary = sts.assume_role(RoleArn=arn, RoleSessionName="lean")["Credentials"]
    lean = LeanTransport(
        endpoint_url=url,
        region=REGION,
        credentials=Credentials(
            temporary["AccessKeyId"], temporary["SecretAccessKey"], temporary["SessionToken"]
        ),
    )
    assert "TableNames" in await lean.call("ListTables", {})
    await lean.close()


async def test_partner_assume_role_credentials_sign_into_their_own_account(moto_url: str) -> None:
    accounts = {name: f"{random.randrange(10**11, 10**12)}" for name in ("acme", "globex")}
    fetched: list[str] = []

    def provider_for(account: str) -> Any:
        async def provider() -> tuple[str, str, str | None, datetime.datetime]:
            fetched.append(account)
            sts = own_session().client("sts", endpoint_url=moto_url)
            answer = sts.assume_role(
                RoleArn=f"arn:aws:iam::{account}:role/partner",
                RoleSessionName="lean",
                ExternalId="lean-external-id",
            )["Credentials"]
            return (
                answer["AccessKeyId"],
                answer["SecretAccessKey"],
                answer["SessionToken"],
                answer["Expiration"],
            )

        return provider

    transports = {
        name: LeanTransport(endpoint_url=moto_url, region=REGION, credentials=provider_for(account))
        for name, account in accounts.items()
    }
    acme = transports["acme"]
    await acme.call(
        "CreateTable",
        {
            "TableName": "lean_partner",
            "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
        },
    )
    await acme.call("PutItem", {"TableName": "lean_partner", "Item": {"k": {"S": "1"}, "b": {"B": b"\x01"}}})
    got = await acme.call("GetItem", {"TableName": "lean_partner", "Key": {"k": {"S": "1"}}})
    assert got["Item"]["b"] == {"B": b"\x01"}
    with pytest.raises(LeanServiceError) as info:
        await transports["globex"].call("GetItem", {"TableName": "lean_partner", "Key": {"k": {"S": "1"}}})
    assert info.value.code == "ResourceNotFoundException"
    assert sorted(fetched) == sorted(accounts.values())  # one AssumeRole per partner, then cached
    for transport in transports.values():
        await transport.close()
