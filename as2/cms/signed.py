"""SignedData: sign (detached, DER spliced from cached pieces) and verify (RFC 5652 section 5).

``verify`` tries ``signed_fast`` first; the asn1crypto reader here decides every other shape
and words every error.
"""

import hmac
from datetime import UTC, datetime
from functools import lru_cache

from asn1crypto import algos, cms, core
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.exceptions import UnsupportedAlgorithm as UnsupportedKeyType
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.serialization import Encoding

from as2 import ber
from as2.algorithms import Digest, Pkcs1v15, Pss, SignaturePadding
from as2.cms import signed_fast
from as2.cms.algorithms import der_of, digest, digest_of_oid
from as2.cms.certificates import Identifier, identifies, issuer_and_serial_der
from as2.cms.content_info import DATA_OID, content_info_der
from as2.cms.descriptions import describe
from as2.cms.results import SignatureInfo
from as2.cms.signed_read import (
    PssParameters,
    SignedDataView,
    SignerView,
    message_digest_of,
    read_signed_data,
)
from as2.credentials import Signer
from as2.exceptions import (
    IntegrityCheckFailed,
    MalformedMessage,
    SignatureInvalid,
    UnsupportedAlgorithm,
)

_SIGNING_TIME_OID = cms.CMSAttributeType("signing_time").dump()

_MESSAGE_DIGEST_OID = cms.CMSAttributeType("message_digest").dump()

_CONTENT_TYPE_ATTRIBUTE = cms.CMSAttribute({"type": "content_type", "values": ["data"]}).dump()


def sign(data: bytes, signer: Signer, *, signed_attributes: bool = True) -> bytes:
    """Detached CMS SignedData over `data` by `signer`, DER encoded."""
    if not signer.digest.can_sign:
        raise UnsupportedAlgorithm(
            f"{signer.digest.micalg.upper()} is accepted on incoming signatures only."
        )
    if not isinstance(signer.key, rsa.RSAPrivateKey):
        raise UnsupportedAlgorithm("Only RSA keys can sign AS2 messages here.")
    hash_algorithm = signer.digest.hash_algorithm()
    pss = isinstance(signer.padding, Pss)
    attributes = _signed_attributes(digest(data, signer.digest)) if signed_attributes else None
    signature = signer.key.sign(
        data if attributes is None else ber.encode(ber.SET, *attributes),
        asym_padding.PSS(asym_padding.MGF1(hash_algorithm), hash_algorithm.digest_size)
        if pss
        else asym_padding.PKCS1v15(),
        hash_algorithm,
    )
    # Spliced from cached DER pieces: asn1crypto object building costs more than the RSA sign.
    digest_algorithm_der = _digest_algorithm_der(signer.digest)
    signer_info = [
        b"\x02\x01\x01",
        issuer_and_serial_der(signer.certificate),
        digest_algorithm_der,
        *([] if attributes is None else ber.wrap(ber.CONTEXT_0, attributes)),
        _signature_algorithm_der(signer.digest, pss),
        *ber.wrap(ber.OCTET_STRING, [signature]),
    ]
    signed_data = [
        b"\x02\x01\x01",
        *ber.wrap(ber.SET, [digest_algorithm_der]),
        *ber.wrap(ber.SEQUENCE, [DATA_OID]),
        *ber.wrap(ber.CONTEXT_0, [signer.certificate.public_bytes(Encoding.DER)]),
        *ber.wrap(ber.SET, ber.wrap(ber.SEQUENCE, signer_info)),
    ]
    return content_info_der("signed_data", ber.wrap(ber.SEQUENCE, signed_data))


@lru_cache(maxsize=16)
def _digest_algorithm_der(name: Digest) -> bytes:
    """DER DigestAlgorithmIdentifier, parameters absent (RFC 5754)."""
    return der_of(algos.DigestAlgorithm({"algorithm": name.value}))


@lru_cache(maxsize=16)
def _signature_algorithm_der(name: Digest, pss: bool) -> bytes:
    """The SignerInfo signatureAlgorithm: rsaEncryption (as openssl writes it) or RSASSA-PSS."""
    if not pss:
        return der_of(
            algos.SignedDigestAlgorithm({"algorithm": "rsassa_pkcs1v15", "parameters": core.Null()})
        )
    parameters = algos.RSASSAPSSParams(
        {
            "hash_algorithm": {"algorithm": name.value},
            "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": name.value}},
            "salt_length": name.hash_algorithm().digest_size,
        }
    )
    return der_of(
        algos.SignedDigestAlgorithm({"algorithm": "rsassa_pss", "parameters": parameters})
    )


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
    data: bytes | memoryview | None,
    *,
    certificates: list[x509.Certificate] | None = None,
) -> SignatureInfo:
    """Verify a CMS SignedData over `data` (or its encapsulated content when `data` is None).

    When `certificates` is given only those are trusted; otherwise the embedded signer is used.
    """
    view = None
    if data is not None and certificates:
        view = signed_fast.read_common_signed_data(signature, certificates)
    if view is None:
        view = read_signed_data(signature)
    content = data if data is not None else view.content
    if content is None:
        raise MalformedMessage("The signature is detached, but no signed content was supplied.")
    errors: list[SignatureInvalid] = []
    for signer in view.signers:
        try:
            return _verify_signer(signer, view, content, certificates, data is None)
        except SignatureInvalid as error:
            errors.append(error)
    if not errors:
        raise SignatureInvalid("The signature names no signer.")
    raise errors[0]


def _verify_signer(
    signer_view: SignerView,
    view: SignedDataView,
    content: bytes | memoryview,
    certificates: list[x509.Certificate] | None,
    encapsulated: bool,
) -> SignatureInfo:
    """Check one SignerInfo against the content; return what it proved."""
    signer = _find_signer(signer_view.identifier, view, certificates)
    digest_name = digest_of_oid(signer_view.digest_algorithm)
    scheme, hash_algorithm, padding = _signature_scheme(signer_view, digest_name)
    content_digest = None
    signed_bytes: bytes | memoryview = content
    if signer_view.attributes is not None and signer_view.attributes_der is not None:
        content_digest = message_digest_of(signer_view.attributes, view.content_type)
        if not hmac.compare_digest(content_digest, digest(content, digest_name)):
            raise IntegrityCheckFailed(
                f"The content does not match its signature by {describe(signer)}: "
                f"its {digest_name.micalg.upper()} digest differs, so it was altered after signing."
            )
        signed_bytes = signer_view.attributes_der
    try:
        _verify_with(signer, signer_view.signature, signed_bytes, scheme, hash_algorithm)
    except InvalidSignature:
        raise SignatureInvalid(
            f"The signature does not verify with {describe(signer)}: "
            "the signature or the signed attributes were altered."
        ) from None
    return SignatureInfo(
        digest_name, signer, padding, bytes(content) if encapsulated else None, content_digest
    )


def _signature_scheme(
    signer: SignerView, digest_name: Digest
) -> tuple[asym_padding.AsymmetricPadding | None, hashes.HashAlgorithm, SignaturePadding | None]:
    """pyca padding (None for ECDSA), hash, and our padding value of a signatureAlgorithm."""
    name = signer.signature_algorithm
    if name == "rsassa_pss":
        return _pss_scheme(signer.pss, digest_name)
    if name == "rsassa_pkcs1v15":
        return asym_padding.PKCS1v15(), digest_name.hash_algorithm(), Pkcs1v15()
    prefix, _, kind = name.partition("_")
    if kind in ("rsa", "ecdsa") and prefix in set(Digest):
        rsa_padding = kind == "rsa"
        scheme = asym_padding.PKCS1v15() if rsa_padding else None
        return scheme, Digest(prefix).hash_algorithm(), Pkcs1v15() if rsa_padding else None
    if name == "ecdsa":
        return None, digest_name.hash_algorithm(), None
    raise UnsupportedAlgorithm(f"The signature algorithm {name} is not supported.")


def _pss_scheme(
    parameters: PssParameters | None, digest_name: Digest
) -> tuple[asym_padding.PSS, hashes.HashAlgorithm, Pss]:
    """RSASSA-PSS as RFC 4055 parameters say; without any (a deployed Python AS2 library
    writes none), the SignerInfo's digest for hash and MGF1, and whatever salt length was used."""
    if parameters is None:
        mgf = asym_padding.MGF1(digest_name.hash_algorithm())
        scheme = asym_padding.PSS(mgf=mgf, salt_length=asym_padding.PSS.AUTO)
        return scheme, digest_name.hash_algorithm(), Pss()
    if parameters.mask_generation != "mgf1" or parameters.mask_hash is None:
        raise UnsupportedAlgorithm("The RSASSA-PSS signature uses a mask function not MGF1.")
    hash_algorithm = digest_of_oid(parameters.hash_algorithm).hash_algorithm()
    mgf_hash = digest_of_oid(parameters.mask_hash).hash_algorithm()
    scheme = asym_padding.PSS(mgf=asym_padding.MGF1(mgf_hash), salt_length=parameters.salt_length)
    return scheme, hash_algorithm, Pss()


def _verify_with(
    signer: x509.Certificate,
    signature: bytes,
    signed_bytes: bytes | memoryview,
    scheme: asym_padding.AsymmetricPadding | None,
    hash_algorithm: hashes.HashAlgorithm,
) -> None:
    """Verify with the signer's public key; raises InvalidSignature."""
    public_key = signer.public_key()
    # Signed attributes (nearly always) are small bytes; without them the content itself is
    # signed, and may be a view into a large message: copied only then.
    data = signed_bytes if isinstance(signed_bytes, bytes) else bytes(signed_bytes)
    if isinstance(public_key, rsa.RSAPublicKey) and scheme is not None:
        public_key.verify(signature, data, scheme, hash_algorithm)
    elif isinstance(public_key, ec.EllipticCurvePublicKey) and scheme is None:
        public_key.verify(signature, data, ec.ECDSA(hash_algorithm))
    else:
        raise SignatureInvalid(
            f"The signature algorithm does not fit the key of {describe(signer)}."
        )


def _find_signer(
    identifier: Identifier,
    view: SignedDataView,
    certificates: list[x509.Certificate] | None,
) -> x509.Certificate:
    """The certificate a SignerIdentifier names, among trusted (or else embedded) certificates."""
    for certificate in certificates or ():
        if identifies(identifier, certificate):
            return certificate
    embedded = _embedded_signers(identifier, view)
    if certificates is not None:
        claimed = describe(embedded[0]) if embedded else identifier.description
        expected = " or ".join(describe(certificate) for certificate in certificates)
        raise SignatureInvalid(
            f"The message was signed with {claimed}; "
            f"the partnership expects {expected or 'a certificate, but none is configured'}."
        )
    if not embedded:
        raise SignatureInvalid(
            f"The message was signed with {identifier.description}, which is neither included "
            "in the signature nor configured for the partnership."
        )
    return embedded[0]


def _embedded_signers(identifier: Identifier, view: SignedDataView) -> list[x509.Certificate]:
    """The certificates carried in the SignedData that `identifier` names."""
    found = []
    for der in view.certificates:
        try:  # the partner's bytes: loading and reading their extensions parses input
            certificate = x509.load_der_x509_certificate(der)
            certificate.public_key()  # read now: a mangled key would fail the verification
            if identifies(identifier, certificate):
                found.append(certificate)
        except (ValueError, UnsupportedKeyType) as error:
            raise MalformedMessage(
                f"A certificate in the signature is not readable X.509: {error}"
            ) from error
    return found
