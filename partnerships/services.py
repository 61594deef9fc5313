"""Writes to instances, partners and partnerships that need more than a form's save."""

from django.db import models, transaction
from django.db.models.deletion import ProtectedError


class DeleteRefused(Exception):
    """A row is still used by others; str() says by what."""


@transaction.atomic
def row_delete(*, row: models.Model, label: str) -> None:
    """Delete a row, or refuse with a sentence naming what still depends on it."""
    try:
        row.delete()
    except ProtectedError as error:
        dependants = sorted({str(obj) for obj in error.protected_objects})
        shown = ", ".join(dependants[:5]) + (" …" if len(dependants) > 5 else "")
        raise DeleteRefused(
            f"{label} cannot be deleted while {len(dependants)} other record(s) use it "
            f"({shown}). Delete those first."
        ) from None
