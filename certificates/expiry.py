"""When a certificate expires, in the words and levels the pages and e-mails use.

Warnings come 30, 7 and 1 days ahead, and once more when the certificate has expired (level 0).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

WARNING_DAYS = (30, 7, 1)
EXPIRED = 0
SOON = timedelta(days=WARNING_DAYS[0])


@dataclass(frozen=True)
class Expiry:
    """How close a certificate is to its notAfter date."""

    not_after: datetime
    days_left: int  # whole days; negative once expired
    expired: bool

    @property
    def level(self) -> int | None:
        """The warning level reached: 30, 7, 1, 0 (expired), or None (more than 30 days)."""
        if self.expired:
            return EXPIRED
        reached = [days for days in WARNING_DAYS if self.days_left < days]
        return min(reached) if reached else None

    @property
    def text(self) -> str:
        """'expired', 'expires in N days' under 30 days, else ''."""
        if self.expired:
            return "expired"
        if self.days_left >= WARNING_DAYS[0]:
            return ""
        if self.days_left == 0:
            return "expires today"
        return f"expires in {self.days_left} day{'' if self.days_left == 1 else 's'}"

    @property
    def css(self) -> str:
        """Badge class: red when expired or a week away, yellow within 30 days."""
        if self.level is None:
            return ""
        return "expired" if self.level <= WARNING_DAYS[1] else "expiring"


def expiry_of(not_after: datetime, *, now: datetime | None = None) -> Expiry:
    """The Expiry of a certificate valid until `not_after`, judged at `now`."""
    now = now or timezone.now()
    return Expiry(not_after=not_after, days_left=(not_after - now).days, expired=not_after <= now)
