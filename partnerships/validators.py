"""Validation of AS2 identifiers: the engine's rule (as2.identifiers), as Django errors."""

from django.core.exceptions import ValidationError

from as2.identifiers import AS2_ID_MAX_LENGTH, InvalidAs2Id, check_as2_id

__all__ = ["AS2_ID_MAX_LENGTH", "validate_as2_id"]


def validate_as2_id(value: str) -> None:
    """An AS2 ID is 1-128 printable ASCII characters with no leading or trailing space."""
    try:
        check_as2_id(value)
    except InvalidAs2Id as error:
        raise ValidationError(str(error)) from None
