"""Ours: a model and ``LambdaDB`` at module level (compiled and connected in the init phase).

``BENCH_OURS_HTTP`` picks the transport (``"lean"``, ``"aiobotocore"``, ``"auto"``): it is passed
as ``http=`` only when this build's ``TransportConfig`` has that option, so the same handler
also runs an older revision of the package (the benchmark's baseline).

With ``BENCH_PHASES_FILE`` set, the init phase's timings are written there as JSON, so the
benchmark can split the cold start into imports, model compilation and client creation.
"""

from __future__ import annotations

import time

_t_start = time.perf_counter()

import dataclasses  # noqa: E402
import os  # noqa: E402
from typing import Annotated, Any  # noqa: E402

from dynamorm_async import HashKey, Model, RangeKey, TransportConfig  # noqa: E402
from dynamorm_async.aws_lambda import LambdaDB  # noqa: E402

_t_imported = time.perf_counter()


class BenchItem(Model, table=os.environ.get("BENCH_TABLE", "dynamorm_bench")):
    """The benchmark item."""

    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    name: str
    email: str
    status: str
    count: int
    active: bool
    tags: list[str]
    address: dict[str, str]


_t_model = time.perf_counter()

_http = os.environ.get("BENCH_OURS_HTTP")
_options = (
    {"http": _http} if _http and "http" in {f.name for f in dataclasses.fields(TransportConfig)} else {}
)
db = LambdaDB(models=[BenchItem], endpoint_url=os.environ.get("BENCH_ENDPOINT_URL"), **_options)

_t_ready = time.perf_counter()

_phases_file = os.environ.get("BENCH_PHASES_FILE")
if _phases_file:
    import json

    with open(_phases_file, "w") as _out:
        json.dump(
            {
                "imports_ms": (_t_imported - _t_start) * 1000,
                "model_ms": (_t_model - _t_imported) * 1000,
                "client_ms": (_t_ready - _t_model) * 1000,
            },
            _out,
        )


@db.handler
async def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Read one item and return it as JSON data."""
    item = await db.manager(BenchItem).get(event["pk"], event["sk"])
    return item.model_dump(mode="json")
