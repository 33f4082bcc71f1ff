"""What every benchmark case shares: the table, its items, the AWS settings, and the statistics.

The table ``dynamorm_bench`` (``pk`` hash key, ``sk`` range key, both strings) holds
:data:`GET_ITEMS` items under ``pk = "get"`` (read by the GetItem, throughput and Lambda
cases), :data:`QUERY_ITEMS` under ``pk = "query"`` (the Query case) and :data:`BIG_QUERY_ITEMS`
under ``pk = "query1000"`` (the client-CPU case's large query). It is made and filled
with plain boto3, independently of the library being measured.

Every figure is a :class:`Figure`: the median of the samples with their min and max. Ratios are
taken round by round (each round measures both sides back to back, so both share the machine's
noise at that moment), then summarised the same way.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

TABLE = "dynamorm_bench"
GET_PK = "get"
QUERY_PK = "query"
PUT_PK = "put"
GET_ITEMS = 100
QUERY_ITEMS = 100
#: The large query partition (the client-CPU case reads it whole, into models).
BIG_QUERY_PK = "query1000"
BIG_QUERY_ITEMS = 1000

#: DynamoDB Local keeps one database per access key and region: every client of a run,
#: in this process or in a handler's, uses these same values.
AWS_ENV: dict[str, str] = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
#: Variables that could send a client elsewhere; removed for the run.
AWS_ENV_REMOVED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL")
REGION = AWS_ENV["AWS_REGION"]


@contextmanager
def aws_environment() -> Iterator[None]:
    """Dummy credentials and region for the block (and every process it starts)."""
    saved = {k: os.environ.get(k) for k in (*AWS_ENV, *AWS_ENV_REMOVED)}
    os.environ.update(AWS_ENV)
    for name in AWS_ENV_REMOVED:
        os.environ.pop(name, None)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def sk(i: int) -> str:
    """The sort key of the ``i``-th item of a partition."""
    return f"{i:04d}"


def item_values(pk: str, i: int) -> dict[str, Any]:
    """The plain values of one benchmark item: a realistic mix of strings, numbers, a list and a map."""
    return {
        "pk": pk,
        "sk": sk(i),
        "name": f"Customer {i}",
        "email": f"customer{i}@example.com",
        "status": "active",
        "count": i,
        "active": i % 2 == 0,
        "tags": ["alpha", "bravo", "charlie"][: 1 + i % 3],
        "address": {"street": f"{i} Main Street", "city": "Springfield", "zip": f"{10000 + i}"},
    }


def seed(endpoint: str) -> None:
    """Create the benchmark table (if absent) and put its items, with plain boto3."""
    import boto3
    from boto3.dynamodb.types import TypeSerializer

    client = boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION)
    if TABLE not in client.list_tables()["TableNames"]:
        client.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        client.get_waiter("table_exists").wait(TableName=TABLE)
    ser = TypeSerializer().serialize
    items = [item_values(pk, i) for pk in (GET_PK, PUT_PK) for i in range(GET_ITEMS)]
    items += [item_values(QUERY_PK, i) for i in range(QUERY_ITEMS)]
    items += [item_values(BIG_QUERY_PK, i) for i in range(BIG_QUERY_ITEMS)]
    for start in range(0, len(items), 25):
        chunk = items[start : start + 25]
        request: dict[str, Any] = {
            TABLE: [{"PutRequest": {"Item": {k: ser(v) for k, v in it.items()}}} for it in chunk]
        }
        while request:
            request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
    client.close()


@dataclass(frozen=True, slots=True)
class Figure:
    """The median of repeated samples, with their min and max and how many there were."""

    median: float
    min: float
    max: float
    n: int
    unit: str = ""

    @classmethod
    def of(cls, samples: Sequence[float], unit: str = "") -> Figure:
        """Summarise ``samples`` (at least one)."""
        if not samples:
            raise ValueError("a figure needs at least one sample")
        return cls(statistics.median(samples), min(samples), max(samples), len(samples), unit)

    def as_dict(self) -> dict[str, Any]:
        """The figure as JSON-ready data."""
        return {"median": self.median, "min": self.min, "max": self.max, "n": self.n, "unit": self.unit}


def ratios(numerators: Sequence[float], denominators: Sequence[float]) -> Figure:
    """Round-by-round ratios ``numerators[i] / denominators[i]``, summarised."""
    if len(numerators) != len(denominators):
        raise ValueError("ratios need paired samples")
    return Figure.of([a / b for a, b in zip(numerators, denominators, strict=True)], "x")


def figures_dict(figures: Mapping[str, Figure]) -> dict[str, dict[str, Any]]:
    """A mapping of figures as JSON-ready data."""
    return {name: f.as_dict() for name, f in figures.items()}
