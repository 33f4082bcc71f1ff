"""``AccountConfig``: where one partner's data lives and how to reach it, checked when made.

The checks mirror what STS itself would refuse (ARN shape, session-name characters, duration
bounds), so a typo fails at configuration time with a message naming the field, instead of as
an ``AccessDenied`` on the first request. The external id is treated as a secret: it is never
shown by ``repr`` and never echoed in an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import InvalidInput

#: ``arn:<partition>:iam::<12-digit account>:role/<optional path/><name>``
_ROLE_ARN = re.compile(
    r"arn:(?P<partition>aws(?:-[a-z]+)*):iam::(?P<account>\d{12}):role/"
    r"(?P<path>(?:[\w+=,.@-]+/)*)(?P<name>[\w+=,.@-]{1,64})",
    re.ASCII,
)
#: STS: 2-64 characters of letters, digits and ``+=,.@-_``.
_SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)
#: STS: 2-1224 characters of letters, digits and ``+=,.@:/-_``.
_EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,1224}", re.ASCII)
#: e.g. ``eu-west-1``, ``us-gov-west-1``, ``cn-northwest-1``.
_REGION = re.compile(r"[a-z]{2,4}(?:-[a-z]+)+-\d{1,2}", re.ASCII)

MIN_DURATION = 900
MAX_DURATION = 43200
DEFAULT_SESSION_NAME = "dynamorm-async"


def _int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"AccountConfig.{name} must be an int (seconds), got {type(value).__name__}")
    return value


@dataclass(frozen=True, slots=True, repr=False)
class AccountConfig:
    """One partner account: the role to assume (with its external id) and the region of its tables.

    ``duration_seconds`` is the session length asked of STS (900..43200; a role assumed from
    another role's session, such as a Lambda function's, is capped at 3600 by AWS).
    Credentials are refreshed ``refresh_before_seconds`` before they expire.

    :raises InvalidInput: a field STS would refuse, or an inconsistent refresh window.
    """

    role_arn: str
    external_id: str
    region: str
    session_name: str = DEFAULT_SESSION_NAME
    duration_seconds: int = 3600
    refresh_before_seconds: int = 300

    def __post_init__(self) -> None:
        if not isinstance(self.role_arn, str) or _ROLE_ARN.fullmatch(self.role_arn) is None:
            raise InvalidInput(
                f"AccountConfig.role_arn {self.role_arn!r} is not an IAM role ARN "
                "(expected arn:aws:iam::<12-digit account>:role/<name>)"
            )
        if not isinstance(self.external_id, str) or _EXTERNAL_ID.fullmatch(self.external_id) is None:
            # The value is a secret: say what is wrong, never what it is.
            raise InvalidInput(
                "AccountConfig.external_id must be 2 to 1224 characters of letters, digits and +=,.@:/-_"
            )
        if not isinstance(self.region, str) or _REGION.fullmatch(self.region) is None:
            raise InvalidInput(
                f"AccountConfig.region {self.region!r} is not an AWS region name like 'eu-west-1'"
            )
        if not isinstance(self.session_name, str) or _SESSION_NAME.fullmatch(self.session_name) is None:
            raise InvalidInput(
                f"AccountConfig.session_name {self.session_name!r} must be 2 to 64 characters "
                "of letters, digits and +=,.@-_"
            )
        duration = _int("duration_seconds", self.duration_seconds)
        if not MIN_DURATION <= duration <= MAX_DURATION:
            raise InvalidInput(
                f"AccountConfig.duration_seconds must be between {MIN_DURATION} and {MAX_DURATION}, "
                f"got {duration}"
            )
        before = _int("refresh_before_seconds", self.refresh_before_seconds)
        if not 0 < before < duration:
            raise InvalidInput(
                "AccountConfig.refresh_before_seconds must be more than 0 and less than "
                f"duration_seconds ({duration}), got {before}"
            )

    @property
    def account_id(self) -> str:
        """The 12-digit account the role belongs to."""
        match = _ROLE_ARN.fullmatch(self.role_arn)
        assert match is not None  # checked in __post_init__
        return match["account"]

    def __repr__(self) -> str:
        return (
            f"AccountConfig(role_arn={self.role_arn!r}, external_id=<hidden>, region={self.region!r}, "
            f"session_name={self.session_name!r}, duration_seconds={self.duration_seconds}, "
            f"refresh_before_seconds={self.refresh_before_seconds})"
        )

    __str__ = __repr__


__all__ = ["DEFAULT_SESSION_NAME", "MAX_DURATION", "MIN_DURATION", "AccountConfig"]
