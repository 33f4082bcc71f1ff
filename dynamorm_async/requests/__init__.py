"""DynamoDB requests as values, built from a compiled schema, an instance or key, and expressions.

Managers, batches, transactions and queries all build their requests here and only send them:
the rules for keys, conditions, versions, timestamps and projections exist once. Nothing in this
package does I/O, so every request shape can be tested without DynamoDB.
"""

from typing import TYPE_CHECKING

from .._lazy import lazy_exports
from .common import (
    KeyArg,
    KeyId,
    Projection,
    check_paths,
    combine,
    condition_params,
    decode_current,
    decode_item,
    key_from_item,
    key_id,
    key_item,
    projection_params,
    projection_paths,
)
from .guards import version_condition
from .items import (
    ItemRequest,
    batch_put,
    condition_check,
    delete_item,
    get_item,
    put_item,
    update_item,
)

if TYPE_CHECKING:
    from .many import (
        MAX_GET_KEYS,
        MAX_TRANSACT_ITEMS,
        MAX_WRITE_ITEMS,
        batch_get_request,
        batch_get_template,
        batch_write_request,
        chunks,
        transact_get_request,
        transact_write_request,
    )
    from .reads import GSI_CONSISTENT, ReadPlan, page_request, read_params

# Batch, transaction and query requests load on first use: a GetItem needs none of them.
_EXPORTS = {
    ".many": (
        "MAX_GET_KEYS",
        "MAX_TRANSACT_ITEMS",
        "MAX_WRITE_ITEMS",
        "batch_get_request",
        "batch_get_template",
        "batch_write_request",
        "chunks",
        "transact_get_request",
        "transact_write_request",
    ),
    ".reads": ("GSI_CONSISTENT", "ReadPlan", "page_request", "read_params"),
}
__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)

__all__ = [
    "GSI_CONSISTENT",
    "MAX_GET_KEYS",
    "MAX_TRANSACT_ITEMS",
    "MAX_WRITE_ITEMS",
    "ItemRequest",
    "KeyArg",
    "KeyId",
    "Projection",
    "ReadPlan",
    "batch_get_request",
    "batch_get_template",
    "batch_put",
    "batch_write_request",
    "check_paths",
    "chunks",
    "combine",
    "condition_check",
    "condition_params",
    "decode_current",
    "decode_item",
    "delete_item",
    "get_item",
    "key_from_item",
    "key_id",
    "key_item",
    "page_request",
    "projection_params",
    "projection_paths",
    "put_item",
    "read_params",
    "transact_get_request",
    "transact_write_request",
    "update_item",
    "version_condition",
]
