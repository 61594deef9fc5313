"""Login attempts as the rate limit (django-axes) counts them."""

import ipaddress
import logging
from functools import cache
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from django.conf import settings
from django.db.models import QuerySet, Sum
from django.http import HttpRequest

logger = logging.getLogger(__name__)


def login_username(request: HttpRequest, credentials: dict | None) -> str:
    """The e-mail a login attempt names, as users are looked up (case and spaces ignored).

    Counting "A@x.com" and "a@x.com" apart would let each spelling try its own passwords.
    """
    value = (credentials or {}).get("username") or request.POST.get("username") or ""
    return str(value).strip().lower()[:254]


def client_address(request: HttpRequest) -> str:
    """The address a login comes from, as the rate limit counts it.

    REMOTE_ADDR, unless SAS2_PROXY_COUNT proxies of ours stand in front (the one that
    terminates TLS): then the address the outermost of them saw, which it appended to
    X-Forwarded-For. Entries further left are the client's to write, so they are never read;
    an entry that is no IP address (a port appended, "unknown") counts as the proxy's own.
    """
    remote = str(request.META.get("REMOTE_ADDR", ""))
    if not settings.PROXY_COUNT:
        return remote
    forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [hop for hop in forwarded if hop]
    if len(forwarded) < settings.PROXY_COUNT:
        return remote  # not through all our proxies: counted as the last hop that called us
    claimed = forwarded[-settings.PROXY_COUNT]
    return claimed if _ip(claimed) else remote


def _ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _through_an_unnamed_proxy(request: HttpRequest) -> bool:
    """Whether the login was relayed by a proxy SAS2_PROXY_COUNT does not count.

    X-Forwarded-For from a loopback or private address, with no proxy configured: every client
    then seems to come from the proxy, and one address's limit would lock everyone out.
    """
    if settings.PROXY_COUNT or "HTTP_X_FORWARDED_FOR" not in request.META:
        return False
    remote = _ip(str(request.META.get("REMOTE_ADDR", "")))
    return remote is not None and (remote.is_loopback or remote.is_private)


@cache
def _warn_unnamed_proxy() -> None:
    logger.warning(
        "Logins arrive through a proxy (X-Forwarded-For from a private address) but "
        "SAS2_PROXY_COUNT is 0: every client seems to share the proxy's address, so the "
        "per-address login limit is off. Set SAS2_PROXY_COUNT to the number of your proxies."
    )


class LoginLimitHandler(AxesDatabaseHandler):
    """axes' database handler with two limits instead of one.

    AXES_LOCKOUT_PARAMETERS counts failures per e-mail and address, then per address. One
    e-mail from one address is locked at AXES_FAILURE_LIMIT; an address that tries many
    e-mails is locked at the higher LOGIN_ADDRESS_FAILURE_LIMIT, so an office behind one NAT
    is not locked out by a colleague's typos, and a guesser cannot buy a fresh count (and a
    password hash of our CPU) with every e-mail it makes up.
    """

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        # axes compares this one number with AXES_FAILURE_LIMIT: an address past its own limit
        # counts as a locked pair.
        # The querysets come in AXES_LOCKOUT_PARAMETERS' order: e-mail and address, address.
        attempts = self.get_user_attempts(request, credentials)
        per_account = _failures(attempts[0])
        if _through_an_unnamed_proxy(request):
            _warn_unnamed_proxy()
            return per_account
        if _failures(attempts[1]) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            return max(per_account, get_failure_limit(request, credentials))
        return per_account

    def reset_user_attempts(self, request: HttpRequest, credentials: dict | None = None) -> int:
        # A right password resets that e-mail's count only: logging in to one's own account
        # must not wipe the address's count of guesses at the others.
        per_account = self.filter_user_attempts(request, credentials)[0]
        count, _ = per_account.delete()
        return count


def _failures(attempts: QuerySet[Any]) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
