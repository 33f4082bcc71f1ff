"""A lean DynamoDB transport on the standard library alone: the cold-start path.

It speaks DynamoDB's JSON 1.0 protocol with SigV4 over HTTP/1.1 keep-alive (asyncio streams, TLS
verified), and imports none of aiobotocore, botocore, aiohttp or anyio. See
:class:`LeanTransport` for the call contract, :mod:`.errors` for what it raises and
:func:`lean_completeness` for when it can stand in for the aiobotocore transport. :mod:`.sts`
sends STS AssumeRole (the Query protocol) the same way, for partner accounts.
"""

from __future__ import annotations

from .credentials import Credentials, CredentialsProvider, RefreshingCredentials
from .endpoints import resolve_endpoint
from .environment import Completeness, lean_completeness
from .errors import (
    LeanChecksumError,
    LeanConfigurationError,
    LeanConnectionError,
    LeanCredentialsError,
    LeanError,
    LeanServiceError,
)
from .transport import LeanTransport

__all__ = [
    "Completeness",
    "Credentials",
    "CredentialsProvider",
    "LeanChecksumError",
    "LeanConfigurationError",
    "LeanConnectionError",
    "LeanCredentialsError",
    "LeanError",
    "LeanServiceError",
    "LeanTransport",
    "RefreshingCredentials",
    "lean_completeness",
    "resolve_endpoint",
]
