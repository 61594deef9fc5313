"""Who signs, who can read, and what opens an inbound message: keys with their choices."""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from as2.algorithms import ContentCipher, Digest, KeyTransport, Pkcs1v15, SignaturePadding


@dataclass(frozen=True, slots=True)
class Signer:
    """Our signing key, its certificate, and how we sign (digest, RSA padding)."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    digest: Digest = Digest.SHA256
    padding: SignaturePadding = field(default_factory=Pkcs1v15)


@dataclass(frozen=True, slots=True)
class Recipient:
    """The partner's certificate we encrypt for, the content cipher and the key transport."""

    certificate: x509.Certificate
    cipher: ContentCipher = ContentCipher.AES256_CBC
    key_transport: KeyTransport = field(default_factory=Pkcs1v15)


@dataclass(frozen=True, slots=True)
class ReceiverKeys:
    """What opens and checks an inbound message.

    ``key`` and ``certificate``: our key pair, to decrypt. ``partner_certificates``: the only
    certificates whose signatures we accept (the partner's current and earlier ones); None
    trusts the certificate a signature embeds (tests and tools only).
    """

    key: rsa.RSAPrivateKey | None = None
    certificate: x509.Certificate | None = None
    partner_certificates: tuple[x509.Certificate, ...] | None = None
