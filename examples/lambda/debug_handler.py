"""The example handler plus one debug answer, for ``run_local.py`` and the tests (not deployed).

``{"debug": "stats"}`` returns the library's process-wide counters (event loops and DynamoDB
clients created, invocations, cold starts, timeouts), so a caller can check from outside that
every warm invocation reused the one loop and the one client. Any other event goes to the API.
"""

from __future__ import annotations

from typing import Any

from handler import handler as api_handler

from dynamorm_async.aws_lambda import runtime_stats


def handler(event: Any, context: Any) -> Any:
    """Answer ``{"debug": "stats"}`` with the counters; hand anything else to the orders API."""
    if isinstance(event, dict) and event.get("debug") == "stats":
        return runtime_stats()
    return api_handler(event, context)
