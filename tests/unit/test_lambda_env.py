"""Lambda environment detection, memory tiers, and what importing the Lambda layer costs."""

from __future__ import annotations

import dataclasses
import itertools
import subprocess
import sys
from collections.abc import Iterator

import pytest

from dynamorm_async import InvalidInput, LambdaDB, TransportConfig, concurrency
from dynamorm_async.aws_lambda import (
    LambdaTuning,
    current_tuning,
    get_initialization_type,
    get_lambda_memory_mb,
    is_lambda_environment,
    optimize_for_memory,
    tuning_for_memory,
)
from dynamorm_async.aws_lambda.tuning import TIERS, reset_tuning, timeout_buffer
from dynamorm_async.aws_lambda.xray import tables_of
from tests.transports import managed


@pytest.fixture(autouse=True)
def no_applied_tuning() -> Iterator[None]:
    reset_tuning()
    yield
    reset_tuning()


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, False),
        ({"AWS_LAMBDA_FUNCTION_NAME": "f"}, False),  # a name alone is just a variable
        ({"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"}, True),
        ({"AWS_EXECUTION_ENV": "AWS_Lambda_python3.12"}, True),
        ({"AWS_EXECUTION_ENV": "AWS_ECS_FARGATE"}, False),
        ({"AWS_LAMBDA_RUNTIME_API": ""}, False),
    ],
)
def test_is_lambda_environment(environ: dict[str, str], expected: bool) -> None:
    assert is_lambda_environment(environ) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("512", 512), (" 1024 ", 1024), ("128", 128), ("10240", 10240), ("", None), ("  ", None)],
)
def test_get_lambda_memory_mb(value: str, expected: int | None) -> None:
    assert get_lambda_memory_mb({"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": value}) == expected


@pytest.mark.parametrize("value", ["abc", "0", "-5", "127", "10241", "99999", "1.5", "512MB"])
def test_get_lambda_memory_mb_refuses_what_lambda_never_sets(value: str) -> None:
    with pytest.raises(InvalidInput, match="AWS_LAMBDA_FUNCTION_MEMORY_SIZE"):
        get_lambda_memory_mb({"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": value})


def test_memory_and_initialization_type_absent_outside_lambda() -> None:
    assert get_lambda_memory_mb({}) is None
    assert get_initialization_type({}) is None


@pytest.mark.parametrize(
    "value", ["on-demand", "provisioned-concurrency", "snap-start", "lambda-managed-instances"]
)
def test_get_initialization_type_passes_the_value_through(value: str) -> None:
    assert get_initialization_type({"AWS_LAMBDA_INITIALIZATION_TYPE": value}) == value


def test_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:1")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "3008")
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start")
    assert is_lambda_environment()
    assert get_lambda_memory_mb() == 3008
    assert get_initialization_type() == "snap-start"


# --------------------------------------------------------------------------- memory tiers


@pytest.mark.parametrize(
    ("memory", "tier", "pool", "batch", "buffer"),
    [
        (128, 128, 8, 2, 1.5),
        (256, 128, 8, 2, 1.5),
        (511, 128, 8, 2, 1.5),
        (512, 512, 16, 4, 1.0),
        (1023, 512, 16, 4, 1.0),
        (1024, 1024, 32, 8, 1.0),
        (1769, 1024, 32, 8, 1.0),
        (3008, 3008, 64, 16, 0.75),
        (10239, 3008, 64, 16, 0.75),
        (10240, 10240, 128, 32, 0.5),
    ],
)
def test_tiers_by_memory(memory: int, tier: int, pool: int, batch: int, buffer: float) -> None:
    tuning = tuning_for_memory(memory)
    assert (tuning.memory_mb, tuning.tier) == (memory, tier)
    assert (tuning.max_pool_connections, tuning.batch_concurrency, tuning.timeout_buffer) == (
        pool,
        batch,
        buffer,
    )
    assert tuning.scan_segments == tuning.scan_concurrency == batch
    assert tuning.connect_timeout == 1.0


def test_tiers_grow_with_memory() -> None:
    floors = [t.tier for t in TIERS]
    assert floors == sorted(floors) == [128, 512, 1024, 3008, 10240]
    for small, large in itertools.pairwise(TIERS):
        assert small.max_pool_connections < large.max_pool_connections
        assert small.batch_concurrency < large.batch_concurrency
        assert small.timeout_buffer >= large.timeout_buffer
        assert small.read_timeout <= large.read_timeout


@pytest.mark.parametrize("memory", [0, -128, 64, 127, 10241, 20000])
def test_tuning_refuses_a_size_lambda_cannot_have(memory: int) -> None:
    with pytest.raises(InvalidInput, match="between 128 and 10240"):
        tuning_for_memory(memory)
    with pytest.raises(InvalidInput, match="between 128 and 10240"):
        optimize_for_memory(memory)
    assert current_tuning() is None


@pytest.mark.parametrize("memory", ["abc", "512", 1.5, 512.0, True, [512]])
def test_optimize_for_memory_refuses_what_is_not_an_int(memory: object) -> None:
    with pytest.raises(InvalidInput, match="must be an int number of MB"):
        optimize_for_memory(memory)  # type: ignore[arg-type]
    assert current_tuning() is None


def test_optimize_for_memory_refuses_a_broken_configured_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "99999")
    with pytest.raises(InvalidInput, match="99999"):
        optimize_for_memory()


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"memory_mb": 20000}, "between 128 and 10240"),
        ({"memory_mb": 1024}, "does not match memory_mb"),  # a 128 MB tier claiming 1024 MB
        ({"tier": 256}, "must be one of"),
        ({"batch_concurrency": 0}, "positive int"),
        ({"batch_concurrency": True}, "positive int"),
        ({"scan_concurrency": 4, "scan_segments": 2}, "cannot exceed scan_segments"),
        ({"batch_concurrency": 16}, "cannot exceed max_pool_connections"),
        ({"read_timeout": 0.0}, "more than 0"),
        ({"timeout_buffer": -1.0}, "between 0 and 900"),
        ({"connect_timeout": "1"}, "between 0 and 900"),
    ],
)
def test_a_tuning_whose_fields_disagree_is_refused(change: dict[str, object], complaint: str) -> None:
    with pytest.raises(InvalidInput, match=complaint):
        dataclasses.replace(tuning_for_memory(128), **change)  # type: ignore[arg-type]


def test_a_tuning_may_be_narrowed_within_its_bounds() -> None:
    narrow = dataclasses.replace(tuning_for_memory(1024), batch_concurrency=2, scan_concurrency=1)
    assert (narrow.batch_concurrency, narrow.scan_concurrency, narrow.tier) == (2, 1, 1024)


def test_transport_config_from_a_tuning_and_overrides() -> None:
    config = tuning_for_memory(512).transport_config(region="eu-west-1", read_timeout=9.0)
    assert isinstance(config, TransportConfig)
    assert (config.max_pool_connections, config.connect_timeout, config.read_timeout) == (16, 1.0, 9.0)
    assert config.region == "eu-west-1"


def test_optimize_for_memory_applies_the_tuning() -> None:
    assert current_tuning() is None
    assert timeout_buffer() == 1.0
    tuning = optimize_for_memory(128)
    assert current_tuning() is tuning and isinstance(tuning, LambdaTuning)
    assert timeout_buffer() == 1.5


def test_optimize_for_memory_reads_the_configured_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "3008")
    assert optimize_for_memory().tier == 3008
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
    assert optimize_for_memory().tier == 1024  # no size known: about one vCPU


def test_lambda_db_outside_lambda_keeps_the_plain_db_defaults() -> None:
    db = LambdaDB(region="us-east-1")
    assert db.tuning is None
    assert managed(db).config == TransportConfig(region="us-east-1")
    assert db.timeout_buffer == 1.0
    assert not managed(db).has_client  # nothing connected early outside Lambda


def test_lambda_db_uses_the_applied_tuning_and_explicit_options_win() -> None:
    optimize_for_memory(3008)
    db = LambdaDB(region="us-east-1", read_timeout=7.5)
    config = managed(db).config
    assert (config.max_pool_connections, config.connect_timeout, config.read_timeout) == (64, 1.0, 7.5)
    assert config.region == "us-east-1"
    assert db.timeout_buffer == 0.75
    explicit = TransportConfig(max_pool_connections=3)
    assert managed(LambdaDB(config=explicit)).config is explicit


def test_lambda_db_in_lambda_tunes_itself_to_the_configured_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:1")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
    db = LambdaDB(connect=False)
    assert db.tuning is not None and db.tuning.tier == 128
    assert managed(db).config.max_pool_connections == 8
    assert db.timeout_buffer == 1.5
    assert current_tuning() is None  # chosen for this DB, not applied process-wide
    assert concurrency.current() == concurrency.ConcurrencyLimits(batch=2, scan=2)  # but its concurrency is
    assert LambdaDB(connect=False, timeout_buffer=0.25).timeout_buffer == 0.25


@pytest.mark.parametrize("memory", [128, 700, 1024, 2048, 3008, 10240])
def test_lambda_db_in_lambda_reads_the_tier_as_its_tuning_would(
    monkeypatch: pytest.MonkeyPatch, memory: int
) -> None:
    # The LambdaTuning value is made on first read of db.tuning (off the cold path); what the DB
    # was built with must be what that tuning says.
    monkeypatch.setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:1")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", str(memory))
    db = LambdaDB(connect=False, region="eu-west-1")
    limits = concurrency.current()
    tuning = tuning_for_memory(memory)
    assert db.tuning == tuning
    assert managed(db).config == tuning.transport_config(region="eu-west-1")
    assert db.timeout_buffer == tuning.timeout_buffer
    assert limits == concurrency.ConcurrencyLimits(
        batch=tuning.batch_concurrency, scan=tuning.scan_concurrency
    )
    db.tuning = None  # still an attribute one can set
    assert db.tuning is None


def test_tuning_is_a_frozen_value() -> None:
    tuning = tuning_for_memory(1024)
    with pytest.raises(dataclasses.FrozenInstanceError):
        tuning.max_pool_connections = 1  # type: ignore[misc]


# --------------------------------------------------------------------------- X-Ray request tables


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"TableName": "orders"}, "orders"),
        ({"RequestItems": {"b": {}, "a": {}}}, "a,b"),
        (
            {
                "TransactItems": [
                    {"Put": {"TableName": "x"}},
                    {"Update": {"TableName": "y"}},
                    {"Put": {"TableName": "x"}},
                ]
            },
            "x,y",
        ),
        ({}, None),
    ],
)
def test_tables_of_a_request(params: dict[str, object], expected: str | None) -> None:
    assert tables_of(params) == expected


def test_enable_xray_tracing_without_the_sdk_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from dynamorm_async.aws_lambda import enable_xray_tracing

    monkeypatch.setitem(sys.modules, "aws_xray_sdk.core", None)  # makes the import fail
    with pytest.raises(ImportError, match=r"dynamorm_async\[xray\]"):
        enable_xray_tracing()


# --------------------------------------------------------------------------- import cost


def _loaded_after(code: str) -> set[str]:
    script = f"import sys\n{code}\nprint(','.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(out.stdout.strip().split(","))


HEAVY = {"aiobotocore", "botocore", "aiohttp", "aws_xray_sdk", "snapshot_restore_py", "awslambdaric"}


def test_import_dynamorm_async_does_not_import_the_lambda_layer() -> None:
    loaded = _loaded_after("import dynamorm_async")
    assert not any(m.startswith("dynamorm_async.aws_lambda") for m in loaded)


def test_the_lambda_layer_imports_nothing_heavy_until_used() -> None:
    loaded = _loaded_after(
        "import dynamorm_async\n"
        "from dynamorm_async import LambdaDB, with_lambda_timeout, optimize_for_memory\n"
        "from dynamorm_async.aws_lambda import HandlerRunner, enable_xray_tracing\n"
        "class_ = LambdaDB\n"
    )
    assert {m.split(".")[0] for m in loaded} & HEAVY == set()
    assert "dynamorm_async.aws_lambda.db" in loaded


def test_a_lambda_db_outside_lambda_loads_no_aws_sdk() -> None:
    loaded = _loaded_after(
        "from typing import Annotated\n"
        "from dynamorm_async import HashKey, LambdaDB, Model\n"
        "class Thing(Model, table='things'):\n"
        "    pk: Annotated[str, HashKey()]\n"
        "db = LambdaDB(models=[Thing], region='us-east-1')\n"
    )
    assert {m.split(".")[0] for m in loaded} & HEAVY == set()
