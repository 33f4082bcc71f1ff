"""Where DynamoDB requests go: an explicit URL, the standard environment settings, or the regional
endpoint of the aws, aws-cn and aws-us-gov partitions (with FIPS and dual-stack variants).

The rules follow DynamoDB's endpoint rule set as botocore ships it (without the account-id
endpoints, which are an optional variant of the same regional service).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import LeanConfigurationError

_HOST_LABEL = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-]{0,62}$")


@dataclass(frozen=True, slots=True)
class Partition:
    """One AWS partition: which regions belong to it and its DNS suffixes."""

    name: str
    region_regex: re.Pattern[str]
    regions: frozenset[str]
    dns_suffix: str
    dualstack_dns_suffix: str


PARTITIONS = (
    Partition(
        "aws",
        re.compile(r"^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$"),
        frozenset({"aws-global"}),
        "amazonaws.com",
        "api.aws",
    ),
    Partition(
        "aws-cn",
        re.compile(r"^cn\-\w+\-\d+$"),
        frozenset({"aws-cn-global"}),
        "amazonaws.com.cn",
        "api.amazonwebservices.com.cn",
    ),
    Partition(
        "aws-us-gov",
        re.compile(r"^us\-gov\-\w+\-\d+$"),
        frozenset({"aws-us-gov-global"}),
        "amazonaws.com",
        "api.aws",
    ),
)
#: Regions of partitions this transport does not serve (isolated and sovereign clouds).
UNSUPPORTED_REGIONS = re.compile(r"^(us\-iso\w*|eu\-isoe|eusc\-de)\-\w+\-\d+$|^aws-iso|^aws-eusc")


def partition_of(region: str) -> Partition:
    """The partition ``region`` belongs to; unknown regions fall back to ``aws`` (as botocore's)."""
    for partition in PARTITIONS:
        if region in partition.regions:
            return partition
    for partition in PARTITIONS:
        if partition.region_regex.match(region):
            return partition
    return PARTITIONS[0]


def checked_region(region: str | None) -> str:
    """``region`` when it can name a regional endpoint of a partition the lean transport serves.

    :raises LeanConfigurationError: no region, or one that is not a host label or is in another
        partition.
    """
    if not region:
        raise LeanConfigurationError("Invalid Configuration: Missing Region")
    if not _HOST_LABEL.match(region) or region.endswith("-"):
        raise LeanConfigurationError(f"invalid region name {region!r}")
    if UNSUPPORTED_REGIONS.search(region):
        raise LeanConfigurationError(f"region {region!r} is in a partition the lean transport does not serve")
    return region


def resolve_endpoint(
    region: str | None,
    *,
    endpoint_url: str | None = None,
    use_fips: bool = False,
    use_dualstack: bool = False,
) -> str:
    """The endpoint URL for DynamoDB in ``region``, or ``endpoint_url`` when one is given.

    :raises LeanConfigurationError: no region, or a region that is not a host label or belongs to
        a partition this transport does not serve.
    """
    if endpoint_url:
        # As botocore: a given endpoint wins and the FIPS / dual-stack settings do not apply.
        check_endpoint_url(endpoint_url)
        return endpoint_url
    region = checked_region(region)
    if region == "local":
        if use_fips or use_dualstack:
            raise LeanConfigurationError(
                "Invalid Configuration: FIPS and DualStack are not supported locally"
            )
        return "http://localhost:8000"
    partition = partition_of(region)
    if use_fips and use_dualstack:
        return f"https://dynamodb-fips.{region}.{partition.dualstack_dns_suffix}"
    if use_fips:
        if partition.name == "aws-us-gov":  # GovCloud endpoints are FIPS endpoints already
            return f"https://dynamodb.{region}.{partition.dns_suffix}"
        return f"https://dynamodb-fips.{region}.{partition.dns_suffix}"
    if use_dualstack:
        return f"https://dynamodb.{region}.{partition.dualstack_dns_suffix}"
    return f"https://dynamodb.{region}.{partition.dns_suffix}"


def check_endpoint_url(url: str) -> None:
    """Refuse an endpoint URL that is not ``http(s)://host[:port][/path]``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LeanConfigurationError(f"invalid endpoint URL {url!r}: expected http(s)://host[:port]")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise LeanConfigurationError("the endpoint URL must not carry a query, fragment or user info")
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise LeanConfigurationError(f"invalid endpoint URL {url!r}: {exc}") from None


def _flag(environ: Mapping[str, str], name: str) -> bool:
    return environ.get(name, "").strip().lower() == "true"


def endpoint_from_environment(
    environ: Mapping[str, str],
    region: str | None,
    *,
    endpoint_url: str | None = None,
    use_fips: bool | None = None,
    use_dualstack: bool | None = None,
) -> str:
    """Resolve as botocore does from the environment: an explicit URL first, then
    ``AWS_ENDPOINT_URL_DYNAMODB``, then ``AWS_ENDPOINT_URL`` (both skipped when
    ``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`` is true), then the regional endpoint with
    ``AWS_USE_FIPS_ENDPOINT`` / ``AWS_USE_DUALSTACK_ENDPOINT`` unless given explicitly (both apply
    only to regional endpoints)."""
    if not endpoint_url and not _flag(environ, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"):
        endpoint_url = environ.get("AWS_ENDPOINT_URL_DYNAMODB") or environ.get("AWS_ENDPOINT_URL") or None
    fips = _flag(environ, "AWS_USE_FIPS_ENDPOINT") if use_fips is None else use_fips
    dualstack = _flag(environ, "AWS_USE_DUALSTACK_ENDPOINT") if use_dualstack is None else use_dualstack
    return resolve_endpoint(region, endpoint_url=endpoint_url, use_fips=fips, use_dualstack=dualstack)


def region_from_environment(environ: Mapping[str, str]) -> str | None:
    """``AWS_REGION`` (what Lambda sets), else ``AWS_DEFAULT_REGION``."""
    return environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or None
