"""What verify and decrypt return."""

from dataclasses import dataclass, field

from cryptography import x509

from as2.algorithms import ContentCipher, Digest, KeyTransport, SignaturePadding


@dataclass(frozen=True)
class SignatureInfo:
    """What a verified signature tells: digest, signer, padding, and content if encapsulated."""

    digest: Digest
    signer: x509.Certificate
    padding: SignaturePadding | None  # None: an ECDSA signature
    content: bytes | None
    # The signed content's digest, checked against messageDigest (None without signed attributes):
    # the MIC over the same bytes reuses it. Derived, so left out of equality.
    content_digest: bytes | None = field(default=None, compare=False)


@dataclass(frozen=True)
class DecryptedContent:
    """Decrypted bytes and how they were protected."""

    content: bytes
    cipher: ContentCipher
    key_transport: KeyTransport
