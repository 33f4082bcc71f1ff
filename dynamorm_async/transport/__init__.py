"""The one seam to AWS: a small :class:`Transport` protocol and what every way to the wire shares.

::

    transport = build_transport(TransportConfig(region="eu-west-1"))
    answer = await transport.call("GetItem", {"TableName": "orders", "Key": {...}}, table="orders")
    await transport.close()

The pieces, by module:

* :mod:`.base`: the :class:`Transport` protocol (what managers, batch, query and transactions
  call), the :class:`RawTransport` protocol (one way to the wire: one attempt, nothing else),
  :class:`TransportConfig`, call hooks, the call observer (:func:`observe_calls`) and the debug
  counters (:func:`debug_stats`);
* :mod:`.core`: :class:`RetryingTransport`, which makes a :class:`Transport` of any raw one:
  deadline check, the library's retry policy and budget, the error table, hooks, observer;
* :mod:`.errortable`: the one table from AWS error codes and connection-level exceptions to
  the library's errors, and the documented ``ConnectionFailed`` codes;
* :mod:`.aiobotocore`: the aiobotocore raw transport, the only module importing aiobotocore,
  botocore or aiohttp (lazily);
* :mod:`.lean`: the lean raw transport (standard library only: JSON 1.0, SigV4, keep-alive
  HTTP/1.1, TLS), for DynamoDB's data plane where its credentials and endpoint suffice, and
  :mod:`.lean.sts` for STS AssumeRole (the Query protocol) under the same conditions.

:func:`build_transport` is where the way to the wire is chosen for a configuration
(:func:`choose_http`); the choice is on :attr:`RetryingTransport.http`, in :func:`debug_stats`
and in one DEBUG log line of the ``dynamorm_async.transport`` logger.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from .aiobotocore import MODEL_SERVICES, AiobotocoreTransport, new_session, refreshable_credentials
from .base import (
    HTTP_CHOICES,
    STATS,
    CallEnd,
    CallHook,
    CallObserver,
    RawTransport,
    Transport,
    TransportConfig,
    TransportStats,
    add_process_hook,
    debug_stats,
    observe_calls,
)
from .core import IN_DOUBT_ATTEMPTS, RETRY_ATTEMPTS, RetryingTransport

logger = logging.getLogger("dynamorm_async.transport")


def _lambda_like(environ: Mapping[str, str]) -> bool:
    """A Lambda execution environment (the Runtime API is set, or a Lambda runtime is named)."""
    return bool(environ.get("AWS_LAMBDA_RUNTIME_API")) or environ.get("AWS_EXECUTION_ENV", "").startswith(
        "AWS_Lambda_"
    )


def choose_http(
    config: TransportConfig,
    *,
    service: str = "dynamodb",
    session: Any = None,
    credentials: Any = None,
    lean_credentials: Any = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[str, str]:
    """The way to the wire for ``config`` and why: ``("lean" | "aiobotocore", reason)``.

    ``lean`` and ``aiobotocore`` are taken as asked, except that a ``session`` or aiobotocore
    ``credentials`` object, or a service other than DynamoDB and STS, always means aiobotocore (the
    lean transport speaks DynamoDB's data plane and STS AssumeRole only, and cannot use botocore's
    objects); STS also stays on aiobotocore where its endpoint needs botocore's rules (the global
    endpoint, ``AWS_STS_REGIONAL_ENDPOINTS=legacy``) under ``auto``. Otherwise STS goes lean exactly when
    DynamoDB would, under the same conditions. ``auto`` picks lean inside
    a Lambda execution environment when :func:`~.lean.lean_completeness` says it finds the same
    credentials and endpoint botocore would (environment or container credentials, or the
    ``lean_credentials`` given; no profile, config file, proxy or IMDS); elsewhere aiobotocore, so
    code outside Lambda keeps botocore's full credential chain unless it asks for lean.
    """
    if service not in ("dynamodb", "sts"):
        return "aiobotocore", f"the lean transport speaks DynamoDB and STS only, not {service}"
    if session is not None or credentials is not None:
        return "aiobotocore", "a session or aiobotocore credentials were given"
    if config.http != "auto":
        return config.http, "asked for"
    env = os.environ if environ is None else environ
    if not _lambda_like(env):
        return "aiobotocore", "auto: not a Lambda execution environment"
    if service == "sts":
        from .lean.sts import sts_lean_reason

        if (refused := sts_lean_reason(env, config.region, config.endpoint_url)) is not None:
            return "aiobotocore", f"auto: {refused}"
    from .lean.environment import lean_completeness

    given = lean_credentials is not None
    complete = lean_completeness(
        env, region=config.region, endpoint_url=config.endpoint_url, credentials_given=given
    )
    return ("lean" if complete else "aiobotocore"), f"auto: {complete.reason}"


def build_transport(
    config: TransportConfig | None = None,
    *,
    service: str = "dynamodb",
    session: Any = None,
    credentials: Any = None,
    lean_credentials: Any = None,
    label: str | None = None,
    hooks: tuple[CallHook, ...] = (),
) -> RetryingTransport:
    """The library's transport for ``config``: a raw way to the wire inside the retrying transport.

    ``session`` (an aiobotocore ``AioSession`` or ``aioboto3.Session``) and ``credentials`` (an
    aiobotocore credentials object) go to the aiobotocore raw transport and force it;
    ``lean_credentials`` (lean :class:`~.lean.Credentials` or an async provider, e.g. a partner's
    AssumeRole keys) sign on the lean path; ``label`` names the partner account in errors and
    hooks; ``hooks`` run once before each call. :func:`choose_http` picks the way to the wire.
    """
    config = config or TransportConfig()
    http, why = choose_http(
        config, service=service, session=session, credentials=credentials, lean_credentials=lean_credentials
    )
    raw: RawTransport
    if http == "lean" and service == "sts":
        from .lean.sts import LeanStsRawTransport

        raw = LeanStsRawTransport(config, credentials=lean_credentials)
    elif http == "lean":
        from .lean.raw import LeanRawTransport

        raw = LeanRawTransport(config, credentials=lean_credentials)
    else:
        raw = AiobotocoreTransport(config, service=service, session=session, credentials=credentials)
    STATS.by_http[http] = STATS.by_http.get(http, 0) + 1
    STATS.http = http
    logger.debug("transport for %s%s: %s (%s)", service, f" ({label})" if label else "", http, why)
    return RetryingTransport(raw, config, label=label, hooks=hooks)


def as_transport(transport: Transport | RawTransport) -> Transport:
    """``transport`` as a :class:`Transport`: a raw one (``send`` but no ``call``) is wrapped in a
    :class:`RetryingTransport`; anything with ``call`` (e.g. ``testing.MockTransport``) is used as is."""
    if isinstance(transport, Transport):
        return transport
    return RetryingTransport(transport)


__all__ = [
    "HTTP_CHOICES",
    "IN_DOUBT_ATTEMPTS",
    "MODEL_SERVICES",
    "RETRY_ATTEMPTS",
    "AiobotocoreTransport",
    "CallEnd",
    "CallHook",
    "CallObserver",
    "RawTransport",
    "RetryingTransport",
    "Transport",
    "TransportConfig",
    "TransportStats",
    "add_process_hook",
    "as_transport",
    "build_transport",
    "choose_http",
    "debug_stats",
    "new_session",
    "observe_calls",
    "refreshable_credentials",
]
