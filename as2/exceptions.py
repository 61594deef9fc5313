"""Errors raised by the AS2 engine; each maps to one MDN disposition modifier."""


class As2Error(Exception):
    """Base of every error the AS2 engine raises."""

    # The disposition modifier an MDN reports for this error (RFC 4130 section 7.5.3).
    disposition: str = "unexpected-processing-error"


class MalformedMessage(As2Error):
    """The bytes are not the structure they claim to be."""


class DecryptionFailed(As2Error):
    """The message could not be decrypted with our key."""

    disposition = "decryption-failed"


class SignatureInvalid(As2Error):
    """The signature does not verify, or was made by a certificate we do not trust."""

    disposition = "authentication-failed"


class IntegrityCheckFailed(SignatureInvalid):
    """The signed content differs from what was signed (message digest mismatch)."""

    disposition = "integrity-check-failed"


class DecompressionFailed(As2Error):
    """The compressed content could not be decompressed, or is too large."""

    disposition = "decompression-failed"


class InsufficientSecurity(As2Error):
    """The message lacks the signature or encryption the partnership requires."""

    disposition = "insufficient-message-security"


class UnsupportedAlgorithm(As2Error):
    """The message uses an algorithm this engine does not implement."""

    # RFC 4130 has no dedicated "error:" modifier for this case; a processing error is honest.
    disposition = "unexpected-processing-error"


class UnknownPartner(As2Error):
    """The AS2-From / AS2-To pair matches no configured partnership."""

    disposition = "unknown-trading-partner"


class MdnInvalid(As2Error):
    """A received MDN could not be parsed or does not match the message it answers."""
