"""Stream records of a table shared by several models, routed by the discriminator each model
writes (``StreamRouter.for_models``). Records are written by hand in Lambda's shape, their
images encoded by the models' own schemas as DynamoDB stores them."""

from __future__ import annotations

from typing import Annotated, Any

import pytest

from dynamorm_async import HashKey, InvalidInput, Model, RangeKey
from dynamorm_async.schema import schema_of
from dynamorm_async.streams import Change, StreamRecordError, StreamRouter, process_batch

pytestmark = pytest.mark.anyio

_T = "unit-stream-mixed"


class Shop(Model, table=_T, discriminator="SHOP"):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    name: str


class Sale(Model, table=_T, discriminator="SALE"):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    amount: int = 0


class Refund(Model, table=_T, discriminator="REFUND"):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    amount: int = 0


class Elsewhere(Model, table="unit-stream-elsewhere", discriminator="ELSE"):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]


class Plain(Model, table=_T):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]


def record(
    seq: int, obj: Model | None = None, *, keys: dict[str, Any] | None = None, name: str = "INSERT"
) -> dict[str, Any]:
    """A NEW_AND_OLD_IMAGES record as Lambda sends it: the new image of ``obj`` (the old one for
    a REMOVE), or only ``keys`` (a removal on a NEW_IMAGE stream carries no image)."""
    image = schema_of(type(obj)).encode(obj) if obj is not None else None
    key = keys if keys is not None else {a: image[a] for a in ("pk", "sk")} if image else {}
    body: dict[str, Any] = {
        "ApproximateCreationDateTime": 1764000000,
        "Keys": key,
        "SequenceNumber": f"{seq:021d}",
        "SizeBytes": 100,
        "StreamViewType": "NEW_AND_OLD_IMAGES" if image else "NEW_IMAGE",
    }
    if image is not None:
        body["OldImage" if name == "REMOVE" else "NewImage"] = image
    return {
        "eventID": f"e{seq}",
        "eventName": name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "eventSourceARN": f"arn:aws:dynamodb:us-east-1:123456789012:table/{_T}/stream/2026-11-25T00:00:00",
        "dynamodb": body,
    }


def _seq(*ns: int) -> list[str]:
    return [f"{n:021d}" for n in ns]


def _foreign(seq: int) -> dict[str, Any]:
    """A record of an item of a model no route knows (written by another service)."""
    out = record(seq, Sale(pk="s1", sk=f"X#{seq}"))
    out["dynamodb"]["NewImage"]["entity"] = {"S": "COUPON"}
    return out


async def test_each_record_goes_to_the_handler_of_the_model_its_discriminator_names() -> None:
    seen: list[tuple[str, Any]] = []

    async def shop_changed(change: Change[Shop]) -> None:
        seen.append(("shop", change.item))

    async def sale_changed(change: Change[Sale]) -> None:
        seen.append(("sale", change.item))

    router = StreamRouter.for_models({Shop: shop_changed, Sale: sale_changed})

    @router.on(Refund)  # a later route takes Refund's own value
    async def refund_changed(change: Change[Refund]) -> None:
        seen.append(("refund", change.item))

    assert set(router.routes) == {"SHOP", "SALE", "REFUND"}
    event = {
        "Records": [
            record(0, Shop(pk="s1", sk="PROFILE", name="Corner")),
            record(1, Sale(pk="s1", sk="SALE#1", amount=5)),
            record(2, Refund(pk="s1", sk="REFUND#1", amount=2)),
            record(3, Sale(pk="s1", sk="SALE#1", amount=5), name="REMOVE"),
        ]
    }
    result = await process_batch(event, router, concurrency=1)
    assert result.processed == _seq(0, 1, 2, 3) and not result.failures
    assert seen == [
        ("shop", Shop(pk="s1", sk="PROFILE", name="Corner")),
        ("sale", Sale(pk="s1", sk="SALE#1", amount=5)),
        ("refund", Refund(pk="s1", sk="REFUND#1", amount=2)),
        ("sale", Sale(pk="s1", sk="SALE#1", amount=5)),
    ]


async def test_unknown_discriminators_are_reported_or_skipped_never_crashed_on() -> None:
    async def nothing(change: Change[Any]) -> None:
        pass

    event = {
        "Records": [
            record(0, Sale(pk="a", sk="SALE#1")),
            _foreign(1),
            record(2, Refund(pk="b", sk="REFUND#1")),  # no Refund route here
            record(3, keys={"pk": {"S": "c"}, "sk": {"S": "SALE#9"}}, name="REMOVE"),  # no image
        ]
    }
    failing = await process_batch(event, StreamRouter.for_models({Sale: nothing}))
    assert [(f.sequence_number, f.reason) for f in failing.failures] == [
        (_seq(1)[0], "unknown"),
        (_seq(2)[0], "unknown"),
        (_seq(3)[0], "unknown"),
    ]
    assert all(isinstance(f.error, StreamRecordError) for f in failing.failures)
    assert failing.processed == _seq(0)
    skipping = await process_batch(event, StreamRouter.for_models({Sale: nothing}, on_unknown="skip"))
    assert skipping.skipped == _seq(1, 2, 3) and skipping.processed == _seq(0) and not skipping.failures


async def test_records_without_an_image_are_routed_by_their_keys_when_told_how() -> None:
    removed: list[tuple[str, Any]] = []

    async def sale_changed(change: Change[Sale]) -> None:
        removed.append((change.model.__name__, dict(change.keys)))

    async def shop_changed(change: Change[Shop]) -> None:
        removed.append((change.model.__name__, dict(change.keys)))

    def from_keys(item: dict[str, Any]) -> str | None:
        return "SALE" if item["sk"]["S"].startswith("SALE#") else None

    router = StreamRouter.for_models({Sale: sale_changed, Shop: shop_changed}, from_keys=from_keys)
    event = {
        "Records": [
            record(0, keys={"pk": {"S": "a"}, "sk": {"S": "SALE#1"}}, name="REMOVE"),
            record(1, keys={"pk": {"S": "a"}, "sk": {"S": "NOTE#1"}}, name="REMOVE"),
            record(2, Shop(pk="b", sk="SALE#2", name="n")),  # an image names its model: keys not consulted
        ]
    }
    result = await process_batch(event, router, concurrency=1)
    assert removed == [("Sale", {"pk": "a", "sk": "SALE#1"}), ("Shop", {"pk": "b", "sk": "SALE#2"})]
    assert [(f.sequence_number, f.reason) for f in result.failures] == [(_seq(1)[0], "unknown")]


async def _nothing(change: Change[Any]) -> None:
    pass


@pytest.mark.parametrize(
    "build",
    [
        lambda: StreamRouter.for_models({}),
        lambda: StreamRouter.for_models({Plain: _nothing}),  # no discriminator to route by
        lambda: StreamRouter.for_models({Sale: _nothing, Plain: _nothing}),
        lambda: StreamRouter.for_models({Sale: _nothing, Elsewhere: _nothing}),  # another table
        lambda: StreamRouter.for_models({Sale: _nothing}).add(
            Refund, _nothing, value="SALE"
        ),  # not its value
        lambda: StreamRouter(discriminator="entity").add(Sale, _nothing, value="REFUND"),
    ],
)
def test_routes_that_could_never_fire_are_refused_when_made(build: Any) -> None:
    with pytest.raises(InvalidInput):
        build()


def test_a_router_by_attribute_takes_each_models_own_value() -> None:
    router = StreamRouter(discriminator="entity")
    router.add(Sale, _nothing)
    router.add(Shop, _nothing, value="SHOP")
    assert set(router.routes) == {"SALE", "SHOP"}
