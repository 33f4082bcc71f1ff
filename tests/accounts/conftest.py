"""Fixtures for the multi-account tests: moto in server mode (STS + DynamoDB) behind a recording proxy.

moto keeps accounts apart when requests are signed with credentials from ``sts.assume_role``
into ``arn:aws:iam::<account>:role/<name>``: the same table name in two accounts holds
different data. Each test draws fresh account ids, so tests never see each other's tables.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Annotated

import pytest

from dynamorm_async import AccountConfig, HashKey, Model, MultiAccountDB
from dynamorm_async.testing.moto_server import moto_server

from .recording_proxy import RecordingProxy

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

REGION = "us-east-1"


class Item(Model, table="partner_items"):
    """The same table name and keys in every partner account; ``owner`` says whose item it is."""

    key: Annotated[str, HashKey()]
    owner: str
    n: int = 0


@pytest.fixture(scope="session")
def moto_url(aws_test_environment: None) -> Iterator[str]:
    """Endpoint URL of one moto server (all services, its own process) for the test session.

    A process of its own lets moto run beside the client and the proxy instead of sharing
    their interpreter lock.
    """
    with moto_server(start_timeout=30) as url:
        yield url


@pytest.fixture(scope="session")
def proxy(moto_url: str) -> Iterator[RecordingProxy]:
    """The recording proxy in front of moto; refusals are reset after every test."""
    recorder = RecordingProxy(moto_url).start()
    yield recorder
    recorder.stop()


@pytest.fixture(autouse=True)
def _reset_refusals(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "proxy" in request.fixturenames:
        recorder: RecordingProxy = request.getfixturevalue("proxy")
        with recorder.lock:
            recorder.deny_roles.clear()
            recorder.expired_keys.clear()
            recorder.expired_roles.clear()
            recorder.stale_roles.clear()


AccountFactory = Callable[..., AccountConfig]


@pytest.fixture
def new_account() -> AccountFactory:
    """``new_account(**overrides)``: an AccountConfig for a role in a fresh, random account."""
    rnd = random.Random()

    def make(**overrides: object) -> AccountConfig:
        account_id = f"{rnd.randrange(10**11, 10**12):012d}"
        fields: dict[str, object] = {
            "role_arn": f"arn:aws:iam::{account_id}:role/partner-data",
            "external_id": f"ext-{rnd.getrandbits(64):016x}",
            "region": REGION,
        }
        fields.update(overrides)
        return AccountConfig(**fields)  # type: ignore[arg-type]

    return make


#: Suites that also run on the lean transport (STS AssumeRole and the partners' DynamoDB calls):
#: isolation between accounts, the credential lifecycle and the typed STS failures are what differ.
BOTH_TRANSPORTS = frozenset({"test_isolation", "test_credentials", "test_errors_and_observability"})


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``mdb`` of :data:`BOTH_TRANSPORTS` runs its STS and partners on aiobotocore, then on lean."""
    if "partner_http" in metafunc.fixturenames:
        module = metafunc.module.__name__.rsplit(".", 1)[-1]
        ways = ["aiobotocore", "lean"] if module in BOTH_TRANSPORTS else ["aiobotocore"]
        metafunc.parametrize("partner_http", ways, indirect=True)


@pytest.fixture
def partner_http(request: pytest.FixtureRequest) -> str:
    """The way to the wire of STS and of the partners' DynamoDB calls."""
    return str(getattr(request, "param", "aiobotocore"))


@pytest.fixture
async def mdb(proxy: RecordingProxy, partner_http: str) -> AsyncIterator[MultiAccountDB]:
    """A MultiAccountDB whose STS and DynamoDB calls go through the recording proxy."""
    async with MultiAccountDB(
        region=REGION, endpoint_url=proxy.url, sts_endpoint_url=proxy.url, http=partner_http
    ) as db:
        yield db


async def seed(mdb: MultiAccountDB, partner: str, keys: int = 5) -> None:
    """Create ``Item``'s table in the partner's account and put ``keys`` items owned by it."""
    async with mdb.partner(partner) as db:
        items = db.manager(Item)
        await items.ensure_table()
        for i in range(keys):
            await items.put(Item(key=f"k{i}", owner=partner, n=i))


def boto3_dynamodb(moto_url: str, proxy: RecordingProxy, account: AccountConfig) -> DynamoDBClient:
    """A plain boto3 client straight to moto, signed with keys moto issued for ``account``'s role."""
    import boto3

    issued = proxy.issued_for(account.role_arn)[-1]
    session = boto3.session.Session(
        aws_access_key_id=issued.access_key,
        aws_secret_access_key=issued.secret_key,
        aws_session_token=issued.token,
        region_name=REGION,
    )
    return session.client("dynamodb", endpoint_url=moto_url)
