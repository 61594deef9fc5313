"""Validation of AS2 identifiers (RFC 4130 section 6.2: printable ASCII, at most 128)."""

from django.core.exceptions import ValidationError

AS2_ID_MAX_LENGTH = 128


def validate_as2_id(value: str) -> None:
    """An AS2 ID is 1-128 printable ASCII characters with no leading or trailing space."""
    if not value:
        raise ValidationError("An AS2 ID cannot be empty.")
    if len(value) > AS2_ID_MAX_LENGTH:
        raise ValidationError(f"An AS2 ID has at most {AS2_ID_MAX_LENGTH} characters.")
    if value != value.strip(" "):
        raise ValidationError("An AS2 ID cannot start or end with a space.")
    bad = sorted({c for c in value if not 0x20 <= ord(c) <= 0x7E})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        raise ValidationError(f"An AS2 ID may only hold printable ASCII characters; found {shown}.")
