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
