"""Lambda SnapStart: runtime hooks around the snapshot, registered when ``snapshot-restore-py`` is there.

With SnapStart, Lambda runs the init phase once, snapshots the memory of the process, and later
starts environments by restoring that snapshot. Sockets do not survive a restore and credentials
found at init may be stale by then, so:

* **before the snapshot**: finish warming (the client exists, its service model is loaded and its
  endpoint resolved, all of which the snapshot then keeps) and close the client, so no open
  connection is frozen into the snapshot;
* **after the restore**: make a fresh client (with a fresh credential chain when the
  :class:`~dynamorm_async.aws_lambda.LambdaDB` built its own transport), connect and warm it,
  and count the next invocation as a ``"restore"`` start.

The hooks run on the environment's one loop, through the handler runner. The runtime
(``awslambdaric``) calls them when ``AWS_LAMBDA_INITIALIZATION_TYPE`` is ``snap-start``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .db import LambdaDB


def before_snapshot(db: LambdaDB) -> None:
    """The before-snapshot hook: finish warming ``db``, then close its client and connections."""
    db.runner.run(db.prepare_snapshot)


def after_restore(db: LambdaDB) -> None:
    """The after-restore hook: give ``db`` a fresh client (and credentials), connected and warm."""
    db.runner.run(db.resume_after_restore)


def register_snapstart_hooks(db: LambdaDB) -> bool:
    """Register :func:`before_snapshot` and :func:`after_restore` for ``db`` with the runtime.

    Returns ``False``, registering nothing, when ``snapshot-restore-py`` is not installed.
    """
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot
    except ImportError:
        return False
    register_before_snapshot(before_snapshot, db)
    register_after_restore(after_restore, db)
    return True


__all__ = ["after_restore", "before_snapshot", "register_snapstart_hooks"]
