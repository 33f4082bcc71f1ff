"""The lean endpoint resolver against botocore's rule-set engine with DynamoDB's own rule set."""

from __future__ import annotations

import itertools

import botocore.loaders
import pytest
from botocore.endpoint_provider import EndpointProvider

from dynamorm_async.transport.lean import LeanConfigurationError, resolve_endpoint
from dynamorm_async.transport.lean.endpoints import endpoint_from_environment

REGIONS = [
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-2",
    "ap-southeast-5",
    "ap-east-2",
    "sa-east-1",
    "ca-west-1",
    "me-central-1",
    "af-south-1",
    "il-central-1",
    "mx-central-1",
    "cn-north-1",
    "cn-northwest-1",
    "us-gov-west-1",
    "us-gov-east-1",
    "xx-future-1",  # unknown regions fall back to the aws partition on both sides
]


@pytest.fixture(scope="module")
def provider() -> EndpointProvider:
    loader = botocore.loaders.create_loader()
    ruleset = loader.load_service_model("dynamodb", "endpoint-rule-set-1")
    partitions = loader.load_data("partitions")
    return EndpointProvider(ruleset_data=ruleset, partition_data=partitions)


@pytest.mark.parametrize(
    ("region", "fips", "dualstack"), list(itertools.product(REGIONS, [False, True], [False, True]))
)
def test_regional_endpoint_matches_botocore(
    provider: EndpointProvider, region: str, fips: bool, dualstack: bool
) -> None:
    expected = provider.resolve_endpoint(Region=region, UseFIPS=fips, UseDualStack=dualstack).url
    assert resolve_endpoint(region, use_fips=fips, use_dualstack=dualstack) == expected


def test_china_and_govcloud_hosts() -> None:
    assert resolve_endpoint("cn-north-1") == "https://dynamodb.cn-north-1.amazonaws.com.cn"
    assert resolve_endpoint("us-gov-west-1", use_fips=True) == "https://dynamodb.us-gov-west-1.amazonaws.com"


def test_local_region_matches_botocore(provider: EndpointProvider) -> None:
    expected = provider.resolve_endpoint(Region="local", UseFIPS=False, UseDualStack=False).url
    assert resolve_endpoint("local") == expected


def test_explicit_endpoint_wins_and_ignores_fips() -> None:
    url = "http://127.0.0.1:8000"
    assert resolve_endpoint("us-east-1", endpoint_url=url, use_fips=True) == url


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"AWS_ENDPOINT_URL": "http://a:1"}, "http://a:1"),
        ({"AWS_ENDPOINT_URL": "http://a:1", "AWS_ENDPOINT_URL_DYNAMODB": "http://b:2"}, "http://b:2"),
        (
            {"AWS_ENDPOINT_URL": "http://a:1", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"},
            "https://dynamodb.eu-west-1.amazonaws.com",
        ),
        ({"AWS_USE_FIPS_ENDPOINT": "true"}, "https://dynamodb-fips.eu-west-1.amazonaws.com"),
        ({"AWS_USE_DUALSTACK_ENDPOINT": "TRUE"}, "https://dynamodb.eu-west-1.api.aws"),
        (
            {"AWS_USE_FIPS_ENDPOINT": "true", "AWS_USE_DUALSTACK_ENDPOINT": "true"},
            "https://dynamodb-fips.eu-west-1.api.aws",
        ),
        ({"AWS_USE_FIPS_ENDPOINT": "false"}, "https://dynamodb.eu-west-1.amazonaws.com"),
    ],
)
def test_environment_settings(environ: dict[str, str], expected: str) -> None:
    assert endpoint_from_environment(environ, "eu-west-1") == expected


@pytest.mark.parametrize(
    ("region", "url"),
    [
        (None, None),
        ("", None),
        ("us-east-1/../x", None),
        ("bad_region", None),
        ("us-iso-east-1", None),
        ("us-isob-east-1", None),
        ("us-east-1", "ftp://host"),
        ("us-east-1", "http://"),
        ("us-east-1", "http://host:notaport"),
        ("us-east-1", "http://user:pw@host"),
    ],
)
def test_bad_configuration_is_refused(region: str | None, url: str | None) -> None:
    with pytest.raises(LeanConfigurationError):
        resolve_endpoint(region, endpoint_url=url)
