"""The transport's cold-start measures (bench/README.md) keep botocore's behaviour."""

from __future__ import annotations

import pytest

from dynamorm_async.transport import TransportConfig
from dynamorm_async.transport import aiobotocore as transport


def test_service_loader_sees_only_our_services_and_loads_the_same_models() -> None:
    from botocore.loaders import Loader

    loader = transport._make_service_loader(transport.MODEL_SERVICES)
    assert loader is not None
    assert loader.list_available_services("service-2") == sorted(transport.MODEL_SERVICES)
    default = Loader()
    for service in transport.MODEL_SERVICES:
        assert loader.load_service_model(service, "service-2") == default.load_service_model(
            service, "service-2"
        )
    assert loader.load_data("endpoints") == default.load_data("endpoints")


def test_custom_model_paths_keep_the_default_loader(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    assert transport._make_service_loader(transport.MODEL_SERVICES) is None


def test_sessions_made_by_the_transport_use_the_service_loader() -> None:
    t = transport.AiobotocoreTransport(TransportConfig(region="us-east-1"))
    session = t._aio_session()
    assert session.get_component("data_loader") is transport._service_loader(
        ("dynamodb", *transport.MODEL_SERVICES)
    )
