"""SignedData: sign (detached, DER spliced from cached pieces) and verify (RFC 5652 section 5).

``verify`` tries ``signed_fast`` first; the asn1crypto reader here decides every other shape
and words every error.
"""

import hmac
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache

from asn1crypto import algos, cms, core
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.serialization import Encoding

from as2 import ber
from as2.cms import signed_fast
from as2.cms.algorithms import (
    HASHES,
    PARSE_ERRORS,
    SIGN_ALGORITHMS,
    digest,
    digest_name_of,
    normalise_digest_name,
    pss_padding,
)
from as2.cms.certificates import identifies, issuer_and_serial_der
from as2.cms.content_info import DATA_OID, content_info_der, expect_content
from as2.cms.descriptions import describe, describe_sid
from as2.cms.results import SignatureInfo
from as2.exceptions import (
    IntegrityCheckFailed,
    MalformedMessage,
    SignatureInvalid,
    UnsupportedAlgorithm,
)

_SIGNING_TIME_OID = cms.CMSAttributeType("signing_time").dump()


_MESSAGE_DIGEST_OID = cms.CMSAttributeType("message_digest").dump()


_CONTENT_TYPE_ATTRIBUTE = cms.CMSAttribute({"type": "content_type", "values": ["data"]}).dump()


def sign(
    data: bytes,
    *,
    key: rsa.RSAPrivateKey,
    certificate: x509.Certificate,
    digest_algorithm: str = "sha256",
    pss: bool = False,
    signed_attributes: bool = True,
) -> bytes:
    """Detached CMS SignedData over `data`, DER encoded."""
    name = normalise_digest_name(digest_algorithm)
    if name not in SIGN_ALGORITHMS:
        raise UnsupportedAlgorithm(f"{name.upper()} is accepted on incoming signatures only.")
    if not isinstance(key, rsa.RSAPrivateKey):
        raise UnsupportedAlgorithm("Only RSA keys can sign AS2 messages here.")
    hash_algorithm = HASHES[name]()
    attributes = _signed_attributes(digest(data, name)) if signed_attributes else None
    signature = key.sign(
        data if attributes is None else ber.encode(ber.SET, *attributes),
        pss_padding(hash_algorithm, hash_algorithm.digest_size) if pss else asym_padding.PKCS1v15(),
        hash_algorithm,
    )
    # Spliced from cached DER pieces: asn1crypto object building costs more than the RSA sign.
    digest_algorithm_der = _digest_algorithm_der(name)
    signer_info = [
        b"\x02\x01\x01",
        issuer_and_serial_der(certificate),
        digest_algorithm_der,
        *([] if attributes is None else ber.wrap(ber.CONTEXT_0, attributes)),
        _signature_algorithm_der(name, pss),
        *ber.wrap(ber.OCTET_STRING, [signature]),
    ]
    signed_data = [
        b"\x02\x01\x01",
        *ber.wrap(ber.SET, [digest_algorithm_der]),
        *ber.wrap(ber.SEQUENCE, [DATA_OID]),
        *ber.wrap(ber.CONTEXT_0, [certificate.public_bytes(Encoding.DER)]),
        *ber.wrap(ber.SET, ber.wrap(ber.SEQUENCE, signer_info)),
    ]
    return content_info_der("signed_data", ber.wrap(ber.SEQUENCE, signed_data))


@lru_cache(maxsize=16)
def _digest_algorithm_der(name: str) -> bytes:
    """DER DigestAlgorithmIdentifier, parameters absent (RFC 5754)."""
    return algos.DigestAlgorithm({"algorithm": name}).dump()


@lru_cache(maxsize=16)
def _signature_algorithm_der(name: str, pss: bool) -> bytes:
    """The SignerInfo signatureAlgorithm: rsaEncryption (as openssl writes it) or RSASSA-PSS."""
    if not pss:
        return algos.SignedDigestAlgorithm(
            {"algorithm": "rsassa_pkcs1v15", "parameters": core.Null()}
        ).dump()
    parameters = algos.RSASSAPSSParams(
        {
            "hash_algorithm": {"algorithm": name},
            "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": name}},
            "salt_length": HASHES[name].digest_size,
        }
    )
    return algos.SignedDigestAlgorithm({"algorithm": "rsassa_pss", "parameters": parameters}).dump()


def _signed_attributes(message_digest: bytes) -> list[bytes]:
    """contentType, signingTime and messageDigest (RFC 5652 5.3), sorted as DER's SET OF wants."""
    attributes = [
        _CONTENT_TYPE_ATTRIBUTE,
        _attribute(_SIGNING_TIME_OID, _signing_time(datetime.now(UTC))),
        _attribute(_MESSAGE_DIGEST_OID, ber.encode(ber.OCTET_STRING, message_digest)),
    ]
    return sorted(attributes)


def _attribute(oid_der: bytes, value_der: bytes) -> bytes:
    """DER Attribute with a single value."""
    return ber.encode(ber.SEQUENCE, oid_der, ber.encode(ber.SET, value_der))


def _signing_time(now: datetime) -> bytes:
    """UTCTime until 2049, GeneralizedTime after, as RFC 5652 section 11.3 requires."""
    if now.year < 2050:
        return ber.encode(0x17, now.strftime("%y%m%d%H%M%SZ").encode())
    return ber.encode(0x18, now.strftime("%Y%m%d%H%M%SZ").encode())


def verify(
    signature: bytes,
    data: bytes | None,
    *,
    certificates: list[x509.Certificate] | None = None,
) -> SignatureInfo:
    """Verify a CMS SignedData over `data` (or its encapsulated content when `data` is None).

    When `certificates` is given only those are trusted; otherwise the embedded signer is used.
    """
    if data is not None and certificates:
        verified = signed_fast.verify_plain(signature, data, certificates)
        if verified is not None:
            return verified
    try:
        signed_data = _load_signed_data(signature)
        content = data if data is not None else _encapsulated_content(signed_data)
        errors: list[SignatureInvalid] = []
        for signer_info in signed_data["signer_infos"]:
            try:
                return _verify_signer(signer_info, signed_data, content, certificates, data is None)
            except SignatureInvalid as error:
                errors.append(error)
    except PARSE_ERRORS as error:
        raise MalformedMessage(f"The signature is not a readable CMS structure: {error}") from error
    if not errors:
        raise SignatureInvalid("The signature names no signer.")
    raise errors[0]


def _load_signed_data(signature: bytes) -> cms.SignedData:
    """The SignedData inside a ContentInfo, DER or BER."""
    expect_content(memoryview(signature), "signed-data")
    return cms.ContentInfo.load(signature)["content"]


def _encapsulated_content(signed_data: cms.SignedData) -> bytes:
    """The content carried inside an opaque SignedData."""
    content = signed_data["encap_content_info"]["content"]
    if isinstance(content, core.Void):
        raise MalformedMessage("The signature is detached, but no signed content was supplied.")
    # __bytes__ joins the chunks of a BER constructed OCTET STRING; .contents would not.
    return bytes(content)


def _verify_signer(
    signer_info: cms.SignerInfo,
    signed_data: cms.SignedData,
    content: bytes,
    certificates: list[x509.Certificate] | None,
    encapsulated: bool,
) -> SignatureInfo:
    """Check one SignerInfo against the content; return what it proved."""
    signer = _find_signer(signer_info["sid"], signed_data, certificates)
    digest_name = digest_name_of(signer_info["digest_algorithm"]["algorithm"].native)
    scheme, hash_algorithm, pss = _signature_scheme(signer_info, digest_name)
    attributes = signer_info["signed_attrs"]
    content_digest = None
    if isinstance(attributes, core.Void):
        signed_bytes = content
    else:
        content_digest = _check_signed_attributes(
            attributes, signed_data, content, digest_name, signer
        )
        # The signature covers the DER SET OF the attributes, not their [0] IMPLICIT form.
        signed_bytes = b"\x31" + attributes.dump()[1:]
    try:
        _verify_with(signer, signer_info["signature"].native, signed_bytes, scheme, hash_algorithm)
    except InvalidSignature:
        raise SignatureInvalid(
            f"The signature does not verify with {describe(signer)}: "
            "the signature or the signed attributes were altered."
        ) from None
    content = content if encapsulated else None
    return SignatureInfo(digest_name, signer, pss, content, content_digest)


def _signature_scheme(
    signer_info: cms.SignerInfo, digest_name: str
) -> tuple[asym_padding.AsymmetricPadding | None, hashes.HashAlgorithm, bool]:
    """Padding (None for ECDSA), hash and PSS flag of a SignerInfo's signatureAlgorithm."""
    algorithm = signer_info["signature_algorithm"]
    name = algorithm["algorithm"].native
    if name == "rsassa_pss":
        parameters = algorithm["parameters"]
        hash_algorithm = HASHES[digest_name_of(parameters["hash_algorithm"]["algorithm"].native)]()
        mgf = parameters["mask_gen_algorithm"]
        if mgf["algorithm"].native != "mgf1":
            raise UnsupportedAlgorithm("The RSASSA-PSS signature uses a mask function not MGF1.")
        mgf_hash = HASHES[digest_name_of(mgf["parameters"]["algorithm"].native)]()
        padding_scheme = asym_padding.PSS(
            mgf=asym_padding.MGF1(mgf_hash), salt_length=parameters["salt_length"].native
        )
        return padding_scheme, hash_algorithm, True
    if name == "rsassa_pkcs1v15":
        return asym_padding.PKCS1v15(), HASHES[digest_name](), False
    prefix, _, kind = name.partition("_")
    if kind in ("rsa", "ecdsa") and prefix in HASHES:
        scheme = asym_padding.PKCS1v15() if kind == "rsa" else None
        return scheme, HASHES[prefix](), False
    if name == "ecdsa":
        return None, HASHES[digest_name](), False
    raise UnsupportedAlgorithm(f"The signature algorithm {name} is not supported.")


def _verify_with(
    signer: x509.Certificate,
    signature: bytes,
    signed_bytes: bytes,
    scheme: asym_padding.AsymmetricPadding | None,
    hash_algorithm: hashes.HashAlgorithm,
) -> None:
    """Verify with the signer's public key; raises InvalidSignature."""
    public_key = signer.public_key()
    if isinstance(public_key, rsa.RSAPublicKey) and scheme is not None:
        public_key.verify(signature, signed_bytes, scheme, hash_algorithm)
    elif isinstance(public_key, ec.EllipticCurvePublicKey) and scheme is None:
        public_key.verify(signature, signed_bytes, ec.ECDSA(hash_algorithm))
    else:
        raise SignatureInvalid(
            f"The signature algorithm does not fit the key of {describe(signer)}."
        )


def _check_signed_attributes(
    attributes: cms.CMSAttributes,
    signed_data: cms.SignedData,
    content: bytes,
    digest_name: str,
    signer: x509.Certificate,
) -> bytes:
    """messageDigest must match the content (returned); contentType the encapsulated type."""
    values = {attribute["type"].native: attribute["values"] for attribute in attributes}
    if "message_digest" not in values:
        raise SignatureInvalid("The signature has signed attributes but no message digest.")
    expected = values["message_digest"][0].native
    if not hmac.compare_digest(expected, digest(content, digest_name)):
        raise IntegrityCheckFailed(
            f"The content does not match its signature by {describe(signer)}: "
            f"its {digest_name.upper()} digest differs, so it was altered after signing."
        )
    content_type = values.get("content_type")
    encapsulated = signed_data["encap_content_info"]["content_type"].native
    if content_type is not None and content_type[0].native != encapsulated:
        raise SignatureInvalid("The signed content type differs from the encapsulated one.")
    return expected


def _find_signer(
    sid: cms.SignerIdentifier,
    signed_data: cms.SignedData,
    certificates: list[x509.Certificate] | None,
) -> x509.Certificate:
    """The certificate a SignerIdentifier names, among trusted (or else embedded) certificates."""
    for certificate in certificates or ():
        if identifies(sid, certificate):
            return certificate
    embedded = [c for c in _embedded_certificates(signed_data) if identifies(sid, c)]
    if certificates is not None:
        claimed = describe(embedded[0]) if embedded else describe_sid(sid)
        expected = " or ".join(describe(certificate) for certificate in certificates)
        raise SignatureInvalid(
            f"The message was signed with {claimed}; "
            f"the partnership expects {expected or 'a certificate, but none is configured'}."
        )
    if not embedded:
        raise SignatureInvalid(
            f"The message was signed with {describe_sid(sid)}, which is neither included "
            "in the signature nor configured for the partnership."
        )
    return embedded[0]


def _embedded_certificates(signed_data: cms.SignedData) -> Iterator[x509.Certificate]:
    """The X.509 certificates carried in a SignedData."""
    choices = signed_data["certificates"]
    if isinstance(choices, core.Void):
        return
    for choice in choices:
        if choice.name == "certificate":
            yield x509.load_der_x509_certificate(choice.chosen.dump())
