"""The partner id in log records.

:class:`PartnerLogFilter` adds ``record.partner`` to log records, so a formatter can print
``%(partner)s``: attach it to a handler and every record emitted while a partner is active (the
library's, botocore's, the application's) names it.

X-Ray needs nothing here: every partner transport carries the Lambda layer's ``xray_hook``, so
once ``enable_xray_tracing()`` is on, each call's subsegment is annotated with ``partner``.
"""

from __future__ import annotations

import logging

from .context import PartnerScopeError, current_partner


class PartnerLogFilter(logging.Filter):
    """Sets ``record.partner`` to the active partner id (``"-"`` outside any partner); passes all records.

    Where no single partner can be named (see :class:`~dynamorm_async.accounts.context.PartnerScopeError`)
    it is ``"?"``: logging never raises.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "partner"):
            try:
                record.partner = current_partner() or "-"
            except PartnerScopeError:
                record.partner = "?"
        return True


__all__ = ["PartnerLogFilter"]
