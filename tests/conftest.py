"""Fixtures shared by the whole test suite: an isolated AWS environment and one DynamoDB Local.

Feature-specific fixtures live in the conftest.py of their folder (e.g. tests/integration/);
they can build on ``dynamodb_local`` (the endpoint URL) and ``boto3_client`` from here.

Set ``DYNAMORM_TEST_ENDPOINT_URL`` to run the tests against an already running DynamoDB Local
(for instance ``python -m dynamorm_async.testing.dynamodb_local run``) instead of starting one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from dynamorm_async.testing.dynamodb_local import DynamoDBLocal

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

AWS_REGION = "us-east-1"
AWS_ACCESS_KEY_ID = "testing"
AWS_SECRET_ACCESS_KEY = "testing"

# DynamoDB Local keeps one database per access key + region, so every client in the run must
# use exactly these values to see the same tables.
TEST_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": AWS_ACCESS_KEY_ID,
    "AWS_SECRET_ACCESS_KEY": AWS_SECRET_ACCESS_KEY,
    "AWS_DEFAULT_REGION": AWS_REGION,
    "AWS_REGION": AWS_REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
}
# Anything that could point a client at another account, profile or endpoint.
REMOVED_ENVIRONMENT = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
)
EXTERNAL_ENDPOINT_VARIABLE = "DYNAMORM_TEST_ENDPOINT_URL"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark everything under tests/integration as ``integration`` (select with ``-m``)."""
    integration_dir = Path(__file__).parent / "integration"
    for item in items:
        if integration_dir in item.path.parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    """Async tests (``@pytest.mark.anyio``) run on asyncio; session scope allows wide async fixtures."""
    return "asyncio"


@pytest.fixture(scope="session", autouse=True)
def aws_test_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Dummy credentials and region for the whole run; the user's AWS config is hidden.

    Autouse, so no test can reach a real AWS account by accident.
    """
    no_aws_config = tmp_path_factory.mktemp("aws") / "absent"
    no_proxy = ",".join(filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1", "localhost"]))
    with pytest.MonkeyPatch.context() as mp:
        for name in REMOVED_ENVIRONMENT:
            mp.delenv(name, raising=False)
        for name, value in TEST_ENVIRONMENT.items():
            mp.setenv(name, value)
        mp.setenv("AWS_CONFIG_FILE", str(no_aws_config))
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(no_aws_config))
        mp.setenv("NO_PROXY", no_proxy)
        mp.setenv("no_proxy", no_proxy)
        yield


@pytest.fixture(scope="session")
def dynamodb_local(aws_test_environment: None) -> Iterator[str]:
    """Endpoint URL of one in-memory DynamoDB Local shared by the whole test run."""
    external = os.environ.get(EXTERNAL_ENDPOINT_VARIABLE)
    if external:
        yield external
        return
    with DynamoDBLocal() as server:
        yield server.endpoint_url


@pytest.fixture(scope="session")
def boto3_client(dynamodb_local: str) -> DynamoDBClient:
    """A plain boto3 DynamoDB client on the same engine, to set up and read back data independently."""
    import boto3  # imported lazily: unit tests do not pay for it

    session = boto3.session.Session(
        aws_access_key_id=AWS_ACCESS_KEY_ID,
        aws_secret_access_key=AWS_SECRET_ACCESS_KEY,
        region_name=AWS_REGION,
    )
    return session.client("dynamodb", endpoint_url=dynamodb_local)
