"""Storage keys: every stored file lives under private/<tenant_id>/, with safe segments.

Rule for a segment made from user data (an AS2 ID, a file name): keep ASCII letters, digits,
'.', '-', '_' and '@'; replace every other character (slashes, spaces, control and non-ASCII
characters) with '_'; strip leading dots so '.' and '..' cannot appear; cut to 100 characters;
an empty result becomes '_'.
"""

import re

from serverless_as2.models import Tenant

_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]")
MAX_SEGMENT = 100


def safe_segment(value: str) -> str:
    """A path segment that cannot escape its folder or carry control characters."""
    segment = _UNSAFE.sub("_", value).lstrip(".")[:MAX_SEGMENT]
    return segment or "_"


def tenant_key(tenant: Tenant, *segments: str) -> str:
    """The storage key private/<tenant_id>/<segment>/..., each segment made safe."""
    return "/".join(["private", str(tenant.id), *(safe_segment(s) for s in segments)])


# replaced at merge by the certificates branch's version (same name and shape)
def message_key(
    tenant: Tenant,
    *,
    partner_as2_id: str,
    my_as2_id: str,
    direction: str,
    message_id: str,
    name: str,
) -> str:
    """private/<tenant>/<partner>/<me>/<inbox|outbox>/<message id>/<name>: a message's files."""
    if direction not in ("inbox", "outbox"):
        raise ValueError(f"direction must be inbox or outbox, not {direction!r}")
    return tenant_key(tenant, partner_as2_id, my_as2_id, direction, message_id, name)
