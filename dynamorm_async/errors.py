"""Every exception the library raises, in one place.

The tree::

    DynamORMError
    ├── ModelError                 a model class is declared wrongly (raised at class definition)
    ├── TableMismatch              an existing table lacks what its models need (keys, indexes)
    ├── InvalidInput               bad input caught before anything is sent
    │   ├── InvalidKey             key missing, empty or of the wrong type
    │   ├── InvalidValue           a value DynamoDB cannot hold (lossy float, empty set, ...)
    │   ├── ItemTooLarge           an item over DynamoDB's 400 KB limit
    │   ├── UnknownAttribute       an expression names a field the model does not have
    │   ├── KeyUpdateError         an update expression touches a key attribute
    │   ├── InvalidCursor          a pagination cursor that is tampered, foreign or malformed
    │   ├── DuplicateKey           a batch or transaction names the same item twice
    │   ├── WrongModel             a read or write met an item whose discriminator names another model
    │   ├── StreamRecordError      a DynamoDB Streams record that cannot be read as its model
    │   └── ModelValidationError   pydantic rejected the item's data (wraps pydantic's error)
    │       └── InvalidStoredItem  a stored item does not decode as its model (table, key, attribute)
    ├── ItemNotFound               get() found no item
    ├── DeadlineExceeded           the active deadline was reached (or a retry pause would pass it)
    │   └── LambdaTimeoutError     the same, inside a Lambda deadline scope
    ├── PartialFailure             a batch finished with work left over (lists exactly what)
    │   └── DeadlinePartialFailure a batch stopped at the deadline (also a LambdaTimeoutError)
    ├── CredentialsError           missing, expired or refused credentials
    │   └── AssumeRoleError        STS AssumeRole failed for a partner
    ├── UnknownPartner             MultiAccountDB has no partner by that id
    ├── PartnerScopeError          a partner scope used so that no single partner can be meant
    └── ServiceError               DynamoDB answered with an error (code, message, operation, table, ...)
        ├── ConditionCheckFailed   a condition expression was false (carries the current item if asked)
        ├── TransactionCanceled    a transaction was cancelled (one reason per item)
        │   └── TransactionWrongModel  ... because a request met another model's item (also a WrongModel)
        ├── Throttled              throughput exceeded / request limit / throttling, after retries
        ├── TableNotFound          the table does not exist (ResourceNotFoundException)
        ├── TableInUse             the table is being created, updated or deleted
        ├── TableAlreadyExists     create_table on an existing table
        ├── ServiceValidationError DynamoDB's own ValidationException (``ValidationError``: old name)
        └── ConnectionFailed       no answer: connect failed, connection lost, timed out, corrupt answer

Low-level errors (botocore's, aiohttp's, ``OSError``) are turned into these by one table,
:mod:`dynamorm_async.transport.errortable`, always with ``raise ... from`` so the original stays
on ``__cause__``.

Every error raised by a call through the transport says how the call went on two attributes:
``attempts`` (how many requests were sent, 0 when none was) and ``in_doubt`` (whether one of
them was sent and its answer lost, so DynamoDB may have applied it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class DynamORMError(Exception):
    """Root of every error this library raises."""


class ModelError(DynamORMError, TypeError):
    """A model class is declared wrongly; raised when the class is defined."""


class TableMismatch(DynamORMError):
    """An existing table does not have what its models need (key schema, key types, an index);
    reported, never altered. ``table`` names it, ``differences`` lists each problem in words."""

    def __init__(self, message: str, *, table: str, differences: Sequence[str]) -> None:
        super().__init__(message)
        self.table = table
        self.differences = list(differences)


class InvalidInput(DynamORMError, ValueError):
    """Input rejected before anything was sent to DynamoDB."""


class WrongModel(InvalidInput):
    """A read through one model found an item of another model of the same table (its
    discriminator attribute names another value), or a write through it met one and was refused
    (its guard condition failed: nothing was written); ``table``, ``key``, ``expected``,
    ``found`` say which."""

    def __init__(
        self, message: str, *, table: str | None, key: Mapping[str, Any], expected: str, found: str
    ) -> None:
        super().__init__(message)
        self.table = table
        self.key = dict(key)
        self.expected = expected
        self.found = found


class InvalidKey(InvalidInput):
    """A key attribute is missing, empty, or of a type the key schema does not allow."""


class InvalidValue(InvalidInput):
    """A value DynamoDB cannot store faithfully (lossy float, empty set, NaN, ...)."""


class ItemTooLarge(InvalidInput):
    """An item exceeds DynamoDB's 400 KB item size limit; checked before sending."""

    def __init__(self, message: str, *, size: int, limit: int) -> None:
        super().__init__(message)
        self.size = size
        self.limit = limit


class UnknownAttribute(InvalidInput, AttributeError):
    """An expression names an attribute the model does not declare."""


class KeyUpdateError(InvalidInput):
    """An update expression would change a key attribute, which DynamoDB forbids."""


class InvalidCursor(InvalidInput):
    """A pagination cursor is malformed, tampered with, or was made by another query."""


class DuplicateKey(InvalidInput):
    """One batch or transaction names the same item twice, which DynamoDB refuses; ``key`` is the key."""

    def __init__(self, message: str, *, key: Any = None) -> None:
        super().__init__(message)
        self.key = key


class StreamRecordError(InvalidInput):
    """A stream record (or a whole event) that cannot be read: malformed, or not decodable as its model.

    ``sequence_number`` names the record when it could be read (``None`` for a broken envelope).
    """

    def __init__(self, message: str, *, sequence_number: str | None = None) -> None:
        super().__init__(message)
        self.sequence_number = sequence_number


class ModelValidationError(InvalidInput):
    """pydantic rejected the data of an item; the pydantic error is on ``__cause__``."""


class InvalidStoredItem(ModelValidationError):
    """An item read from DynamoDB does not decode as its model: an attribute of another DynamoDB
    type, a NULL where the field allows no ``None``, a value pydantic refuses (written by another tool).

    ``table``, ``key`` (the item's key attributes, as stored) and ``attribute`` (the DynamoDB
    attribute name, ``None`` when the whole item is at fault) say which; the cause is on ``__cause__``.
    """

    def __init__(
        self, message: str, *, table: str | None, key: Mapping[str, Any], attribute: str | None
    ) -> None:
        super().__init__(message)
        self.table = table
        self.key = dict(key)
        self.attribute = attribute


class ItemNotFound(DynamORMError, LookupError):
    """No item exists under the requested key."""

    def __init__(self, message: str, *, table: str, key: Mapping[str, Any]) -> None:
        super().__init__(message)
        self.table = table
        self.key = dict(key)


class DeadlineExceeded(DynamORMError, TimeoutError):
    """The active deadline (:mod:`dynamorm_async.deadline`) was reached; nothing more was sent.

    Also raised *before* the deadline when the pause before a retry would end past it.
    ``operation`` names what was being done (or about to be sent); ``remaining`` the seconds left
    (negative: late by that much); ``attempts`` how many requests of the call were sent before
    it stopped, and ``in_doubt`` whether one of them may have been applied (answer lost).
    """

    attempts: int = 0
    in_doubt: bool = False

    def __init__(self, message: str, *, operation: str | None = None, remaining: float | None = None) -> None:
        super().__init__(message)
        self.operation = operation
        self.remaining = remaining


class LambdaTimeoutError(DeadlineExceeded):
    """The invocation's deadline (Lambda deadline minus the buffer) was reached.

    What a :class:`DeadlineExceeded` is inside a Lambda deadline scope
    (:func:`~dynamorm_async.aws_lambda.with_lambda_timeout`), so handlers can catch either.
    """


class PartialFailure(DynamORMError):
    """A batch operation ended with work left over; ``unprocessed`` lists exactly what.

    ``done`` holds what did succeed (fetched models, or writes applied); ``reason`` says why the
    retries stopped (``"attempts"`` or ``"deadline"``); ``result`` is the operation's full result
    object when it has one (e.g. a batch write's puts and deletes apart). ``in_doubt`` lists
    what was sent and never answered: DynamoDB may or may not have applied it. For writes the
    three lists are disjoint (``unprocessed`` is what is certainly *not* done); for reads
    ``unprocessed`` is every key not read, ``in_doubt`` included.
    """

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        unprocessed: Sequence[Any],
        done: Sequence[Any] = (),
        reason: str | None = None,
        result: Any = None,
        in_doubt: Sequence[Any] = (),
    ) -> None:
        super().__init__(message)
        self.operation: str | None = operation
        self.unprocessed = list(unprocessed)
        self.done = list(done)
        self.reason = reason
        self.result = result
        self.in_doubt = list(in_doubt)

    @property
    def not_done(self) -> list[Any]:
        """What was certainly not done (for writes: ``unprocessed``; for reads: minus ``in_doubt``)."""
        doubt = {id(x) for x in self.in_doubt}
        return [x for x in self.unprocessed if id(x) not in doubt]


class DeadlinePartialFailure(PartialFailure, LambdaTimeoutError):  # type: ignore[misc]  # in_doubt: the list
    """A batch stopped at the deadline: ``unprocessed`` lists exactly what was not done.

    It is both a :class:`PartialFailure` (what is left) and a :class:`LambdaTimeoutError`, so a
    handler's timeout answer catches it like any other deadline.
    """

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        unprocessed: Sequence[Any],
        done: Sequence[Any] = (),
        result: Any = None,
        remaining: float | None = None,
        in_doubt: Sequence[Any] = (),
    ) -> None:
        PartialFailure.__init__(
            self,
            message,
            operation=operation,
            unprocessed=unprocessed,
            done=done,
            reason="deadline",
            result=result,
            in_doubt=in_doubt,
        )
        self.remaining = remaining


class CredentialsError(DynamORMError):
    """Credentials are missing, expired or were refused; ``code`` is AWS's error code if any."""

    def __init__(self, message: str, *, code: str | None = None, partner: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.partner = partner


class AssumeRoleError(CredentialsError):
    """STS AssumeRole failed for a partner; names partner and role, never secrets."""

    def __init__(self, message: str, *, partner: str, role_arn: str, code: str | None = None) -> None:
        super().__init__(message, code=code, partner=partner)
        self.role_arn = role_arn


class UnknownPartner(DynamORMError, LookupError):
    """MultiAccountDB has no partner registered under that id."""


class PartnerScopeError(DynamORMError, RuntimeError):
    """A partner scope was used in a way that cannot say which partner is meant.

    Raised when one ``mdb.partner(...)`` object is entered while it is already entered (by
    another task, or nested), and when a task reads a partner scope entered by an async
    generator that is suspended at a ``yield``.
    """


class ServiceError(DynamORMError):
    """DynamoDB (or STS) answered with an error, or (:class:`ConnectionFailed`) did not answer.

    ``code`` is AWS's error code, or one of the documented constants of
    :mod:`dynamorm_async.transport.errortable`; never a Python class name. ``status`` is the HTTP
    status when there was an answer. ``attempts`` and ``in_doubt`` say how the call went (see
    the module docstring).
    """

    attempts: int = 0
    in_doubt: bool = False

    def __init__(
        self,
        message: str,
        *,
        code: str = "",
        operation: str = "",
        table: str | None = None,
        request_id: str | None = None,
        partner: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.operation = operation
        self.table = table
        self.request_id = request_id
        self.partner = partner
        self.status = status

    def __str__(self) -> str:
        where = f" on table {self.table!r}" if self.table else ""
        who = f" for partner {self.partner!r}" if self.partner else ""
        return f"{self.operation}{where}{who}: {self.code}: {self.message}"


class ConditionCheckFailed(ServiceError):
    """A condition expression evaluated to false; ``item`` is the current item when it was asked for."""

    item: Any = None


class CancellationReason:
    """Why one item of a cancelled transaction failed."""

    __slots__ = ("code", "index", "item", "message")

    def __init__(self, index: int, code: str, message: str | None, item: Any = None) -> None:
        self.index = index
        self.code = code
        self.message = message
        self.item = item

    @property
    def failed(self) -> bool:
        """True unless DynamoDB reported ``None`` (this item was fine)."""
        return self.code != "None"

    def __repr__(self) -> str:
        return f"CancellationReason(index={self.index}, code={self.code!r}, message={self.message!r})"


class TransactionCanceled(ServiceError):
    """A transaction was cancelled; ``reasons`` has one entry per item, in request order."""

    reasons: list[CancellationReason]


class TransactionWrongModel(TransactionCanceled, WrongModel):
    """A transaction was cancelled because one of its requests met an item of another model of
    the table (a put, update, delete or condition check through the wrong model, refused by DynamoDB).

    Both a :class:`TransactionCanceled` (``reasons``, per request; that request's ``item`` is
    ``None``) and a :class:`WrongModel` (``table``, ``key``, ``expected``, ``found`` of the first
    such request, whose index is ``index``).
    """

    def __init__(
        self,
        cancelled: TransactionCanceled,
        *,
        index: int,
        table: str | None,
        key: Mapping[str, Any],
        expected: str,
        found: str,
    ) -> None:
        message = (
            f"request {index} of the transaction met the {found!r} item {dict(key)!r} in table "
            f"{table!r}, not a {expected!r} one; the transaction was cancelled"
        )
        Exception.__init__(self, message)  # both parents' __init__ chain to super(): set the fields here
        self.code, self.message, self.operation = cancelled.code, message, cancelled.operation
        self.table, self.request_id = table, cancelled.request_id
        self.partner, self.status = cancelled.partner, cancelled.status
        self.reasons = list(getattr(cancelled, "reasons", []))
        self.attempts, self.in_doubt = cancelled.attempts, cancelled.in_doubt
        self.index = index
        self.key = dict(key)
        self.expected = expected
        self.found = found


class Throttled(ServiceError):
    """DynamoDB throttled the request and the retries allowed were used up."""


class TableNotFound(ServiceError):
    """The table does not exist (or is not visible to these credentials)."""


class TableInUse(ServiceError):
    """The table is being created, updated or deleted."""


class TableAlreadyExists(ServiceError):
    """create_table was asked for a table that already exists."""


class ServiceValidationError(ServiceError):
    """DynamoDB rejected the request as invalid (its own ValidationException)."""


def __getattr__(name: str) -> Any:
    # ``ValidationError``: the old name of ServiceValidationError, which clashed with pydantic's.
    if name == "ValidationError":
        import warnings

        warnings.warn(
            "dynamorm_async.errors.ValidationError is deprecated; use ServiceValidationError",
            DeprecationWarning,
            stacklevel=2,
        )
        return ServiceValidationError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class ConnectionFailed(ServiceError):
    """No usable answer came: the connection failed, was lost, timed out, or the answer was corrupt.

    ``code`` is one of the constants of :mod:`dynamorm_async.transport.errortable`
    (``CONNECT_FAILED``, ``CONNECTION_LOST``, ``READ_TIMEOUT``, ``CHECKSUM_MISMATCH``, ...).
    ``may_have_reached_aws`` says whether this request may have reached AWS: ``False`` when it
    certainly did not (the connection was never made), ``True`` when it was sent and the answer
    lost, so DynamoDB may have applied it.
    """

    def __init__(self, message: str, *, may_have_reached_aws: bool, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.may_have_reached_aws = may_have_reached_aws


__all__ = [
    "AssumeRoleError",
    "CancellationReason",
    "ConditionCheckFailed",
    "ConnectionFailed",
    "CredentialsError",
    "DeadlineExceeded",
    "DeadlinePartialFailure",
    "DuplicateKey",
    "DynamORMError",
    "InvalidCursor",
    "InvalidInput",
    "InvalidKey",
    "InvalidValue",
    "InvalidStoredItem",
    "ItemNotFound",
    "ItemTooLarge",
    "KeyUpdateError",
    "LambdaTimeoutError",
    "ModelError",
    "ModelValidationError",
    "PartialFailure",
    "PartnerScopeError",
    "ServiceError",
    "ServiceValidationError",
    "StreamRecordError",
    "TableAlreadyExists",
    "TableInUse",
    "TableMismatch",
    "TableNotFound",
    "Throttled",
    "TransactionCanceled",
    "TransactionWrongModel",
    "UnknownAttribute",
    "UnknownPartner",
    "WrongModel",
]
