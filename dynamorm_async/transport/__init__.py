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
  botocore or aiohttp (lazily).

:func:`build_transport` is where the way to the wire is chosen for a configuration.
"""

from __future__ import annotations

from typing import Any

from .aiobotocore import MODEL_SERVICES, AiobotocoreTransport, new_session, refreshable_credentials
from .base import (
    CallHook,
    CallObserver,
    RawTransport,
    Transport,
    TransportConfig,
    TransportStats,
    debug_stats,
    observe_calls,
)
from .core import IN_DOUBT_ATTEMPTS, RETRY_ATTEMPTS, RetryingTransport


def build_transport(
    config: TransportConfig | None = None,
    *,
    service: str = "dynamodb",
    session: Any = None,
    credentials: Any = None,
    label: str | None = None,
    hooks: tuple[CallHook, ...] = (),
) -> RetryingTransport:
    """The library's transport for ``config``: a raw way to the wire inside the retrying transport.

    ``session`` (an aiobotocore ``AioSession`` or ``aioboto3.Session``) and ``credentials`` (an
    aiobotocore credentials object) go to the aiobotocore raw transport; ``label`` names the
    partner account in errors and hooks; ``hooks`` run once before each call.
    """
    config = config or TransportConfig()
    raw = AiobotocoreTransport(config, service=service, session=session, credentials=credentials)
    return RetryingTransport(raw, config, label=label, hooks=hooks)


def as_transport(transport: Transport | RawTransport) -> Transport:
    """``transport`` as a :class:`Transport`: a raw one (``send`` but no ``call``) is wrapped in a
    :class:`RetryingTransport`; anything with ``call`` (e.g. ``testing.MockTransport``) is used as is."""
    if isinstance(transport, Transport):
        return transport
    return RetryingTransport(transport)


__all__ = [
    "IN_DOUBT_ATTEMPTS",
    "MODEL_SERVICES",
    "RETRY_ATTEMPTS",
    "AiobotocoreTransport",
    "CallHook",
    "CallObserver",
    "RawTransport",
    "RetryingTransport",
    "Transport",
    "TransportConfig",
    "TransportStats",
    "as_transport",
    "build_transport",
    "debug_stats",
    "new_session",
    "observe_calls",
    "refreshable_credentials",
]
