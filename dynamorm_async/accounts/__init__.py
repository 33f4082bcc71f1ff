"""Many partners, each with data in its own AWS account: ``MultiAccountDB`` and its parts.

* :class:`AccountConfig` (``config``): the role, external id and region of one partner, checked
  when made;
* :class:`PartnerCredentials` (``credentials``): STS AssumeRole credentials, cached and refreshed
  before expiry, one refresh at a time;
* :class:`MultiAccountDB` (``multi``): the partner registry, a bounded cache of per-partner
  clients, and ``async with mdb.partner(id) as db:``;
* :func:`current_partner` (``context``): the partner active in the running task
  (:class:`PartnerScopeError` when a scope is misused);
* :class:`PartnerLogFilter` (``observe``): the partner id in log records.
"""

from __future__ import annotations

from .config import AccountConfig
from .context import PartnerScopeError, current_partner
from .credentials import PartnerCredentials
from .multi import MultiAccountDB, PartnerScope
from .observe import PartnerLogFilter

__all__ = [
    "AccountConfig",
    "MultiAccountDB",
    "PartnerCredentials",
    "PartnerLogFilter",
    "PartnerScope",
    "PartnerScopeError",
    "current_partner",
]
