"""A loopback HTTP proxy in front of moto that records STS and DynamoDB requests and can refuse some.

Every request is forwarded to moto unchanged and recorded: for STS the form parameters (so a
test can see the ``ExternalId`` and ``RoleSessionName`` sent, and count ``AssumeRole`` calls),
for DynamoDB the operation and the access key that signed it. AssumeRole answers are read to
learn which access key belongs to which role and when it expires.

Two refusals moto cannot produce itself are answered by the proxy, without forwarding:

* ``deny_roles``: AssumeRole into these role ARNs gets STS's ``AccessDenied`` (HTTP 403);
* ``expired_keys`` / ``expired_roles``: DynamoDB requests signed with these access keys (or with
  any key issued for these roles) get ``ExpiredTokenException`` (HTTP 400), as AWS answers a
  request signed with an expired session token.

and one it makes of moto's answer: for AssumeRole into ``stale_roles`` the ``Expiration`` is moved
an hour into the past, as a client whose clock runs an hour or more ahead sees it.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]+/[^/]+/([^/]+)/")
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "date", "server"})


def _xml_field(xml: str, name: str) -> str | None:
    found = re.search(rf"<{name}>([^<]*)</{name}>", xml)
    return found.group(1) if found else None


def _expire(xml: bytes) -> bytes:
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return re.sub(rb"<Expiration>[^<]*</Expiration>", f"<Expiration>{past}</Expiration>".encode(), xml)


@dataclass(frozen=True)
class Record:
    """One request as the proxy saw it."""

    service: str  # "sts" or "dynamodb"
    action: str  # "AssumeRole", "GetItem", ...
    access_key: str | None
    at: dt.datetime
    params: dict[str, str]  # STS form parameters; empty for DynamoDB
    status: int


@dataclass(frozen=True)
class Issued:
    """Credentials moto issued through AssumeRole."""

    role_arn: str
    access_key: str
    secret_key: str
    token: str
    expiration: dt.datetime


class RecordingProxy:
    """Start with :meth:`start`, point clients at :attr:`url`, read :attr:`records`."""

    def __init__(self, upstream_url: str) -> None:
        parts = urlsplit(upstream_url)
        assert parts.hostname and parts.port
        self.upstream = (parts.hostname, parts.port)
        self.records: list[Record] = []
        self.issued: dict[str, Issued] = {}
        self.deny_roles: set[str] = set()
        self.expired_keys: set[str] = set()
        self.expired_roles: set[str] = set()
        self.stale_roles: set[str] = set()
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> RecordingProxy:
        handler = type("Handler", (_Handler,), {"proxy": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # ------------------------------------------------------------------ queries
    def assume_role_calls(self, role_arn: str | None = None) -> list[dict[str, str]]:
        """Parameters of every AssumeRole request (into ``role_arn`` if given), in arrival order."""
        with self.lock:
            return [
                r.params
                for r in self.records
                if r.action == "AssumeRole" and (role_arn is None or r.params.get("RoleArn") == role_arn)
            ]

    def dynamodb_records(self, role_arn: str | None = None) -> list[Record]:
        """DynamoDB requests (signed with keys issued for ``role_arn`` if given)."""
        with self.lock:
            return [
                r
                for r in self.records
                if r.service == "dynamodb"
                and (
                    role_arn is None
                    or (r.access_key in self.issued and self.issued[r.access_key].role_arn == role_arn)
                )
            ]

    def issued_for(self, role_arn: str) -> list[Issued]:
        with self.lock:
            return [i for i in self.issued.values() if i.role_arn == role_arn]


class _Handler(BaseHTTPRequestHandler):
    proxy: RecordingProxy
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        proxy = self.proxy
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        found = _CREDENTIAL.search(self.headers.get("Authorization", ""))
        access_key, service = (found.group(1), found.group(2)) if found else (None, "unknown")
        params: dict[str, str] = {}
        if service == "sts":
            params = dict(parse_qsl(body.decode()))
            action = params.get("Action", "")
        else:
            action = self.headers.get("X-Amz-Target", "").rpartition(".")[2]

        refusal = self._refusal(service, action, params, access_key)
        if refusal is not None:
            status, content_type, payload = refusal
            headers: list[tuple[str, str]] = [("Content-Type", content_type)]
        else:
            status, headers, payload = self._forward(body)
            if service == "sts" and action == "AssumeRole" and status == 200:
                with proxy.lock:
                    stale = params["RoleArn"] in proxy.stale_roles
                if stale:
                    payload = _expire(payload)
                self._learn(params["RoleArn"], payload.decode())
        with proxy.lock:
            proxy.records.append(Record(service, action, access_key, dt.datetime.now(dt.UTC), params, status))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _refusal(
        self, service: str, action: str, params: dict[str, str], access_key: str | None
    ) -> tuple[int, str, bytes] | None:
        proxy = self.proxy
        with proxy.lock:
            if service == "sts" and action == "AssumeRole" and params.get("RoleArn") in proxy.deny_roles:
                message = (
                    "User: arn:aws:iam::123456789012:user/function is not authorized to perform: "
                    f"sts:AssumeRole on resource: {params['RoleArn']}"
                )
                xml = (
                    '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
                    f"<Type>Sender</Type><Code>AccessDenied</Code><Message>{message}</Message></Error>"
                    "<RequestId>4f6a5c7e-0000-4000-8000-000000000001</RequestId></ErrorResponse>"
                )
                return 403, "text/xml", xml.encode()
            issued = proxy.issued.get(access_key or "")
            if service == "dynamodb" and (
                access_key in proxy.expired_keys
                or (issued is not None and issued.role_arn in proxy.expired_roles)
            ):
                error = {
                    "__type": "com.amazon.coral.service#ExpiredTokenException",
                    "message": "The security token included in the request is expired",
                }
                return 400, "application/x-amz-json-1.0", json.dumps(error).encode()
        return None

    def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(*self.proxy.upstream, timeout=30)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            conn.request("POST", self.path, body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP]
            return response.status, kept, payload
        finally:
            conn.close()

    def _learn(self, role_arn: str, xml: str) -> None:
        access_key = _xml_field(xml, "AccessKeyId")
        secret_key = _xml_field(xml, "SecretAccessKey")
        token = _xml_field(xml, "SessionToken")
        expiration = _xml_field(xml, "Expiration")
        assert access_key and secret_key and token and expiration, xml
        issued = Issued(
            role_arn,
            access_key,
            secret_key,
            token,
            dt.datetime.fromisoformat(expiration.replace("Z", "+00:00")),
        )
        with self.proxy.lock:
            self.proxy.issued[access_key] = issued
