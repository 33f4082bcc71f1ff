"""TLS on the lean transport against a loopback TLS server with a CA made for the test: a valid
certificate works; a wrong host name or an unknown CA is refused before anything is sent."""

from __future__ import annotations

import datetime
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from dynamorm_async.transport.lean import Credentials, LeanConnectionError, LeanTransport
from dynamorm_async.transport.lean.http import tls_context

from .scripted_server import Request, ScriptedServer, answer

pytestmark = pytest.mark.anyio


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_ca(common: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common))
        .issuer_name(_name(common))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def write_pem(path: Path, cert: x509.Certificate) -> str:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(path)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A test CA, a server certificate for ``localhost`` only, and an unrelated CA."""
    folder = tmp_path_factory.mktemp("pki")
    ca_key, ca_cert = make_ca("lean test CA")
    _, other_ca = make_ca("some other CA")
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key_path = folder / "server.key"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return {
        "ca": write_pem(folder / "ca.pem", ca_cert),
        "other_ca": write_pem(folder / "other.pem", other_ca),
        "cert": write_pem(folder / "server.pem", server_cert),
        "key": str(key_path),
    }


def server_context(pki: dict[str, str]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki["cert"], pki["key"])
    return context


async def ok(request: Request) -> bytes:
    return answer(body={"Item": {"pk": {"S": "tls"}}})


CREDENTIALS = Credentials("AKIDEXAMPLE", "secret")
KEY = {"TableName": "t", "Key": {"pk": {"S": "tls"}}}


def lean(url: str, ca: str | None) -> LeanTransport:
    environ = {"AWS_CA_BUNDLE": ca} if ca else {}
    return LeanTransport(endpoint_url=url, region="us-east-1", credentials=CREDENTIALS, environ=environ)


async def test_valid_certificate_is_accepted(pki: dict[str, str]) -> None:
    async with ScriptedServer(ok, ssl=server_context(pki)) as server:
        port = server.url.rsplit(":", 1)[1]
        transport = lean(f"https://localhost:{port}", pki["ca"])
        assert (await transport.call("GetItem", KEY))["Item"] == {"pk": {"S": "tls"}}
        assert (await transport.call("GetItem", KEY))["Item"] == {"pk": {"S": "tls"}}
        assert transport.pool.connections_made == 1
        assert len(server.requests) == 2
        await transport.close()


@pytest.mark.parametrize("case", ["wrong_host", "unknown_ca", "system_store"])
async def test_bad_certificates_are_refused(pki: dict[str, str], case: str) -> None:
    async with ScriptedServer(ok, ssl=server_context(pki)) as server:
        port = server.url.rsplit(":", 1)[1]
        host, ca = {
            "wrong_host": ("127.0.0.1", pki["ca"]),  # the certificate names localhost only
            "unknown_ca": ("localhost", pki["other_ca"]),
            "system_store": ("localhost", None),
        }[case]
        transport = lean(f"https://{host}:{port}", ca)
        with pytest.raises(LeanConnectionError) as info:
            await transport.call("GetItem", KEY)
        assert isinstance(info.value.cause, ssl.SSLCertVerificationError)
        assert info.value.request_sent is False
        assert server.requests == []


def test_tls_context_is_made_once_per_bundle(pki: dict[str, str]) -> None:
    first = tls_context(pki["ca"])
    assert tls_context(pki["ca"]) is first
    assert first.check_hostname is True
    assert first.verify_mode == ssl.CERT_REQUIRED
    assert tls_context(pki["other_ca"]) is not first
