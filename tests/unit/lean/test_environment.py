"""When the lean transport is complete for an environment (``auto`` selection), and why not."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynamorm_async.transport.lean import lean_completeness

LAMBDA = {
    "AWS_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "ASIA",
    "AWS_SECRET_ACCESS_KEY": "secret",
    "AWS_SESSION_TOKEN": "token",
}
SNAPSTART = {
    "AWS_REGION": "eu-west-1",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9001/2021-04-23/credentials",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN": "t",
}


@pytest.fixture
def no_files(tmp_path: Path) -> dict[str, str]:
    absent = str(tmp_path / "absent")
    return {"AWS_CONFIG_FILE": absent, "AWS_SHARED_CREDENTIALS_FILE": absent}


@pytest.mark.parametrize(
    ("extra", "complete", "reason"),
    [
        (LAMBDA, True, "environment credentials"),
        (SNAPSTART, True, "container"),
        ({**SNAPSTART, "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://10.1.1.1/x"}, False, "FULL_URI"),
        ({**LAMBDA, "AWS_REGION": ""}, False, "no region"),
        ({**LAMBDA, "AWS_REGION": "", "AWS_DEFAULT_REGION": "us-east-1"}, True, "environment"),
        ({**LAMBDA, "AWS_REGION": "us-iso-east-1"}, False, "endpoint"),
        ({**LAMBDA, "AWS_USE_FIPS_ENDPOINT": "true"}, True, "environment"),
        ({**LAMBDA, "HTTPS_PROXY": "http://proxy:3128"}, False, "proxy"),
        ({**LAMBDA, "https_proxy": "http://proxy:3128", "NO_PROXY": ".amazonaws.com"}, True, "environment"),
        ({**LAMBDA, "ALL_PROXY": "http://proxy:3128", "no_proxy": "*"}, True, "environment"),
        ({**LAMBDA, "HTTP_PROXY": "http://proxy:3128"}, True, "environment"),  # https endpoint
        ({"AWS_REGION": "eu-west-1", "AWS_PROFILE": "dev"}, False, "AWS_PROFILE"),
        ({**SNAPSTART, "AWS_PROFILE": "dev"}, False, "AWS_PROFILE"),
        ({**SNAPSTART, "AWS_WEB_IDENTITY_TOKEN_FILE": "/t", "AWS_ROLE_ARN": "arn"}, False, "WEB_IDENTITY"),
        ({"AWS_REGION": "eu-west-1"}, False, "IMDS"),
    ],
)
def test_completeness(no_files: dict[str, str], extra: dict[str, str], complete: bool, reason: str) -> None:
    verdict = lean_completeness({**no_files, **extra})
    assert bool(verdict) is complete
    assert reason in verdict.reason


def test_config_file_makes_it_incomplete(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text("[default]\nregion = eu-west-1\n")
    environ = {**LAMBDA, "AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no")}
    verdict = lean_completeness(environ)
    assert not verdict
    assert "config file" in verdict.reason
    # ...unless the endpoint and credentials are given explicitly.
    assert lean_completeness(environ, endpoint_url="http://127.0.0.1:8000", credentials_given=True)


def test_explicit_provider_and_region(no_files: dict[str, str]) -> None:
    verdict = lean_completeness(no_files, region="ap-southeast-2", credentials_given=True)
    assert verdict.complete
    assert verdict.reason == "credentials given"
