"""The letter's electronic signature: PAdES (PDF Advanced Electronic Signatures, ETSI EN
319 142) with pyHanko, by the office's certificate, so any PDF reader shows who signed and
that nothing changed since. The QR code to the verification page stays on the letter.

Where the certificates come from (`SLRT_SIGNING_DIR`, default `<SLRT_DATA_DIR>/keys/signing`):
one key and certificate per office, `<office>.key.pem` and `<office>.cert.pem`, and the
chain up to the root in `chain.pem` (optional). Production: the office's own, as issued
for its TTE (tanda tangan elektronik) by its certification authority. Development and the
tests: when the directory holds none, a test CA ("SLRT Test CA", never trusted outside)
and a certificate per office are made there on first use, with `cryptography`.
"""

from __future__ import annotations

import io
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

CA_KEY, CA_CERT, CHAIN = "test-ca.key.pem", "test-ca.cert.pem", "chain.pem"
_LOCK = threading.Lock()


@dataclass(frozen=True)
class OfficeCertificate:
    """An office's signing key, its certificate and the chain above it."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]

    def signer(self) -> signers.SimpleSigner:
        der_key = self.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        chain = [
            asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
            for c in self.chain
        ]
        return signers.SimpleSigner(
            signing_cert=asn1_x509.Certificate.load(
                self.certificate.public_bytes(serialization.Encoding.DER)
            ),
            signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
            cert_registry=_store(chain),
        )


def _store(chain: list[asn1_x509.Certificate]) -> SimpleCertificateStore:
    # pyhanko-certvalidator's constructor carries no annotations (the library boundary).
    store: SimpleCertificateStore = SimpleCertificateStore.from_certs(chain)  # type: ignore[no-untyped-call]
    return store


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation[:64]),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]),
        ]
    )


def _pem(path: Path, data: bytes, *, private: bool = False) -> None:
    """Written whole or not at all (another process may be reading the directory)."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.touch(mode=0o600 if private else 0o644)
    partial.write_bytes(data)
    os.replace(partial, path)


def _key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def make_test_ca(directory: Path) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A test certification authority (made once per directory): for development and
    the tests only; nothing outside trusts it."""
    directory.mkdir(parents=True, exist_ok=True)
    key_path, cert_path = directory / CA_KEY, directory / CA_CERT
    if key_path.exists() and cert_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return key, x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = _name("SLRT Test CA", "SLRT (development, not trusted)")
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
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
        .sign(key, hashes.SHA256())
    )
    _pem(key_path, _key_pem(key), private=True)
    _pem(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    _pem(directory / CHAIN, cert.public_bytes(serialization.Encoding.PEM))
    return key, cert


def make_test_office_certificate(directory: Path, office_id: str, office_name: str) -> None:
    """A certificate for the office, issued by the test CA (development and tests)."""
    ca_key, ca_cert = make_test_ca(directory)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(office_name, office_name))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    _pem(directory / f"{office_id}.key.pem", _key_pem(key), private=True)
    _pem(directory / f"{office_id}.cert.pem", cert.public_bytes(serialization.Encoding.PEM))


def load_office_certificate(
    directory: Path, office_id: str, office_name: str, *, make_test: bool
) -> OfficeCertificate:
    """The office's key, certificate and chain from `directory`; with `make_test`, a test
    one is made first when there is none (never in production: the office's own is used)."""
    key_path = directory / f"{office_id}.key.pem"
    cert_path = directory / f"{office_id}.cert.pem"
    with _LOCK:
        if make_test and not (key_path.exists() and cert_path.exists()):
            make_test_office_certificate(directory, office_id, office_name)
    if not (key_path.exists() and cert_path.exists()):
        raise FileNotFoundError(f"no signing key and certificate for {office_id} in {directory}")
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{key_path}: an RSA private key is expected")
    chain_path = directory / CHAIN
    chain = (
        tuple(x509.load_pem_x509_certificates(chain_path.read_bytes()))
        if chain_path.exists()
        else ()
    )
    return OfficeCertificate(key, x509.load_pem_x509_certificate(cert_path.read_bytes()), chain)


async def sign_pdf(
    pdf: bytes, certificate: OfficeCertificate, *, name: str, reason: str, location: str
) -> bytes:
    """`pdf` with an incremental PAdES baseline signature (B-B) by `certificate`."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(
        field_name="TandaTanganElektronik",
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        name=name,
        reason=reason,
        location=location,
    )
    out = await signers.PdfSigner(meta, signer=certificate.signer()).async_sign_pdf(writer)
    signed: bytes = out.getvalue()
    return signed


_CERTIFICATES: dict[tuple[Path, str], OfficeCertificate] = {}


def office_certificate(
    directory: Path, office_id: str, office_name: str, *, make_test: bool
) -> OfficeCertificate:
    """`load_office_certificate`, once per process and office."""
    key = (directory, office_id)
    if key not in _CERTIFICATES:
        _CERTIFICATES[key] = load_office_certificate(
            directory, office_id, office_name, make_test=make_test
        )
    return _CERTIFICATES[key]
