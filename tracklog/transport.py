"""HTTP out to partners (messages, async MDNs), guarded against requests to internal addresses.

A partner URL is typed by a user (or, for async MDNs, sent by whoever posts to our endpoint), so
it could point at this machine, the private network or the cloud's metadata service. The host is
resolved once, every address is checked, and the connection goes to the checked address (the
Host header and TLS name stay the URL's), so a DNS answer that changes between the check and the
connection (DNS rebinding) cannot move the request elsewhere.
"""

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings

# Partners' answers are MDNs or short error pages: anything longer is cut (kept: the first part).
MAX_ANSWER_BYTES = 10 * 1024 * 1024
# The cloud metadata services, refused even when private addresses are allowed for labs.
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)


class TransportError(Exception):
    """The partner could not be reached or did not answer in time (str: a sentence)."""

    retry = True  # worth trying again later


class UrlRefused(TransportError):
    """The URL is not one we post to (str: a sentence saying why)."""

    retry = False


@dataclass(frozen=True)
class PartnerAnswer:
    """What the partner's server answered."""

    status: int
    headers: dict[str, str]
    body: bytes

    def first_lines(self, count: int = 5, limit: int = 500) -> str:
        """The start of the answer as text, for the TrackLog."""
        text = self.body[:limit].decode("utf-8", "replace")
        return "\n".join(text.splitlines()[:count])


@dataclass(frozen=True)
class CheckedUrl:
    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]  # every address the host resolved to, all checked

    @property
    def address(self) -> str:
        """The first address to connect to."""
        return self.addresses[0]


def url_check(url: str) -> CheckedUrl:
    """Resolve a partner URL and check its addresses; UrlRefused with a sentence when refused."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UrlRefused(f"The URL {url!r} is not a valid http or https URL.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UrlRefused(f"The URL {url!r} is not an http or https URL.")
    if parts.username or parts.password:
        raise UrlRefused("The partner URL must not carry a user name or password.")
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise TransportError(
            f"The partner's host name {parts.hostname} could not be resolved ({error}); "
            "check the partnership's as2_url."
        ) from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    own = _is_own_endpoint(parts.scheme, parts.hostname, port, parts.path, parts.query)
    refused = [a for a in addresses if not own and not _address_allowed(a)]
    if refused:
        raise UrlRefused(
            f"The partner URL's host {parts.hostname} resolves to {', '.join(refused)}, an "
            "internal address (loopback, private, link-local or metadata) that messages are "
            "never sent to. Use the partner's public AS2 URL."
        )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return CheckedUrl(parts.scheme, parts.hostname, port, path, tuple(addresses))


_ENDPOINT_PATH = re.compile(r"/as2/[0-9a-fA-F-]{36}/")


def _is_own_endpoint(scheme: str, host: str, port: int, path: str, query: str) -> bool:
    """This server's own AS2 endpoint (SELF_BASE_URL + /as2/<tenant>/): the demo's loopback
    partnership posts there. Only that exact path shape, so no other local URL gets through."""
    own = urlsplit(settings.SELF_BASE_URL)
    own_port = own.port or (443 if own.scheme == "https" else 80)
    return (
        (scheme, host.lower(), port) == (own.scheme, (own.hostname or "").lower(), own_port)
        and not query
        and _ENDPOINT_PATH.fullmatch(path) is not None
    )


def _address_allowed(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in METADATA_ADDRESSES:
        return False
    if settings.ALLOW_PRIVATE_PARTNER_URLS:
        return not ip.is_multicast and not ip.is_unspecified
    return ip.is_global and not ip.is_multicast


def partner_post(
    *, url: str, headers: dict[str, str], body: bytes, timeout: float | None = None
) -> PartnerAnswer:
    """POST to a partner URL (checked first); TransportError when it cannot be reached in time."""
    target = url_check(url)
    timeouts = urllib3.Timeout(
        connect=settings.SEND_CONNECT_TIMEOUT_SECONDS,
        read=timeout if timeout is not None else settings.SEND_TIMEOUT_SECONDS,
    )
    default_port = 443 if target.scheme == "https" else 80
    host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
    if ":" in target.host and target.port == default_port:
        host_header = f"[{target.host}]"
    elif ":" in target.host:
        host_header = f"[{target.host}]:{target.port}"
    last: TransportError | None = None
    for address in target.addresses:  # the next checked address when one cannot be reached
        try:
            return _post_to(address, target, timeouts, host_header, headers, body)
        except urllib3.exceptions.NewConnectionError as error:  # a subclass of the timeouts
            last = TransportError(f"The partner at {url} could not be reached: {_reason(error)}.")
        except urllib3.exceptions.ConnectTimeoutError:
            last = TransportError(
                f"The partner at {url} did not accept the connection within "
                f"{timeouts.connect_timeout:g} seconds."
            )
        except urllib3.exceptions.TimeoutError:
            raise TransportError(
                f"The partner at {url} did not answer within {timeouts.read_timeout:g} seconds."
            ) from None
        except urllib3.exceptions.HTTPError as error:
            raise TransportError(
                f"The partner at {url} could not be reached: {_reason(error)}."
            ) from None
    assert last is not None  # noqa: S101 - url_check never returns no address
    raise last


def _post_to(
    address: str,
    target: CheckedUrl,
    timeouts: urllib3.Timeout,
    host_header: str,
    headers: dict[str, str],
    body: bytes,
) -> PartnerAnswer:
    pool: urllib3.HTTPConnectionPool
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address,
            target.port,
            timeout=timeouts,
            retries=False,
            cert_reqs="CERT_REQUIRED",
            assert_hostname=target.host,
            server_hostname=target.host,
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, target.port, timeout=timeouts, retries=False)
    with pool:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Host": host_header, "Content-Length": str(len(body))},
            redirect=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            data = response.read(MAX_ANSWER_BYTES)
        finally:
            response.release_conn()
            response.close()
    return PartnerAnswer(response.status, dict(response.headers.items()), data)


def _reason(error: Exception) -> str:
    text = str(getattr(error, "reason", None) or error)
    if "Connection refused" in text:
        return "the connection was refused (is the partner's AS2 server running?)"
    # urllib3 names its connection object first ("<...HTTPConnection object at 0x…>: …").
    return text.split(">: ", 1)[-1]
