"""Async, refreshing credentials for one partner: STS AssumeRole with the partner's external id.

The refresh machinery is aiobotocore's own (``AioRefreshableCredentials``, made in
:func:`dynamorm_async.transport.refreshable_credentials`) for a partner on aiobotocore, and its
stdlib twin :class:`~dynamorm_async.accounts.refresh.Refreshable` for a partner on the lean
transport (so that path never imports aiobotocore): the credentials object is handed to the
partner's client, which asks it for keys each time it signs a request, and it calls
:meth:`PartnerCredentials._assume_role` on first use and again before expiry. Its lock makes every
refresh single-flight. The windows map onto :class:`AccountConfig` as

* advisory = ``refresh_before_seconds``: one caller refreshes, the others keep signing with the
  current (still valid) keys; a failed refresh here is logged by aiobotocore and tried again on
  the next request;
* mandatory = half of that, and the first fetch: every caller waits for the one refresh, and a
  failure is raised (as :class:`~dynamorm_async.errors.AssumeRoleError`).

A failed AssumeRole is remembered for a short, growing backoff (:data:`FAILURE_BACKOFF`, doubled
per failure in a row up to :data:`MAX_FAILURE_BACKOFF`): the callers waiting on the lock, and
those that come within the backoff, get the same answer without calling STS again, so a refused
role is asked once, not once per waiting operation.

Keys whose expiration is already past by this machine's clock (a clock ahead of AWS's) cannot be
used: aiobotocore would raise a bare ``RuntimeError``; they are refused here as a
:class:`~dynamorm_async.errors.CredentialsError` naming the partner (and remembered as a failure).

A server can still reject keys we believe valid (revoked session, clock skew): the partner's
transport then calls :meth:`PartnerCredentials.refresh_after_expired`, which forces one refresh
through the same lock (however many requests saw the rejection) before the request is retried.

The STS call goes through a :class:`~dynamorm_async.transport.Transport` for ``sts`` signed with
the base credentials (environment, Lambda role, profile), so it gets the same error mapping and
deadline check as every other call. Keys, tokens and the external id never appear in a repr,
log line or error message.
"""

from __future__ import annotations

import datetime as _dt
import logging
import time
from typing import TYPE_CHECKING, Any

from ..errors import AssumeRoleError, CredentialsError, DeadlineExceeded, ServiceError
from .refresh import Refreshable

if TYPE_CHECKING:
    from ..transport import Transport
    from .config import AccountConfig

logger = logging.getLogger("dynamorm_async.accounts")

#: What the clock reads while a refresh is forced: every credential looks expired.
_FORCED_NOW = _dt.datetime(9999, 1, 1, tzinfo=_dt.UTC)

#: Seconds a failed AssumeRole is remembered (the first time; doubled per failure in a row).
FAILURE_BACKOFF = 1.0
#: The longest a failure is remembered, in seconds.
MAX_FAILURE_BACKOFF = 30.0


def _utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC)


class PartnerCredentials:
    """STS AssumeRole credentials for one partner, cached and refreshed before they expire.

    ``credentials`` is the aiobotocore object to give the partner's client. ``generation``
    counts successful AssumeRole calls (so callers can tell whether a refresh happened since
    they looked), ``expiration`` is when the current keys expire.
    """

    def __init__(self, partner: str, account: AccountConfig, sts: Transport) -> None:
        self.partner = partner
        self.account = account
        self._sts = sts
        self.generation = 0
        self.expiration: _dt.datetime | None = None
        self._forced = False
        self._failure: CredentialsError | None = None
        self._failed_until = 0.0
        self._failures = 0
        self._botocore: Any = None
        self._lean: Refreshable | None = None

    def __repr__(self) -> str:
        expires = self.expiration.isoformat() if self.expiration else None
        return (
            f"PartnerCredentials(partner={self.partner!r}, role_arn={self.account.role_arn!r}, "
            f"expiration={expires!r}, generation={self.generation})"
        )

    @property
    def credentials(self) -> Any:
        """The aiobotocore credentials object to give the partner's aiobotocore client (made on
        first use: a partner whose calls all go lean never imports aiobotocore)."""
        if self._botocore is None:
            from ..transport import refreshable_credentials

            before = self.account.refresh_before_seconds
            self._botocore = refreshable_credentials(
                self._assume_role, advisory_seconds=before, mandatory_seconds=before // 2, clock=self._now
            )
        return self._botocore

    def _machine(self) -> Any:
        """The refresh machinery in use: aiobotocore's once a client holds it, else the lean one
        (same windows, same lock discipline, the same :meth:`_assume_role`)."""
        if self._botocore is not None:
            return self._botocore
        if self._lean is None:
            before = self.account.refresh_before_seconds
            self._lean = Refreshable(
                self._assume_role, advisory_seconds=before, mandatory_seconds=before // 2, clock=self._now
            )
        return self._lean

    def _now(self) -> _dt.datetime:
        return _FORCED_NOW if self._forced else _utcnow()

    async def ensure(self) -> None:
        """Fetch (or refresh) now if needed, e.g. during Lambda's init phase.

        :raises AssumeRoleError: STS refused or could not be reached.
        """
        await self._machine().get_frozen_credentials()

    def lean_provider(self) -> Any:
        """An async credentials provider for the lean transport: the same keys, from the same
        refresh machinery (one AssumeRole per refresh whichever transport signs)."""

        async def provide() -> tuple[str, str, str | None, float | None]:
            frozen = await self._machine().get_frozen_credentials()
            expiry = self.expiration.timestamp() if self.expiration is not None else None
            return frozen.access_key, frozen.secret_key, frozen.token, expiry

        return provide

    async def refresh_after_expired(self, seen_generation: int) -> None:
        """A request signed at ``seen_generation`` was refused as expired: refresh once, then return.

        Concurrent callers share one refresh (aiobotocore's lock); a caller whose generation is
        already stale finds the new keys in place and refreshes nothing.
        """
        if self.generation == seen_generation:
            self._forced = True
        try:
            await self._machine().get_frozen_credentials()
        finally:
            self._forced = False

    async def _assume_role(self) -> dict[str, Any]:
        """One AssumeRole call (or the failure remembered from the last); what aiobotocore expects."""
        remembered = self._remembered_failure()
        if remembered is not None:
            raise remembered
        try:
            return await self._call_sts()
        except CredentialsError as exc:
            self._remember(exc)
            raise

    def _remembered_failure(self) -> CredentialsError | None:
        """A fresh copy of the last failure while its backoff lasts (each waiter gets its own)."""
        failure = self._failure
        if failure is None or time.monotonic() >= self._failed_until:
            return None
        again = type(failure).__new__(type(failure), *failure.args)
        again.args = failure.args
        again.__dict__.update(failure.__dict__)
        if hasattr(failure, "__notes__"):
            again.__notes__ = list(failure.__notes__)
        again.__cause__ = failure.__cause__
        return again

    def _remember(self, failure: CredentialsError) -> None:
        self._failures += 1
        backoff = min(FAILURE_BACKOFF * 2 ** (self._failures - 1), MAX_FAILURE_BACKOFF)
        self._failure = failure
        self._failed_until = time.monotonic() + backoff
        logger.warning(
            "partner %r: %s; not asking STS again for %gs",
            self.partner,
            failure,
            backoff,
            extra={"partner": self.partner},
        )

    async def _call_sts(self) -> dict[str, Any]:
        account = self.account
        params = {
            "RoleArn": account.role_arn,
            "RoleSessionName": account.session_name,
            "ExternalId": account.external_id,
            "DurationSeconds": account.duration_seconds,
        }
        try:
            response = await self._sts.call("AssumeRole", params)
        except DeadlineExceeded:
            raise  # the deadline, not STS: nothing was sent
        except (CredentialsError, ServiceError) as exc:
            code = getattr(exc, "code", None) or type(exc).__name__
            raise AssumeRoleError(
                f"AssumeRole into {account.role_arn} for partner {self.partner!r} failed: {exc}",
                partner=self.partner,
                role_arn=account.role_arn,
                code=code,
            ) from exc
        except Exception as exc:
            raise AssumeRoleError(
                f"AssumeRole into {account.role_arn} for partner {self.partner!r} failed: "
                f"{type(exc).__name__}",
                partner=self.partner,
                role_arn=account.role_arn,
                code=type(exc).__name__,
            ) from exc
        creds = response["Credentials"]
        expiration = creds["Expiration"]
        if isinstance(expiration, str):
            expiration = _dt.datetime.fromisoformat(expiration.replace("Z", "+00:00"))
        now = _utcnow()
        window = account.refresh_before_seconds // 2
        if expiration - now <= _dt.timedelta(seconds=window):
            # aiobotocore would raise a bare RuntimeError (or, inside its mandatory window, ask STS
            # again before every request): the keys are useless while the clock is this far off.
            state = "already past" if expiration <= now else f"less than {window}s away"
            raise CredentialsError(
                f"STS issued credentials for partner {self.partner!r} that expire at "
                f"{expiration.isoformat()}, {state} by this machine's clock ({now.isoformat()}): "
                "the clock is probably wrong (check its time synchronisation)",
                code="ClockSkew",
                partner=self.partner,
            )
        self._forced = False
        self._failure, self._failures = None, 0
        self.generation += 1
        self.expiration = expiration
        logger.debug(
            "partner %r: assumed %s (session %r), expires %s",
            self.partner,
            account.role_arn,
            account.session_name,
            expiration.isoformat(),
            extra={"partner": self.partner},
        )
        return {
            "access_key": creds["AccessKeyId"],
            "secret_key": creds["SecretAccessKey"],
            "token": creds["SessionToken"],
            "expiry_time": expiration.isoformat(),
            "account_id": account.account_id,
        }


__all__ = ["FAILURE_BACKOFF", "MAX_FAILURE_BACKOFF", "PartnerCredentials"]
