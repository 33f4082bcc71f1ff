"""The pure parts of the stream handler: record parsing, routing, ordering, concurrency, deadlines.

Events here are written by hand in Lambda's shape; the real-stream tests are in
tests/integration/test_streams.py and tests/lambda_runtime/test_streams.py.
"""

from __future__ import annotations

import base64
import subprocess
import sys
import time
from typing import Annotated, Any, assert_type

import anyio
import pytest

from dynamorm_async import HashKey, InvalidInput, LambdaTimeoutError, Model, RangeKey
from dynamorm_async.aws_lambda import HandlerRunner, LambdaDB
from dynamorm_async.aws_lambda.runner import RUNTIME_STATS
from dynamorm_async.deadline import Deadline, deadline_scope
from dynamorm_async.streams import (
    BatchResult,
    Change,
    EventName,
    StreamRecordError,
    StreamRouter,
    parse_record,
    process,
    process_batch,
)
from dynamorm_async.streams.handler import CANCEL_LEAD

pytestmark = pytest.mark.anyio


class Doc(Model, table="unit_stream_docs"):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    kind: str = "doc"
    body: bytes = b""
    n: int = 0
    action: str = ""


class Note(Model, table="unit_stream_docs"):
    pk: Annotated[str, HashKey()]
    sk: Annotated[str, RangeKey()]
    kind: str = "note"
    text: str = ""


def record(
    seq: int, pk: str = "p", sk: str = "s", *, name: str = "INSERT", **image: dict[str, Any]
) -> dict[str, Any]:
    """One record as Lambda sends it (NEW_IMAGE view), with ``image`` attributes besides the keys."""
    keys = {"pk": {"S": pk}, "sk": {"S": sk}}
    return {
        "eventID": f"e{seq}",
        "eventName": name,
        "eventSource": "aws:dynamodb",
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/unit_stream_docs/stream/2026",
        "dynamodb": {
            "ApproximateCreationDateTime": 1764000000,
            "Keys": keys,
            "NewImage": {**keys, **image},
            "SequenceNumber": f"{seq:021d}",
            "StreamViewType": "NEW_IMAGE",
        },
    }


def deep(levels: int) -> dict[str, Any]:
    """A map nested ``levels`` deep (DynamoDB stops at 32)."""
    value: dict[str, Any] = {"S": "x"}
    for _ in range(levels):
        value = {"M": {"a": value}}
    return value


def seqs(*numbers: int) -> list[str]:
    return [f"{n:021d}" for n in numbers]


def failures(result: BatchResult) -> list[tuple[str, str]]:
    return [(f.sequence_number, f.reason) for f in result.failures]


# --------------------------------------------------------------------------- parsing


def test_a_record_decodes_into_a_typed_change_with_base64_binary_turned_into_bytes() -> None:
    raw = record(1, body={"B": base64.b64encode(b"\x00\x01").decode()}, n={"N": "7"})
    change = parse_record(raw, Doc)
    assert_type(change, Change[Doc])
    assert_type(change.new, Doc | None)
    assert change.event_name is EventName.INSERT and change.keys == {"pk": "p", "sk": "s"}
    assert change.new == Doc(pk="p", sk="s", body=b"\x00\x01", n=7) and change.old is None
    assert change.table == "unit_stream_docs" and change.view_type == "NEW_IMAGE"
    assert change.approximate_creation_time is not None and change.approximate_creation_time.year == 2025


@pytest.mark.parametrize(
    ("mutate", "with_sequence"),
    [
        (lambda r: r.pop("dynamodb"), False),
        (lambda r: r["dynamodb"].pop("SequenceNumber"), False),
        (lambda r: r.update(eventName="UPSERT"), True),
        (lambda r: r["dynamodb"]["NewImage"].update(body={"B": "not base64!"}), True),
        (lambda r: r["dynamodb"]["NewImage"].update(n={"N": "1", "S": "1"}), True),
        (lambda r: r["dynamodb"]["NewImage"].update(n={"S": "seven"}), True),
        (lambda r: r["dynamodb"].update(ApproximateCreationDateTime="yesterday"), True),
        (lambda r: r["dynamodb"]["NewImage"].update(n=deep(5000)), True),
    ],
)
def test_a_broken_record_is_a_typed_error_naming_its_sequence_when_it_can(
    mutate: Any, with_sequence: bool
) -> None:
    raw = record(5)
    mutate(raw)
    with pytest.raises(StreamRecordError) as caught:
        parse_record(raw, Doc)
    assert caught.value.sequence_number == (seqs(5)[0] if with_sequence else None)


# --------------------------------------------------------------------------- batches


async def test_failures_are_reported_with_the_later_records_of_their_key_and_the_rest_run_once() -> None:
    keys = ["a", "b", "a", "c", "b", "a", "c"]
    event = {
        "Records": [
            record(i, pk, f"s{i}", action={"S": "raise" if i in (2, 4) else ""}) for i, pk in enumerate(keys)
        ]
    }
    handled: list[int] = []

    async def on_change(change: Change[Doc]) -> None:
        assert change.new is not None
        if change.new.action == "raise":
            raise RuntimeError("told to")
        handled.append(int(change.sequence_number))

    result = await process_batch(event, on_change, Doc)
    assert failures(result) == [
        (seqs(2)[0], "error"),
        (seqs(4)[0], "error"),
        (seqs(5)[0], "blocked"),
    ]
    assert sorted(handled) == [0, 1, 3, 6] and result.processed == seqs(0, 1, 3, 6)
    assert await process(event, on_change, Doc) == {
        "batchItemFailures": [{"itemIdentifier": s} for s in seqs(2, 4, 5)]
    }


async def test_a_record_with_unreadable_images_keeps_its_place_in_its_key_and_is_never_skipped() -> None:
    bad = record(1, "a", "s1", kind={"S": "doc"}, body={"B": "not base64!"})
    event = {"Records": [record(0, "a", "s0", kind={"S": "doc"}), bad, record(2, "a", "s2"), record(3, "b")]}
    router = StreamRouter(discriminator="kind", on_unknown="skip")
    router.add(Doc, _nothing, value="doc")
    result = await process_batch(event, router)
    assert failures(result) == [(seqs(1)[0], "undecodable"), (seqs(2)[0], "blocked")]
    assert result.processed == seqs(0) and result.skipped == seqs(3)


async def test_keys_run_concurrently_up_to_the_bound_and_each_key_in_order() -> None:
    event = {"Records": [record(i, f"k{i % 6}", f"s{i}") for i in range(24)]}
    running, peak, order = 0, 0, []

    async def on_change(change: Change[Doc]) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await anyio.sleep(0.01)
        order.append((change.keys["pk"], int(change.sequence_number)))
        running -= 1

    result = await process_batch(event, on_change, Doc, concurrency=3)
    assert peak == 3 and not result.failures
    for key in {k for k, _ in order}:
        mine = [n for k, n in order if k == key]
        assert mine == sorted(mine)


async def test_a_broken_envelope_fails_the_invocation_and_a_broken_record_only_itself() -> None:
    async def on_change(change: Change[Doc]) -> None:
        pass

    with pytest.raises(StreamRecordError):
        await process({"records": []}, on_change, Doc)
    no_seq = record(1)
    del no_seq["dynamodb"]["SequenceNumber"]
    with pytest.raises(StreamRecordError):  # nothing to report it by: Lambda retries the batch
        await process({"Records": [record(0), no_seq]}, on_change, Doc)
    bad = record(1, body={"B": "%%%"})
    result = await process_batch({"Records": [record(0), bad, record(2, "q")]}, on_change, Doc)
    assert failures(result) == [(seqs(1)[0], "undecodable")] and result.processed == seqs(0, 2)
    with pytest.raises(InvalidInput):
        await process({"Records": []}, on_change)  # type: ignore[call-overload]
    with pytest.raises(InvalidInput):
        await process({"Records": []}, on_change, Doc, concurrency=0)


async def test_the_deadline_stops_new_records_cancels_running_ones_and_reports_them_all() -> None:
    event = {
        "Records": [
            record(0, "stuck", "s0", action={"S": "sleep:30"}),
            *(record(i, "fast", f"f{i}", action={"S": "sleep:0.2"}) for i in range(1, 7)),
            record(7, "stuck", "s7"),
        ]
    }

    async def on_change(change: Change[Doc]) -> None:
        assert change.new is not None
        await anyio.sleep(float(change.new.action.removeprefix("sleep:") or 0))

    started = anyio.current_time()
    with deadline_scope(Deadline(started + 0.9)):
        result = await process_batch(event, on_change, Doc, stop_margin=0.4)
    took = anyio.current_time() - started
    assert took < 0.9 - CANCEL_LEAD / 2
    # No record starts after 0.5 s: f1..f3 (started at 0, 0.2, 0.4) are done on a quiet machine,
    # fewer on a busy one; the stuck record and its key's next one are always reported.
    fast = seqs(1, 2, 3, 4, 5, 6)
    assert 1 <= len(result.processed) <= 3 and result.processed == fast[: len(result.processed)]
    rest = sorted(set(seqs(*range(8))) - set(result.processed))
    assert failures(result) == [(s, "deadline") for s in rest]
    assert {seqs(0)[0], seqs(7)[0]} <= set(rest)


# --------------------------------------------------------------------------- routing


def routed_event() -> dict[str, Any]:
    return {
        "Records": [
            record(0, sk="DOC#1", kind={"S": "doc"}, n={"N": "1"}),
            record(1, sk="NOTE#1", kind={"S": "note"}, text={"S": "hi"}),
            record(2, sk="USER#1", kind={"S": "user"}),
            record(3, "other", sk="DOC#2", kind={"S": "doc"}),
        ]
    }


async def test_a_router_sends_each_model_to_its_handler_and_skips_or_fails_unknown_ones() -> None:
    seen: list[Any] = []
    for on_unknown in ("skip", "fail"):
        router = StreamRouter(discriminator="kind", on_unknown=on_unknown)

        @router.on(Doc, value="doc")
        async def doc_changed(change: Change[Doc]) -> None:
            seen.append(change.new)

        @router.on(Note, value="note")
        async def note_changed(change: Change[Note]) -> None:
            seen.append(change.new)

        result = await process_batch(routed_event(), router)
        assert [type(x).__name__ for x in seen] == ["Doc", "Note", "Doc"]
        assert seen[1] == Note(pk="p", sk="NOTE#1", text="hi")
        if on_unknown == "skip":
            assert result.skipped == seqs(2) and not result.failures
        else:
            assert failures(result) == [(seqs(2)[0], "unknown")] and not result.skipped
        seen.clear()


async def test_a_discriminator_function_can_read_the_model_from_a_key() -> None:
    router = StreamRouter(discriminator=lambda item: item["sk"]["S"].split("#")[0], on_unknown="skip")
    names: list[str] = []

    async def doc_changed(change: Change[Doc]) -> None:
        names.append(change.model.__name__)

    async def note_changed(change: Change[Note]) -> None:
        names.append(change.model.__name__)

    router.add(Doc, doc_changed, value="DOC")
    router.add(Note, note_changed, value="NOTE")
    result = await process_batch(routed_event(), router, concurrency=1)
    assert names == ["Doc", "Note", "Doc"] and result.skipped == seqs(2)


class OtherKey(Model, table="unit_stream_other"):
    id: Annotated[str, HashKey()]


async def _nothing(change: Change[Any]) -> None:
    pass


def _two_routes(first: type[Model], second: type[Model], values: tuple[str, str]) -> None:
    router = StreamRouter(discriminator="kind")
    router.add(first, _nothing, value=values[0])
    router.add(second, _nothing, value=values[1])


@pytest.mark.parametrize(
    "build",
    [
        lambda: StreamRouter(on_unknown="drop"),  # type: ignore[arg-type]
        lambda: StreamRouter().add(Doc, _nothing, value="doc"),
        lambda: StreamRouter(discriminator="kind").add(Doc, _nothing),
        lambda: StreamRouter.single(Doc, _nothing).add(Note, _nothing),
        lambda: _two_routes(Doc, Note, ("x", "x")),  # one value twice
        lambda: _two_routes(Doc, OtherKey, ("a", "b")),  # different partition key attributes
    ],
)
def test_routes_that_cannot_work_are_refused_when_they_are_added(build: Any) -> None:
    with pytest.raises(InvalidInput):
        build()


# --------------------------------------------------------------------------- Lambda entry


class Context:
    """What the runner reads from Lambda's context: the time left and the request id."""

    aws_request_id = "req-1"

    def __init__(self, remaining_ms: int) -> None:
        self.until = time.monotonic() + remaining_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return int((self.until - time.monotonic()) * 1000)


def test_a_lambda_stream_handler_answers_with_batch_item_failures_on_the_runner() -> None:
    runner = HandlerRunner()
    db = LambdaDB(region="us-east-1", connect=False, runner=runner, timeout_buffer=0.2)
    try:

        @db.stream_handler(Doc, concurrency=2)
        async def on_doc(change: Change[Doc]) -> None:
            """Fail the second record."""
            if change.sequence_number == seqs(1)[0]:
                raise ValueError("no")

        assert on_doc.__name__ == "on_doc" and on_doc.__doc__ == "Fail the second record."
        event = {"Records": [record(0, "a"), record(1, "b"), record(2, "b")]}
        assert on_doc(event, Context(5000)) == {
            "batchItemFailures": [{"itemIdentifier": s} for s in seqs(1, 2)]
        }
        routed = db.stream_handler(StreamRouter.single(Doc, _nothing))
        assert routed(event, Context(5000)) == {"batchItemFailures": []}
    finally:
        runner.close()


def test_when_the_deadline_scope_itself_fires_every_record_not_done_is_still_reported() -> None:
    runner = HandlerRunner()
    db = LambdaDB(region="us-east-1", connect=False, runner=runner, timeout_buffer=0.1)
    try:

        @db.stream_handler(Doc, concurrency=1, stop_margin=0.05)
        async def blocking(change: Change[Doc]) -> None:
            if change.sequence_number == seqs(1)[0]:
                time.sleep(0.6)  # noqa: ASYNC251 (blocks the loop past both deadlines: the outer scope fires)
                await anyio.sleep(1)

        event = {"Records": [record(0), record(1), record(2)]}
        timeouts = RUNTIME_STATS.timeouts
        assert blocking(event, Context(500)) == {
            "batchItemFailures": [{"itemIdentifier": s} for s in seqs(1, 2)]
        }
        assert RUNTIME_STATS.timeouts == timeouts + 1  # answered by the runner's on_timeout
    finally:
        runner.close()


def test_the_timeout_answer_without_readable_records_re_raises() -> None:
    from dynamorm_async.streams.handler import _answer_at_timeout

    error = LambdaTimeoutError("late")
    with pytest.raises(LambdaTimeoutError):
        _answer_at_timeout({"Records": [{"dynamodb": {}}]}, None, error)
    assert _answer_at_timeout({"Records": [record(4)]}, None, error) == {
        "batchItemFailures": [{"itemIdentifier": seqs(4)[0]}]
    }


def test_importing_the_streams_package_loads_neither_anyio_nor_an_aws_sdk() -> None:
    code = (
        "import sys\n"
        "import dynamorm_async.streams.records, dynamorm_async.streams.routing\n"
        "import dynamorm_async.streams.handler, dynamorm_async.streams.events\n"
        "from dynamorm_async.streams import Change, StreamRouter, process\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'aiobotocore', 'botocore', 'aiohttp', 'boto3', 'anyio', 'awslambdaric'})\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


class FakeStreams:
    """A stream of two shards (the child listed first, on two DescribeStream pages), two records each."""

    def __init__(self) -> None:
        self.records = {"child": [{"n": 3}, {"n": 4}], "parent": [{"n": 1}, {"n": 2}]}

    def describe_stream(self, StreamArn: str, ExclusiveStartShardId: str | None = None) -> dict[str, Any]:
        if ExclusiveStartShardId is None:
            page = {
                "Shards": [{"ShardId": "child", "ParentShardId": "parent"}],
                "LastEvaluatedShardId": "child",
            }
        else:
            page = {"Shards": [{"ShardId": "parent"}]}
        return {"StreamDescription": page}

    def get_shard_iterator(self, StreamArn: str, ShardId: str, ShardIteratorType: str) -> dict[str, Any]:
        return {"ShardIterator": f"{ShardId}:0"}

    def get_records(self, ShardIterator: str) -> dict[str, Any]:
        shard, position = ShardIterator.split(":")
        batch = self.records[shard][int(position) : int(position) + 1]
        return {"Records": batch, "NextShardIterator": f"{shard}:{int(position) + 1}"}


def test_read_stream_reads_every_shard_parents_first_page_by_page() -> None:
    from dynamorm_async.streams import read_stream

    assert [r["n"] for r in read_stream(FakeStreams(), "arn")] == [1, 2, 3, 4]
