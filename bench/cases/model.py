"""The benchmark item as a ``dynamorm_async`` model (the in-process cases use it)."""

from __future__ import annotations

from typing import Annotated

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
