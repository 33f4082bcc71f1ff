"""The aiobotocore way to the wire: one raw transport attempt per call, through an aiobotocore client.

The only module of the library that imports aiobotocore, botocore or aiohttp, and only when the
first client is made, so ``import dynamorm_async`` stays cheap. An :class:`AiobotocoreTransport`
owns one aiobotocore client for one (credentials, region, endpoint), created lazily under a
lock, reused by every call, and closed by :meth:`AiobotocoreTransport.close`. It is a
:class:`~dynamorm_async.transport.base.RawTransport`: botocore's own retries are switched off
(``total_max_attempts=1``) and botocore's exceptions are left to the retrying transport, which
maps them with the error table and retries under the library's policy.

With retries off, botocore no longer looks at DynamoDB's ``x-amz-crc32`` header (its standard
mode checks it only to decide on a retry, in ``botocore.retries.special.RetryDDBChecksumError``).
A ``before-parse`` handler on each client does that check and raises
:class:`~dynamorm_async.errors.ConnectionFailed` (``CHECKSUM_MISMATCH``) on a mismatch.
"""

from __future__ import annotations

import asyncio
import datetime
import re
import zlib
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from .base import STATS, TransportConfig
from .errortable import CHECKSUM_MISMATCH, connection_failed

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
_CRC_HEADER = "x-amz-crc32"


def _method_name(operation: str) -> str:
    return _CAMEL.sub("_", operation).lower()


def _check_crc32(response_dict: Mapping[str, Any], operation_model: Any = None, **_: Any) -> None:
    """``before-parse`` handler: refuse a DynamoDB answer whose body does not match ``x-amz-crc32``."""
    headers = response_dict.get("headers") or {}
    expected = headers.get(_CRC_HEADER)
    body = response_dict.get("body")
    if expected is None or not isinstance(body, (bytes, bytearray)):
        return
    actual = zlib.crc32(body) & 0xFFFFFFFF
    if str(actual) != str(expected).strip():
        name = getattr(operation_model, "name", "?")
        raise connection_failed(None, may_have_reached_aws=True, operation=str(name), code=CHECKSUM_MISMATCH)


class AiobotocoreTransport:
    """One lazily created aiobotocore client; one attempt per :meth:`send`.

    ``session`` may be an aiobotocore ``AioSession`` (or an ``aioboto3.Session``, whose
    credentials and region are used); ``credentials`` an aiobotocore credentials object (static
    or refreshable) that overrides the session's chain.
    """

    def __init__(
        self,
        config: TransportConfig | None = None,
        *,
        service: str = "dynamodb",
        session: Any = None,
        credentials: Any = None,
    ) -> None:
        self.config = config or TransportConfig()
        #: Which way to the wire this is (also :attr:`RetryingTransport.http`).
        self.http = "aiobotocore"
        self.service = service
        self._session = session
        self._credentials = credentials
        self._client: Any = None
        self._client_cm: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock: asyncio.Lock | None = None

    # ------------------------------------------------------------------ client lifecycle
    @property
    def has_client(self) -> bool:
        """Whether a client exists (and is usable on the running loop)."""
        return self._client is not None

    async def connect(self) -> None:
        """Make the client now instead of on the first send."""
        await self.client()

    async def client(self) -> Any:
        """The client for the running event loop, made on first use."""
        loop = asyncio.get_running_loop()
        if self._client is not None and self._loop is loop:
            return self._client
        if self._lock is None or self._loop is not loop:
            # A client (and its connection pool) belongs to the loop that made it; a new loop
            # (e.g. asyncio.run per invocation) needs a new client. The old one died with its loop.
            self._lock = asyncio.Lock()
            self._client = None
            self._loop = loop
        async with self._lock:
            if self._client is None:
                self._client = await self._create_client()
        return self._client

    async def _create_client(self) -> Any:
        from aiobotocore.config import AioConfig

        session = self._aio_session()
        cfg = self.config
        aio_config = AioConfig(
            region_name=cfg.region,
            max_pool_connections=cfg.max_pool_connections,
            connect_timeout=cfg.connect_timeout,
            read_timeout=cfg.read_timeout,
            # One try: the library retries (see the module docstring).
            retries={"mode": "standard", "total_max_attempts": 1},
            tcp_keepalive=cfg.tcp_keepalive,
        )
        kwargs: dict[str, Any] = {"config": aio_config}
        if cfg.region:
            kwargs["region_name"] = cfg.region
        if cfg.endpoint_url:
            kwargs["endpoint_url"] = cfg.endpoint_url
            if cfg.endpoint_url.lower().startswith("http://"):
                # Plain HTTP (DynamoDB Local, tests) has no TLS to verify: without this, aiobotocore
                # still loads a CA bundle into an SSL context on the first request (~20 ms).
                kwargs["verify"] = False
        cm = session.create_client(self.service, **kwargs)
        client = await cm.__aenter__()
        if self.service == "dynamodb":
            client.meta.events.register("before-parse.dynamodb", _check_crc32)
        self._client_cm = cm
        STATS.clients_created += 1
        return client

    def _aio_session(self) -> Any:
        session = self._session
        if session is not None and hasattr(session, "_session") and not hasattr(session, "create_client"):
            session = session._session  # an aioboto3.Session wraps an AioSession
        if session is None:
            from aiobotocore.session import AioSession

            session = AioSession()
            # Cold start: a loader that sees only the services we call (see _service_loader).
            loader = _service_loader((self.service, *MODEL_SERVICES))
            if loader is not None:
                session.register_component("data_loader", loader)
            self._session = session
        if self._credentials is not None:
            # aiobotocore resolves credentials through the session; a provided object wins.
            session._credentials = self._credentials
        return session

    async def close(self) -> None:
        """Close the client (and its connection pool); the next send makes a new one."""
        cm, self._client_cm, self._client = self._client_cm, None, None
        if cm is not None:
            try:
                if self._loop is asyncio.get_running_loop():
                    await cm.__aexit__(None, None, None)
            finally:
                STATS.clients_closed += 1

    # ------------------------------------------------------------------ one attempt
    async def send(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Send one attempt through the client's public method; botocore's errors propagate."""
        client = await self.client()
        result: dict[str, Any] = await getattr(client, _method_name(operation))(**params)
        return result


# --------------------------------------------------------------------------- service-model loader
# Cold start: before loading a service model, botocore's loader lists every service folder it
# ships (~400 of them) to check that the service exists, once per model type (service-2,
# endpoint-rule-set-1). A loader whose search path holds only the services we call skips that
# scan, about a third of client creation (bench/README.md has the measurement). Its search path
# is a private folder of symlinks into botocore's own data (the top-level files and the folders
# of the services), made once per machine or Lambda environment in the temporary folder. Only
# public botocore API is used: ``Loader(extra_search_paths=..., include_default_search_paths=
# False)`` registered as the session's ``data_loader``. Custom model paths, or a system without
# symlinks, keep botocore's default loader.

#: The services whose models this library's clients load (DynamoDB; STS for partner accounts).
MODEL_SERVICES = ("dynamodb", "sts")

_loaders: dict[tuple[str, ...], Any] = {}


def _service_loader(services: tuple[str, ...]) -> Any:
    """A botocore loader that sees only ``services`` (one per process), or ``None`` for the default."""
    key = tuple(sorted(set(services)))
    if key not in _loaders:
        try:
            _loaders[key] = _make_service_loader(key)
        except Exception:  # never fatal: botocore's default loader is always right, only slower
            _loaders[key] = None
    return _loaders[key]


def _make_service_loader(services: tuple[str, ...]) -> Any:
    import hashlib
    import os
    import shutil
    import stat
    import tempfile

    import botocore
    from botocore.loaders import Loader

    if os.environ.get("AWS_DATA_PATH") or os.path.isdir(os.path.expanduser("~/.aws/models")):
        return None  # the user's own service models must stay visible
    data = os.path.join(os.path.dirname(botocore.__file__), "data")
    uid = os.getuid()
    tag = hashlib.sha256(f"{botocore.__version__}|{data}|{','.join(services)}".encode()).hexdigest()[:16]
    root = os.path.join(tempfile.gettempdir(), f"dynamorm-botocore-{uid}-{tag}")
    if not os.path.isdir(root):
        scratch = tempfile.mkdtemp(prefix=f"{os.path.basename(root)}.", dir=os.path.dirname(root))
        try:
            for entry in os.scandir(data):
                if not entry.is_dir() or entry.name in services:
                    os.symlink(entry.path, os.path.join(scratch, entry.name))
            os.rename(scratch, root)  # atomic: a process racing us may have won, which is as good
        except OSError:
            shutil.rmtree(scratch, ignore_errors=True)
    # Trust only a real folder of ours that nobody else can write to (mkdtemp makes it 0700).
    info = os.lstat(root)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != uid or info.st_mode & 0o022:
        return None
    return Loader(extra_search_paths=[root], include_default_search_paths=False)


# --------------------------------------------------------------------------- sessions and credentials
# For dynamorm_async.accounts: the aiobotocore objects a partner account needs, made here so that
# no other module imports aiobotocore.


def new_session(*, share_loader_with: Any = None) -> Any:
    """A fresh aiobotocore session (the default credential chain unless a transport sets credentials).

    :class:`AiobotocoreTransport` sets its ``credentials`` on the session it is given, so every
    account needs a session of its own. The sessions share one service-model loader, so a second
    account's client does not parse the same service model again: the process-wide one of
    :func:`_service_loader`, or, where that is not used, the loader of ``share_loader_with``
    (another session).
    """
    from aiobotocore.session import AioSession

    session = AioSession()
    loader = _service_loader(MODEL_SERVICES)
    if loader is None and share_loader_with is not None:
        loader = share_loader_with.get_component("data_loader")
    if loader is not None:
        session.register_component("data_loader", loader)
    return session


def refreshable_credentials(
    refresh: Callable[[], Awaitable[Mapping[str, Any]]],
    *,
    advisory_seconds: int,
    mandatory_seconds: int,
    clock: Callable[[], datetime.datetime],
    method: str = "assume-role",
) -> Any:
    """aiobotocore refreshable credentials, fetched by ``refresh`` on first use and before expiry.

    ``refresh`` returns ``access_key``, ``secret_key``, ``token``, ``expiry_time`` (ISO 8601) and
    optionally ``account_id``. aiobotocore's own lock makes refreshes single-flight: within
    ``advisory_seconds`` of expiry one caller refreshes while the others keep signing with the
    still valid credentials (a failed refresh is logged and retried later); within
    ``mandatory_seconds``, and on first use, every caller waits for the one refresh and its error
    propagates. ``clock`` is the time source those windows are measured on.
    """
    from aiobotocore.credentials import AioRefreshableCredentials

    return AioRefreshableCredentials(
        access_key="",
        secret_key="",
        token="",
        expiry_time=datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC),  # expired: fetch on first use
        refresh_using=refresh,
        method=method,
        time_fetcher=clock,
        advisory_timeout=advisory_seconds,
        mandatory_timeout=mandatory_seconds,
    )


__all__ = ["MODEL_SERVICES", "AiobotocoreTransport", "new_session", "refreshable_credentials"]
