"""The one seam that talks to AWS.

Only this module imports aiobotocore and botocore, and only when the first client is made, so
``import dynamorm_async`` stays cheap. A :class:`Transport` owns one aiobotocore client for one
(credentials, region, endpoint), created lazily under a lock, reused by every call, and closed by
:meth:`Transport.close`. Every call:

1. checks the active deadline (:mod:`dynamorm_async.deadline`) and refuses to start past it;
2. calls the client's public method for the operation (retries are botocore's standard or
   adaptive mode, configured on the client);
3. maps any botocore error to the library's own (:mod:`dynamorm_async.errors`), ``raise ... from``.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import errors
from .deadline import current_deadline

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _method_name(operation: str) -> str:
    return _CAMEL.sub("_", operation).lower()


@dataclass(frozen=True, slots=True)
class TransportConfig:
    """How clients are made: where, how many connections, timeouts and retries."""

    region: str | None = None
    endpoint_url: str | None = None
    max_pool_connections: int = 50
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    retry_mode: str = "standard"
    #: Total tries per call, the first included (botocore's standard mode default is 3).
    max_attempts: int = 3
    tcp_keepalive: bool = True


@dataclass(slots=True)
class TransportStats:
    """Debug counters (read by tests and benchmarks): how many clients were made, calls sent."""

    clients_created: int = 0
    clients_closed: int = 0
    calls: int = 0
    by_operation: dict[str, int] = field(default_factory=dict)


#: Process-wide counters across every transport.
STATS = TransportStats()

#: Hooks called with (operation, params, label) before each call: X-Ray annotations, logging.
CallHook = Callable[[str, Mapping[str, Any], str | None], None]

#: Calls in flight, watched by a deadline scope (``aws_lambda.with_lambda_timeout``) that sets a
#: list here: each call adds "Operation on 'table'" while it runs and removes it when it returns or
#: fails, so the entries left after a cancellation name exactly the calls the scope cut off.
IN_FLIGHT: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "dynamorm_in_flight", default=None
)


class Transport:
    """One lazily created aiobotocore client and the calls made through it.

    ``session`` may be an aiobotocore ``AioSession`` (or an ``aioboto3.Session``, whose
    credentials and region are used); ``credentials`` an aiobotocore credentials object (static
    or refreshable) that overrides the session's chain. ``label`` names the partner or account in
    errors and hooks.
    """

    def __init__(
        self,
        config: TransportConfig | None = None,
        *,
        service: str = "dynamodb",
        session: Any = None,
        credentials: Any = None,
        label: str | None = None,
        hooks: tuple[CallHook, ...] = (),
    ) -> None:
        self.config = config or TransportConfig()
        self.service = service
        self.label = label
        self.hooks = hooks
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
            # botocore's "max_attempts" counts retries; "total_max_attempts" counts tries, as ours does.
            retries={"mode": cfg.retry_mode, "total_max_attempts": cfg.max_attempts},
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
        try:
            cm = session.create_client(self.service, **kwargs)
            client = await cm.__aenter__()
        except Exception as exc:
            raise map_error(exc, operation="CreateClient", table=None, label=self.label) from exc
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
        """Close the client (and its connection pool); the next call makes a new one."""
        cm, self._client_cm, self._client = self._client_cm, None, None
        if cm is not None:
            try:
                if self._loop is asyncio.get_running_loop():
                    await cm.__aexit__(None, None, None)
            finally:
                STATS.clients_closed += 1

    # ------------------------------------------------------------------ calls
    async def call(
        self, operation: str, params: Mapping[str, Any], *, table: str | None = None
    ) -> dict[str, Any]:
        """Send one operation; raises the library's typed errors, never botocore's."""
        deadline = current_deadline()
        if deadline is not None:
            deadline.check(operation)
        watch = IN_FLIGHT.get()
        what = operation if table is None else f"{operation} on {table!r}"
        if watch is not None:
            watch.append(what)  # left in place if the await below is cancelled
        try:
            client = await self.client()
            for hook in self.hooks:
                hook(operation, params, self.label)
            STATS.calls += 1
            STATS.by_operation[operation] = STATS.by_operation.get(operation, 0) + 1
            try:
                result: dict[str, Any] = await getattr(client, _method_name(operation))(**params)
            except errors.DynamORMError:
                raise  # already ours (e.g. a credential refresh that failed while signing): keep its cause
            except Exception as exc:
                raise map_error(exc, operation=operation, table=table, label=self.label) from exc
        except Exception:
            if watch is not None:
                watch.remove(what)
            raise
        if watch is not None:
            watch.remove(what)
        return result


# --------------------------------------------------------------------------- error mapping

_THROTTLING = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "Throttling",
        "TooManyRequestsException",
    }
)
_CREDENTIALS = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "InvalidClientTokenId",
        "MissingAuthenticationToken",
        "AccessDenied",
        "AccessDeniedException",
        "SignatureDoesNotMatch",
    }
)


def map_error(
    exc: BaseException, *, operation: str, table: str | None, label: str | None = None
) -> BaseException:
    """The library error for a botocore (or connection) error; the one place errors are mapped."""
    if isinstance(exc, errors.DynamORMError):
        return exc
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping) and "Error" in response:
        return _map_client_error(response, operation=operation, table=table, label=label)
    name = type(exc).__name__
    if name in ("NoCredentialsError", "PartialCredentialsError", "CredentialRetrievalError", "NoRegionError"):
        who = f" for partner {label!r}" if label else ""
        return errors.CredentialsError(f"{operation}{who}: {exc}", code=name, partner=label)
    if name.endswith(("ConnectionError", "ConnectTimeoutError", "ReadTimeoutError")) or isinstance(
        exc, OSError
    ):
        return errors.ServiceError(str(exc), code=name, operation=operation, table=table, partner=label)
    return exc


def _map_client_error(
    response: Mapping[str, Any], *, operation: str, table: str | None, label: str | None
) -> errors.DynamORMError:
    err = response.get("Error", {})
    code = str(err.get("Code", ""))
    message = str(err.get("Message", ""))
    meta = response.get("ResponseMetadata", {})
    common: dict[str, Any] = {
        "code": code,
        "operation": operation,
        "table": table,
        "request_id": meta.get("RequestId"),
        "partner": label,
    }
    if code == "ConditionalCheckFailedException":
        out = errors.ConditionCheckFailed(message, **common)
        out.item = response.get("Item")  # raw; the manager decodes it into the model
        return out
    if code == "TransactionCanceledException":
        tc = errors.TransactionCanceled(message, **common)
        tc.reasons = [
            errors.CancellationReason(i, str(r.get("Code", "None")), r.get("Message"), r.get("Item"))
            for i, r in enumerate(response.get("CancellationReasons", []) or [])
        ]
        return tc
    if code in _THROTTLING:
        return errors.Throttled(message, **common)
    if code == "ResourceNotFoundException":
        return errors.TableNotFound(message, **common)
    if code == "ResourceInUseException":
        if "exist" in message.lower():
            return errors.TableAlreadyExists(message, **common)
        return errors.TableInUse(message, **common)
    if code == "ValidationException":
        return errors.ValidationError(message, **common)
    if code in _CREDENTIALS:
        who = f" for partner {label!r}" if label else ""
        return errors.CredentialsError(f"{operation}{who}: {code}: {message}", code=code, partner=label)
    return errors.ServiceError(message, **common)


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

    :class:`Transport` sets its ``credentials`` on the session it is given, so every account needs a
    session of its own. The sessions share one service-model loader, so a second account's client
    does not parse the same service model again: the process-wide one of :func:`_service_loader`,
    or, where that is not used, the loader of ``share_loader_with`` (another session).
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


__all__ = [
    "IN_FLIGHT",
    "MODEL_SERVICES",
    "STATS",
    "CallHook",
    "Transport",
    "TransportConfig",
    "TransportStats",
    "map_error",
    "new_session",
    "refreshable_credentials",
]
