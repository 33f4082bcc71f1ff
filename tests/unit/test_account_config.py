"""``AccountConfig`` is checked when made, with errors that name the field and never the external id."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from dynamorm_async import AccountConfig, InvalidInput

GOOD: dict[str, Any] = {
    "role_arn": "arn:aws:iam::123456789012:role/partner-data",
    "external_id": "acme-7f3a9c",
    "region": "eu-west-1",
}


def make(**overrides: Any) -> AccountConfig:
    return AccountConfig(**{**GOOD, **overrides})


def test_defaults_and_account_id() -> None:
    config = make()
    assert (config.session_name, config.duration_seconds, config.refresh_before_seconds) == (
        "dynamorm-async",
        3600,
        300,
    )
    assert config.account_id == "123456789012"


@pytest.mark.parametrize(
    "role_arn",
    [
        "arn:aws:iam::123456789012:role/partner-data",
        "arn:aws:iam::000000000001:role/service-role/team/Reader_v2",
        "arn:aws-cn:iam::123456789012:role/r",
        "arn:aws-us-gov:iam::123456789012:role/a+b=c,d.e@f-g",
        "arn:aws:iam::123456789012:role/" + "n" * 64,
    ],
)
def test_role_arns_accepted(role_arn: str) -> None:
    assert make(role_arn=role_arn).role_arn == role_arn


@pytest.mark.parametrize(
    "role_arn",
    [
        "",
        "partner-data",
        "arn:aws:iam::123456789012:user/partner-data",  # a user, not a role
        "arn:aws:sts::123456789012:assumed-role/partner-data/session",  # a session, not a role
        "arn:aws:iam::12345678901:role/partner-data",  # 11 digits
        "arn:aws:iam::1234567890123:role/partner-data",  # 13 digits
        "arn:aws:iam:eu-west-1:123456789012:role/partner-data",  # IAM is global
        "arn:aws:iam::123456789012:role/",
        "arn:aws:iam::123456789012:role/has space",
        "arn:aws:iam::123456789012:role/" + "n" * 65,
        " arn:aws:iam::123456789012:role/partner-data",
        "arn:aws:iam::123456789012:role/partner-data\n",
    ],
)
def test_role_arns_refused(role_arn: str) -> None:
    with pytest.raises(InvalidInput, match=r"role_arn .* is not an IAM role ARN"):
        make(role_arn=role_arn)


@pytest.mark.parametrize("duration", [900, 3600, 43200])
def test_durations_accepted(duration: int) -> None:
    assert make(duration_seconds=duration, refresh_before_seconds=60).duration_seconds == duration


@pytest.mark.parametrize(
    ("duration", "message"),
    [
        (899, "between 900 and 43200, got 899"),
        (43201, "between 900 and 43200, got 43201"),
        (0, "between 900 and 43200"),
        (-3600, "between 900 and 43200"),
        (3600.0, "must be an int"),
        ("3600", "must be an int"),
        (True, "must be an int"),
    ],
)
def test_durations_refused(duration: Any, message: str) -> None:
    with pytest.raises(InvalidInput, match=f"duration_seconds {message}|duration_seconds.*{message}"):
        make(duration_seconds=duration)


@pytest.mark.parametrize(
    ("before", "ok"),
    [
        (1, True),
        (300, True),
        (3599, True),
        (0, False),
        (-1, False),
        (3600, False),
        (7200, False),
        (True, False),
    ],
)
def test_refresh_window_must_fall_inside_the_duration(before: Any, ok: bool) -> None:
    if ok:
        assert make(refresh_before_seconds=before).refresh_before_seconds == before
    else:
        with pytest.raises(InvalidInput, match="refresh_before_seconds"):
            make(refresh_before_seconds=before)


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("ab", True),
        ("orders-reader", True),
        ("a_b+c=d,e.f@g-h", True),
        ("s" * 64, True),
        ("a", False),
        ("s" * 65, False),
        ("has space", False),
        ("slash/name", False),
        ("colon:name", False),
        ("ünïcode", False),
        ("", False),
    ],
)
def test_session_name_rules(name: str, ok: bool) -> None:
    if ok:
        assert make(session_name=name).session_name == name
    else:
        with pytest.raises(InvalidInput, match=r"session_name .* must be 2 to 64 characters"):
            make(session_name=name)


@pytest.mark.parametrize(
    "region", ["eu-west-1", "us-gov-west-1", "cn-northwest-1", "ap-southeast-4", "il-central-1"]
)
def test_regions_accepted(region: str) -> None:
    assert make(region=region).region == region


@pytest.mark.parametrize("region", ["", "eu-west", "EU-WEST-1", "euwest1", "eu west 1", "eu-west-1a"])
def test_regions_refused(region: str) -> None:
    with pytest.raises(InvalidInput, match="region"):
        make(region=region)


@pytest.mark.parametrize(
    "external_id",
    ["x", "has space s3cr3t", "semi;colon-s3cr3t", "q" * 1225, "", "ünïcode-s3cr3t"],
)
def test_bad_external_ids_are_refused_without_echoing_them(external_id: str) -> None:
    with pytest.raises(InvalidInput, match="external_id must be 2 to 1224 characters") as caught:
        make(external_id=external_id)
    text = str(caught.value)
    assert "s3cr3t" not in text and "q" * 20 not in text


def test_external_id_is_hidden_from_repr_and_str() -> None:
    config = make(external_id="acme-s3cr3t-value")
    for shown in (repr(config), str(config), f"{config}", repr([config])):
        assert "s3cr3t" not in shown
        assert "external_id=<hidden>" in shown
        assert "arn:aws:iam::123456789012:role/partner-data" in shown


def test_configs_are_frozen_values() -> None:
    config = make()
    with pytest.raises(AttributeError):
        config.region = "us-east-1"  # type: ignore[misc]
    assert config == make()
    assert hash(config) == hash(make())
    assert config != make(external_id="other-id")


def test_configuring_partners_loads_no_aws_sdk() -> None:
    """Partners are registered at import/init time: that must not load the AWS SDK or HTTP stack."""
    code = (
        "import sys\n"
        "from dynamorm_async import AccountConfig, MultiAccountDB\n"
        "mdb = MultiAccountDB(region='eu-west-1')\n"
        "mdb.add_partner('acme', AccountConfig(role_arn='arn:aws:iam::123456789012:role/r', "
        "external_id='acme-1', region='eu-west-1'))\n"
        "mdb.partner('acme')\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'aiobotocore', 'botocore', 'aiohttp', 'boto3', 'anyio', 'aws_xray_sdk'})\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
