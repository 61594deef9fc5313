"""The ContentInfo wrapper around every CMS structure: its content type and content."""

from asn1crypto import cms

from as2 import ber
from as2.exceptions import MalformedMessage

_CONTENT_TYPE_NAMES = {
    "signed_data": "signed-data",
    "enveloped_data": "enveloped-data",
    "authenticated_enveloped_data": "authenticated-enveloped-data",
    "compressed_data": "compressed-data",
}

CONTENT_TYPES_BY_DER = {
    cms.ContentType(oid_name).contents: name for oid_name, name in _CONTENT_TYPE_NAMES.items()
}

DATA_OID = cms.ContentType("data").dump()

SIGNED_DATA_OID = cms.ContentType("signed_data").contents


def content_type_of(data: bytes) -> str:
    """Name of the CMS content type of a ContentInfo: "signed-data", "enveloped-data", ..."""
    buf = memoryview(data)
    oid, _ = read_content_info(buf)
    name = CONTENT_TYPES_BY_DER.get(ber.contents(buf, oid))
    if name is None:
        raise MalformedMessage("The CMS content is of a type AS2 does not use.")
    return name


def read_content_info(buf: memoryview) -> tuple[ber.Element, ber.Element]:
    """The content type OID and the content (inside its [0] wrapper) of a ContentInfo."""
    if not buf:
        raise MalformedMessage("The CMS content is empty.")
    top = ber.read(buf, 0)
    if top.tag != ber.SEQUENCE:
        raise MalformedMessage("The data is not a CMS structure (no ContentInfo sequence).")
    items = ber.children(buf, top)
    oid = next(items, None)
    wrapper = next(items, None)
    if oid is None or oid.tag != ber.OID or wrapper is None or wrapper.tag != ber.CONTEXT_0:
        raise MalformedMessage("The data is not a CMS structure (malformed ContentInfo).")
    return oid, ber.first_child(buf, wrapper)


def expect_content(buf: memoryview, wanted: str) -> ber.Element:
    """The inner structure of a ContentInfo that must be of content type `wanted`."""
    oid, content = read_content_info(buf)
    found = CONTENT_TYPES_BY_DER.get(ber.contents(buf, oid), "an unknown type")
    if found != wanted:
        raise MalformedMessage(f"The CMS content is {found}, where {wanted} was expected.")
    if content.tag != ber.SEQUENCE:
        raise MalformedMessage(f"The {wanted} structure is not a sequence.")
    return content


def content_info_der(content_type: str, content: list[bytes]) -> bytes:
    """Join a ContentInfo around already-encoded content parts (copied once)."""
    oid = cms.ContentType(content_type).dump()
    return b"".join(ber.wrap(ber.SEQUENCE, [oid, *ber.wrap(ber.CONTEXT_0, content)]))
