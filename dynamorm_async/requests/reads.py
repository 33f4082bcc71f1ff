"""Query and Scan requests as values: a compiled :class:`ReadPlan` and each page's request.

A plan holds the parameters every page shares (key condition, filter, projection, index,
consistency, placeholders) and what paging and cursors need (the key attributes and their
types, a fingerprint of the request). :func:`page_request` adds one page's ``Limit`` and
``ExclusiveStartKey``. No I/O: the pagination loop lives with the query builders.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ..errors import InvalidInput
from ..expressions import Condition, Encoder, Path
from .common import projection_expression

if TYPE_CHECKING:
    from ..marshal import AttributeValue, Item
    from ..schema import FieldSpec, IndexSpec

#: Why strongly consistent reads are refused on a global secondary index.
GSI_CONSISTENT = "global secondary indexes have no consistent reads: drop .consistent() or query the table"


@dataclass(frozen=True, slots=True)
class ReadPlan:
    """A compiled Query or Scan: parameters without paging fields, and what paging and cursors need.

    ``key_types`` maps the attributes of ``LastEvaluatedKey`` to S/N/B; ``partial`` says items
    are decoded without validation (a projection, or an index not projecting ALL);
    ``partition`` is a query's partition key attribute and value.
    """

    operation: Literal["Query", "Scan"]
    table: str
    params: dict[str, Any]
    key_types: dict[str, str]
    fingerprint: str
    partial: bool
    has_filter: bool
    partition: tuple[str, AttributeValue] | None = None


def page_request(plan: ReadPlan, start: Item | None, limit: int | None) -> dict[str, Any]:
    """One page's request: the plan's parameters, ``ExclusiveStartKey`` and ``Limit`` when given."""
    request = dict(plan.params)
    if start is not None:
        request["ExclusiveStartKey"] = start
    if limit is not None:
        request["Limit"] = limit
    return request


def key_types(table_keys: Sequence[FieldSpec], index: IndexSpec | None) -> dict[str, str]:
    """The key attributes a read's ``LastEvaluatedKey`` holds (table keys, plus the index's), by type."""
    fields = list(table_keys)
    if index is not None:
        fields.append(index.hash)
        if index.range is not None:
            fields.append(index.range)
    return {f.attr: f.codec.kind or "S" for f in fields}


def read_params(
    enc: Encoder,
    params: dict[str, Any],
    table_keys: Sequence[FieldSpec],
    index: IndexSpec | None,
    *,
    consistent: bool,
    filter_condition: Condition | None,
    projection: Iterable[Path[Any]],
    count: bool,
    no_filter: frozenset[str],
) -> tuple[dict[str, str], bool]:
    """Fill index, consistency, filter, projection (or COUNT) and placeholders into ``params``.

    Returns the key types of the read and whether items must be decoded without validation.
    Attributes in ``no_filter`` (a query's keys) are refused in the filter, as DynamoDB does.
    """
    if index is not None:
        params["IndexName"] = index.name
    if consistent:
        if index is not None and index.kind == "GSI":
            raise InvalidInput(GSI_CONSISTENT)
        params["ConsistentRead"] = True
    if filter_condition is not None:
        for p in filter_condition.paths():
            if p.elements and p.elements[0] in no_filter:
                raise InvalidInput(
                    f"the filter tests key attribute {p.name!r}, which DynamoDB refuses in a query's "
                    "filter; put it in the key condition"
                )
        params["FilterExpression"] = enc.condition(filter_condition)
    types = key_types(table_keys, index)
    partial = index is not None and index.projection != "ALL"
    paths = tuple(projection)
    if count:
        params["Select"] = "COUNT"
    elif paths:
        params["ProjectionExpression"] = projection_expression(enc, paths, types)
        partial = True
    params.update(enc.params())
    return types, partial


__all__ = ["GSI_CONSISTENT", "ReadPlan", "key_types", "page_request", "read_params"]
