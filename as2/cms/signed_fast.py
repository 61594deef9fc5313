"""The common signature read with ber.py: one RSA PKCS#1 v1.5 signer over detached id-data.

Nearly every signature has this shape; reading it without asn1crypto saves about 0.14 ms per
verify. The result is the same ``SignedDataView`` the asn1crypto reader (``signed_read``)
makes, checked by the same code in ``signed``; any other shape, and any identifier that is not
byte for byte one of the trusted certificates, gives None and the asn1crypto reader reads it.
Algorithms and attribute types are matched by their exact DER, so a match means asn1crypto
reads the same value (tests/as2/test_cms_readers.py compares the two on mutated signatures).
"""

from asn1crypto import algos, cms
from cryptography import x509

from as2 import ber
from as2.algorithms import Digest
from as2.cms.algorithms import algorithm_encodings
from as2.cms.certificates import (
    Identifier,
    identifier_for,
    issuer_and_serial_der,
    key_identifier,
    subject_key_identifier,
)
from as2.cms.content_info import DATA_OID, SIGNED_DATA_OID
from as2.cms.signed_read import DATA, SignedAttribute, SignedDataView, SignerView
from as2.exceptions import As2Error

_DIGEST_ALGORITHMS_BY_DER = algorithm_encodings(algos.DigestAlgorithmId, [d.value for d in Digest])
_RSA_SIGNATURE_ALGORITHMS_BY_DER = algorithm_encodings(
    algos.SignedDigestAlgorithmId, ["rsassa_pkcs1v15", *(f"{d.value}_rsa" for d in Digest)]
)
# asn1crypto names attributes by OID, and reads a non-minimal OID encoding as the same name:
# only these exact encodings are taken here, so none can stand in for messageDigest unseen.
# Each with the tags its values may have, as asn1crypto's spec for it accepts them.
_ATTRIBUTE_TYPES_BY_DER = {
    cms.CMSAttributeType(name).dump(): (cms.CMSAttributeType(name).dotted, tags)
    for name, tags in (
        ("content_type", {ber.OID}),
        ("message_digest", {ber.OCTET_STRING}),
        ("signing_time", {0x17, 0x18}),  # UTCTime, GeneralizedTime
        ("smime_capabilities", {ber.SEQUENCE}),
        ("cms_algorithm_protection", {ber.SEQUENCE}),
    )
}
_SIGNER_INFO_LAYOUTS = {
    (ber.INTEGER, sid, ber.SEQUENCE, *attributes, ber.SEQUENCE, ber.OCTET_STRING, *unsigned)
    for sid in (ber.SEQUENCE, ber.CONTEXT_0_PRIMITIVE)
    for attributes in ((), (ber.CONTEXT_0,))
    for unsigned in ((), (ber.CONTEXT_1,))
}
_SIGNED_DATA_LAYOUTS = {
    (ber.INTEGER, ber.SET, ber.SEQUENCE, *optional, ber.SET)
    for optional in ((), (ber.CONTEXT_0,), (ber.CONTEXT_1,), (ber.CONTEXT_0, ber.CONTEXT_1))
}


def read_common_signed_data(
    signature: bytes, certificates: list[x509.Certificate]
) -> SignedDataView | None:
    """The view of a detached id-data SignedData with one RSA PKCS#1 v1.5 SignerInfo that
    names one of `certificates` byte for byte; None for any other shape."""
    buf = memoryview(signature)
    try:
        return _read(buf, certificates)
    except As2Error:  # ber.py found the bytes malformed: the asn1crypto reader words it
        return None


def _read(buf: memoryview, certificates: list[x509.Certificate]) -> SignedDataView | None:
    top = ber.read(buf, 0)
    content_info = ber.children_tagged(buf, top, ber.OID, ber.CONTEXT_0)
    if (
        top.tag != ber.SEQUENCE
        or content_info is None
        or ber.contents(buf, content_info[0]) != SIGNED_DATA_OID
    ):
        return None
    signed_data = ber.children_tagged(buf, content_info[1], ber.SEQUENCE)
    items = None if signed_data is None else list(ber.children(buf, signed_data[0]))
    if items is None or tuple(item.tag for item in items) not in _SIGNED_DATA_LAYOUTS:
        return None
    encapsulated = ber.children_tagged(buf, items[2], ber.OID)
    signer_infos = ber.children_tagged(buf, items[-1], ber.SEQUENCE)
    if encapsulated is None or ber.raw(buf, encapsulated[0]) != DATA_OID or signer_infos is None:
        return None
    signer = _read_signer(buf, signer_infos[0], certificates)
    if signer is None:
        return None
    embedded = [] if items[3].tag != ber.CONTEXT_0 else list(ber.children(buf, items[3]))
    if any(choice.tag != ber.SEQUENCE for choice in embedded):
        return None  # attribute certificates or garbage: the asn1crypto reader judges them
    return SignedDataView(
        content_type=DATA,
        content=None,
        certificates=tuple(ber.raw(buf, certificate) for certificate in embedded),
        signers=(signer,),
    )


def _read_signer(
    buf: memoryview, signer_info: ber.Element, certificates: list[x509.Certificate]
) -> SignerView | None:
    fields = list(ber.children(buf, signer_info))
    if tuple(field.tag for field in fields) not in _SIGNER_INFO_LAYOUTS:
        return None
    attributes = fields.pop(3) if fields[3].tag == ber.CONTEXT_0 else None
    digest_name = _DIGEST_ALGORITHMS_BY_DER.get(ber.raw(buf, fields[2]))
    algorithm = _RSA_SIGNATURE_ALGORITHMS_BY_DER.get(ber.raw(buf, fields[3]))
    identifier = _identifier(buf, fields[1], certificates)
    if digest_name is None or algorithm is None or identifier is None:
        return None
    signed_attributes = None if attributes is None else _read_attributes(buf, attributes)
    if attributes is not None and signed_attributes is None:
        return None
    return SignerView(
        identifier=identifier,
        digest_algorithm=digest_name,
        signature_algorithm=algorithm,
        pss=None,
        attributes=signed_attributes,
        attributes_der=None if attributes is None else b"\x31" + ber.raw(buf, attributes)[1:],
        signature=ber.contents(buf, fields[4]),
    )


def _read_attributes(
    buf: memoryview, attributes: ber.Element
) -> tuple[SignedAttribute, ...] | None:
    """Signed attributes of well-known types with values of the expected tags; None otherwise."""
    found = []
    for attribute in ber.children(buf, attributes):
        parts = ber.children_tagged(buf, attribute, ber.OID, ber.SET)
        known = None if parts is None else _ATTRIBUTE_TYPES_BY_DER.get(ber.raw(buf, parts[0]))
        if attribute.tag != ber.SEQUENCE or parts is None or known is None:
            return None
        oid, tags = known
        values = list(ber.children(buf, parts[1]))
        if any(value.tag not in tags for value in values):
            return None
        found.append((oid, tuple(ber.raw(buf, value) for value in values)))
    return tuple(found)


def _identifier(
    buf: memoryview, sid: ber.Element, certificates: list[x509.Certificate]
) -> Identifier | None:
    """The identifier, when it names one of `certificates` by its exact bytes; None otherwise
    (deciding then needs asn1crypto's normalising name comparison)."""
    for certificate in certificates:
        if sid.tag == ber.CONTEXT_0_PRIMITIVE:
            if ber.contents(buf, sid) == subject_key_identifier(certificate):
                return key_identifier(subject_key_identifier(certificate))
        elif ber.raw(buf, sid) == issuer_and_serial_der(certificate):
            return identifier_for(certificate)
    return None
