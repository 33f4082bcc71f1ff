"""The benchmark item as a ``dynamorm_async`` model (the in-process cases use it)."""

from __future__ import annotations

import os
from typing import Annotated, Any

from dynamorm_async import HashKey, Model, RangeKey

from .common import TABLE


class BenchItem(Model, table=TABLE):
    """One item of the benchmark table (see :func:`bench.cases.common.item_values`)."""

    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    name: str
    email: str
    status: str
    count: int
    active: bool
    tags: list[str]
    address: dict[str, str]


def http_supported() -> bool:
    """Whether this build's :class:`~dynamorm_async.TransportConfig` lets the caller pick the transport."""
    from dataclasses import fields

    from dynamorm_async import TransportConfig

    return "http" in {f.name for f in fields(TransportConfig)}


def ours_options(http: str | None) -> dict[str, Any]:
    """``http=`` for ``DB`` when ``http`` is given and this build has that option; else nothing."""
    return {"http": http} if http and http_supported() else {}


def ours_http_from_env() -> str:
    """The transport the in-process cases give ours: ``BENCH_OURS_HTTP``, by default aiobotocore
    (the same HTTP stack as the raw aiobotocore baseline they compare with)."""
    return os.environ.get("BENCH_OURS_HTTP") or "aiobotocore"
