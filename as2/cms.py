"""CMS (RFC 5652) for AS2: sign/verify, encrypt/decrypt, compress/decompress, over bytes."""

import hmac
import os
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from asn1crypto import algos, cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.exceptions import UnsupportedAlgorithm as UnsupportedKeyType
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes
from cryptography.hazmat.primitives.serialization import Encoding

from as2 import ber
from as2.exceptions import (
    As2Error,
    DecompressionFailed,
    DecryptionFailed,
    IntegrityCheckFailed,
    MalformedMessage,
    SignatureInvalid,
    UnsupportedAlgorithm,
)

SIGN_ALGORITHMS = ("sha1", "sha224", "sha256", "sha384", "sha512")
ENCRYPT_ALGORITHMS = ("3des", "aes128", "aes192", "aes256", "aes128-gcm", "aes256-gcm")

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "md5": hashes.MD5,
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}

# asn1crypto parses lazily: any of these can surface from deep inside a hostile structure;
# cryptography raises its UnsupportedAlgorithm for an embedded certificate with a mangled key.
_PARSE_ERRORS = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    OverflowError,
    AttributeError,
    UnsupportedKeyType,
)


@dataclass(frozen=True)
class SignatureInfo:
    """What a verified signature tells: digest, signer, padding, and content if encapsulated."""

    digest_algorithm: str
    signer: x509.Certificate
    pss: bool
    content: bytes | None
    # The signed content's digest, checked against messageDigest (None without signed attributes):
    # the MIC over the same bytes reuses it. Derived, so left out of equality.
    content_digest: bytes | None = field(default=None, compare=False)


@dataclass(frozen=True)
class DecryptedContent:
    """Decrypted bytes and how they were protected."""

    content: bytes
    algorithm: str
    oaep: bool


@dataclass(frozen=True)
class _ContentCipher:
    """A content-encryption algorithm: our name, asn1crypto's OID name, sizes in bytes."""

    name: str
    oid_name: str
    key_size: int
    block_size: int
    gcm: bool

    def algorithm(self, key: bytes) -> algorithms.AES | TripleDES:
        """The cryptography cipher algorithm for `key`."""
        return TripleDES(key) if self.name == "3des" else algorithms.AES(key)


_CIPHERS = {
    cipher.name: cipher
    for cipher in (
        _ContentCipher("3des", "tripledes_3key", 24, 8, gcm=False),
        _ContentCipher("aes128", "aes128_cbc", 16, 16, gcm=False),
        _ContentCipher("aes192", "aes192_cbc", 24, 16, gcm=False),
        _ContentCipher("aes256", "aes256_cbc", 32, 16, gcm=False),
        _ContentCipher("aes128-gcm", "aes128_gcm", 16, 16, gcm=True),
        _ContentCipher("aes192-gcm", "aes192_gcm", 24, 16, gcm=True),
        _ContentCipher("aes256-gcm", "aes256_gcm", 32, 16, gcm=True),
    )
}
_CIPHERS_BY_OID = {cipher.oid_name: cipher for cipher in _CIPHERS.values()}

_CONTENT_TYPE_NAMES = {
    "signed_data": "signed-data",
    "enveloped_data": "enveloped-data",
    "authenticated_enveloped_data": "authenticated-enveloped-data",
    "compressed_data": "compressed-data",
}
_CONTENT_TYPES_BY_DER = {
    cms.ContentType(oid_name).contents: name for oid_name, name in _CONTENT_TYPE_NAMES.items()
}
_DATA_OID = cms.ContentType("data").dump()
_SIGNED_DATA_OID = cms.ContentType("signed_data").contents
_ZLIB_ALGORITHM = cms.CompressionAlgorithm({"algorithm": "zlib"}).dump()
_ZLIB_OID = cms.CompressionAlgorithmId("zlib").contents
_SIGNING_TIME_OID = cms.CMSAttributeType("signing_time").dump()
_MESSAGE_DIGEST_OID = cms.CMSAttributeType("message_digest").dump()
_CONTENT_TYPE_ATTRIBUTE = cms.CMSAttribute({"type": "content_type", "values": ["data"]}).dump()
_GCM_NONCE_SIZE = 12
_GCM_TAG_SIZE = 16


class _GcmParameters(core.Sequence):
    """GCMParameters of RFC 5084: the nonce and the tag length."""

    _fields = [("aes_nonce", core.OctetString), ("aes_icvlen", core.Integer, {"default": 12})]


# ---------------------------------------------------------------------------- names and digests


def normalise_digest_name(name: str) -> str:
    """Map "SHA-256", "sha256", "sha-1", "SHA1", "md5"... to our canonical digest name."""
    canonical = name.strip().lower().replace("-", "").replace("_", "")
    if canonical not in _HASHES:
        raise UnsupportedAlgorithm(f"The digest algorithm {name!r} is not supported.")
    return canonical


def normalise_encryption_name(name: str) -> str:
    """Map "AES-256-CBC", "aes_256_cbc", "des-ede3-cbc", "tripledes_192_cbc"... to our names."""
    spelling = name.strip().lower().replace("_", "-")
    gcm = spelling.endswith("-gcm")
    base = spelling.removesuffix("-gcm").removesuffix("-cbc").replace("aes-", "aes")
    if base in ("des-ede3", "tripledes", "tripledes-192", "3des") and not gcm:
        return "3des"
    canonical = f"{base}-gcm" if gcm else base
    if canonical not in _CIPHERS:
        raise UnsupportedAlgorithm(f"The encryption algorithm {name!r} is not supported.")
    return canonical


def digest(data: bytes, algorithm: str) -> bytes:
    """Hash `data` with the named digest algorithm."""
    hasher = hashes.Hash(_HASHES[normalise_digest_name(algorithm)]())
    hasher.update(data)
    return hasher.finalize()


# ---------------------------------------------------------------------------- content types


def content_type_of(data: bytes) -> str:
    """Name of the CMS content type of a ContentInfo: "signed-data", "enveloped-data", ..."""
    buf = memoryview(data)
    oid, _ = _content_info(buf)
    name = _CONTENT_TYPES_BY_DER.get(ber.contents(buf, oid))
    if name is None:
        raise MalformedMessage("The CMS content is of a type AS2 does not use.")
    return name


def _content_info(buf: memoryview) -> tuple[ber.Element, ber.Element]:
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


def _expect_content(buf: memoryview, wanted: str) -> ber.Element:
    """The inner structure of a ContentInfo that must be of content type `wanted`."""
    oid, content = _content_info(buf)
    found = _CONTENT_TYPES_BY_DER.get(ber.contents(buf, oid), "an unknown type")
    if found != wanted:
        raise MalformedMessage(f"The CMS content is {found}, where {wanted} was expected.")
    if content.tag != ber.SEQUENCE:
        raise MalformedMessage(f"The {wanted} structure is not a sequence.")
    return content


# ---------------------------------------------------------------------------- signing


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
    hash_algorithm = _HASHES[name]()
    attributes = _signed_attributes(digest(data, name)) if signed_attributes else None
    signature = key.sign(
        data if attributes is None else ber.encode(ber.SET, *attributes),
        _pss(hash_algorithm, hash_algorithm.digest_size) if pss else asym_padding.PKCS1v15(),
        hash_algorithm,
    )
    # Spliced from cached DER pieces: asn1crypto object building costs more than the RSA sign.
    digest_algorithm_der = _digest_algorithm_der(name)
    signer_info = [
        b"\x02\x01\x01",
        _issuer_and_serial_der(certificate),
        digest_algorithm_der,
        *([] if attributes is None else ber.wrap(ber.CONTEXT_0, attributes)),
        _signature_algorithm_der(name, pss),
        *ber.wrap(ber.OCTET_STRING, [signature]),
    ]
    signed_data = [
        b"\x02\x01\x01",
        *ber.wrap(ber.SET, [digest_algorithm_der]),
        *ber.wrap(ber.SEQUENCE, [_DATA_OID]),
        *ber.wrap(ber.CONTEXT_0, [certificate.public_bytes(Encoding.DER)]),
        *ber.wrap(ber.SET, ber.wrap(ber.SEQUENCE, signer_info)),
    ]
    return _content_info_der("signed_data", ber.wrap(ber.SEQUENCE, signed_data))


def _content_info_der(content_type: str, content: list[bytes]) -> bytes:
    """Join a ContentInfo around already-encoded content parts (copied once)."""
    oid = cms.ContentType(content_type).dump()
    return b"".join(ber.wrap(ber.SEQUENCE, [oid, *ber.wrap(ber.CONTEXT_0, content)]))


@lru_cache(maxsize=64)
def _asn1_certificate(certificate: x509.Certificate) -> asn1_x509.Certificate:
    """The asn1crypto view of a certificate (cached: partners sign with the same one all day)."""
    return asn1_x509.Certificate.load(certificate.public_bytes(Encoding.DER))


@lru_cache(maxsize=64)
def _issuer_and_serial_der(certificate: x509.Certificate) -> bytes:
    """DER IssuerAndSerialNumber naming `certificate`, the issuer bytes kept as they are."""
    tbs = _asn1_certificate(certificate)["tbs_certificate"]
    return ber.encode(ber.SEQUENCE, tbs["issuer"].dump(), tbs["serial_number"].dump())


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
            "salt_length": _HASHES[name].digest_size,
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


def _pss(hash_algorithm: hashes.HashAlgorithm, salt_length: int) -> asym_padding.PSS:
    """RSASSA-PSS padding with MGF1 over the same hash."""
    return asym_padding.PSS(mgf=asym_padding.MGF1(hash_algorithm), salt_length=salt_length)


# ---------------------------------------------------------------------------- verification


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
        verified = _verify_plain(signature, data, certificates)
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
    except _PARSE_ERRORS as error:
        raise MalformedMessage(f"The signature is not a readable CMS structure: {error}") from error
    if not errors:
        raise SignatureInvalid("The signature names no signer.")
    raise errors[0]


def _load_signed_data(signature: bytes) -> cms.SignedData:
    """The SignedData inside a ContentInfo, DER or BER."""
    _expect_content(memoryview(signature), "signed-data")
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
    digest_name = _digest_name(signer_info["digest_algorithm"]["algorithm"].native)
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
            f"The signature does not verify with {_describe(signer)}: "
            "the signature or the signed attributes were altered."
        ) from None
    content = content if encapsulated else None
    return SignatureInfo(digest_name, signer, pss, content, content_digest)


def _digest_name(oid_name: str) -> str:
    """Our digest name for an asn1crypto digest OID name (also tolerates "sha256_rsa")."""
    name = oid_name.removesuffix("_rsa")
    if name not in _HASHES:
        raise UnsupportedAlgorithm(f"The signature uses the unsupported digest {oid_name}.")
    return name


def _signature_scheme(
    signer_info: cms.SignerInfo, digest_name: str
) -> tuple[asym_padding.AsymmetricPadding | None, hashes.HashAlgorithm, bool]:
    """Padding (None for ECDSA), hash and PSS flag of a SignerInfo's signatureAlgorithm."""
    algorithm = signer_info["signature_algorithm"]
    name = algorithm["algorithm"].native
    if name == "rsassa_pss":
        parameters = algorithm["parameters"]
        hash_algorithm = _HASHES[_digest_name(parameters["hash_algorithm"]["algorithm"].native)]()
        mgf = parameters["mask_gen_algorithm"]
        if mgf["algorithm"].native != "mgf1":
            raise UnsupportedAlgorithm("The RSASSA-PSS signature uses a mask function not MGF1.")
        mgf_hash = _HASHES[_digest_name(mgf["parameters"]["algorithm"].native)]()
        padding_scheme = asym_padding.PSS(
            mgf=asym_padding.MGF1(mgf_hash), salt_length=parameters["salt_length"].native
        )
        return padding_scheme, hash_algorithm, True
    if name == "rsassa_pkcs1v15":
        return asym_padding.PKCS1v15(), _HASHES[digest_name](), False
    prefix, _, kind = name.partition("_")
    if kind in ("rsa", "ecdsa") and prefix in _HASHES:
        scheme = asym_padding.PKCS1v15() if kind == "rsa" else None
        return scheme, _HASHES[prefix](), False
    if name == "ecdsa":
        return None, _HASHES[digest_name](), False
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
            f"The signature algorithm does not fit the key of {_describe(signer)}."
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
            f"The content does not match its signature by {_describe(signer)}: "
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
        if _identifies(sid, certificate):
            return certificate
    embedded = [c for c in _embedded_certificates(signed_data) if _identifies(sid, c)]
    if certificates is not None:
        claimed = _describe(embedded[0]) if embedded else _describe_sid(sid)
        expected = " or ".join(_describe(certificate) for certificate in certificates)
        raise SignatureInvalid(
            f"The message was signed with {claimed}; "
            f"the partnership expects {expected or 'a certificate, but none is configured'}."
        )
    if not embedded:
        raise SignatureInvalid(
            f"The message was signed with {_describe_sid(sid)}, which is neither included "
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


def _identifies(
    sid: cms.SignerIdentifier | cms.RecipientIdentifier, cert: x509.Certificate
) -> bool:
    """Whether a signer/recipient identifier (issuer+serial or SKI) names `cert`."""
    if sid.name == "subject_key_identifier":
        return sid.chosen.native == _subject_key_identifier(cert)
    chosen = sid.chosen
    if chosen["serial_number"].native != cert.serial_number:
        return False
    issuer = cert.issuer.public_bytes()
    # Byte equality is the common case; asn1crypto's comparison normalises string types and case.
    return chosen["issuer"].dump() == issuer or chosen["issuer"] == asn1_x509.Name.load(issuer)


@lru_cache(maxsize=64)
def _subject_key_identifier(cert: x509.Certificate) -> bytes:
    """The certificate's SubjectKeyIdentifier, or the RFC 5280 method-1 value if it has none."""
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        return x509.SubjectKeyIdentifier.from_public_key(cert.public_key()).digest


def _describe(cert: x509.Certificate) -> str:
    """'certificate serial 1A2B issued by CN=...' for error sentences."""
    return f"certificate serial {cert.serial_number:X} issued by {cert.issuer.rfc4514_string()}"


def _describe_sid(sid: cms.SignerIdentifier | cms.RecipientIdentifier) -> str:
    """A sentence fragment naming the certificate an identifier points to."""
    if sid.name == "subject_key_identifier":
        return f"the certificate with subject key identifier {sid.chosen.native.hex()}"
    chosen = sid.chosen
    issuer = _name_text(chosen["issuer"])
    return f"certificate serial {chosen['serial_number'].native:X} issued by {issuer}"


_NAME_LABELS = {
    "common_name": "CN",
    "organization_name": "O",
    "organizational_unit_name": "OU",
    "country_name": "C",
    "state_or_province_name": "ST",
    "locality_name": "L",
    "email_address": "E",
}


def _name_text(name: asn1_x509.Name) -> str:
    """A distinguished name written like cryptography's rfc4514_string(), for error sentences."""
    parts = []
    for rdn in reversed(list(name.chosen)):
        for attribute in rdn:
            label = attribute["type"].native
            parts.append(f"{_NAME_LABELS.get(label, label)}={attribute['value'].native}")
    return ",".join(parts)


# ---------------------------------------------------------------------------- encryption


def encrypt(
    data: bytes,
    *,
    certificate: x509.Certificate,
    algorithm: str = "aes256",
    oaep: bool = False,
) -> bytes:
    """EnvelopedData (CBC) or AuthEnvelopedData (GCM) for `certificate`'s key, DER encoded."""
    name = normalise_encryption_name(algorithm)
    if name not in ENCRYPT_ALGORITHMS:
        raise UnsupportedAlgorithm(f"Encrypting with {algorithm} is not supported.")
    cipher = _CIPHERS[name]
    content_key = os.urandom(cipher.key_size)
    recipients = _recipient_infos(certificate, content_key, oaep)
    if cipher.gcm:
        algorithm_der, ciphertext, tag = _gcm_encrypt(cipher, content_key, data)
        body = [b"\x02\x01\x00", recipients, *_encrypted_content_info(algorithm_der, ciphertext)]
        body += ber.wrap(ber.OCTET_STRING, [tag])
        content_type = "authenticated_enveloped_data"
    else:
        algorithm_der, ciphertext = _cbc_encrypt(cipher, content_key, data)
        body = [b"\x02\x01\x00", recipients, *_encrypted_content_info(algorithm_der, ciphertext)]
        content_type = "enveloped_data"
    # Spliced by hand so a 20 MB ciphertext is copied once, into the result.
    return _content_info_der(content_type, ber.wrap(ber.SEQUENCE, body))


def _encrypted_content_info(algorithm_der: bytes, ciphertext: list[bytes]) -> list[bytes]:
    """EncryptedContentInfo parts: data type, algorithm, [0] IMPLICIT encrypted content."""
    encrypted = ber.wrap(ber.CONTEXT_0_PRIMITIVE, ciphertext)
    return ber.wrap(ber.SEQUENCE, [_DATA_OID, algorithm_der, *encrypted])


def _cbc_encrypt(cipher: _ContentCipher, key: bytes, data: bytes) -> tuple[bytes, list[bytes]]:
    """PKCS#7-padded CBC encryption; returns the AlgorithmIdentifier and ciphertext pieces."""
    iv = os.urandom(cipher.block_size)
    encryptor = Cipher(cipher.algorithm(key), modes.CBC(iv)).encryptor()
    pad = cipher.block_size - len(data) % cipher.block_size
    # Padding the small tail separately avoids copying the whole payload to pad it.
    ciphertext = [
        encryptor.update(data),
        encryptor.update(bytes([pad]) * pad) + encryptor.finalize(),
    ]
    algorithm_der = algos.EncryptionAlgorithm(
        {"algorithm": cipher.oid_name, "parameters": iv}
    ).dump()
    return algorithm_der, ciphertext


def _gcm_encrypt(
    cipher: _ContentCipher, key: bytes, data: bytes
) -> tuple[bytes, list[bytes], bytes]:
    """AES-GCM per RFC 5084 (12-byte nonce, 16-byte tag); returns algorithm, ciphertext, tag."""
    nonce = os.urandom(_GCM_NONCE_SIZE)
    encryptor = Cipher(algorithms.AES(key), modes.GCM(nonce)).encryptor()
    ciphertext = [encryptor.update(data), encryptor.finalize()]
    parameters = _GcmParameters({"aes_nonce": nonce, "aes_icvlen": _GCM_TAG_SIZE})
    algorithm_der = algos.EncryptionAlgorithm(
        {"algorithm": cipher.oid_name, "parameters": parameters}
    ).dump()
    return algorithm_der, ciphertext, encryptor.tag


def _recipient_infos(certificate: x509.Certificate, content_key: bytes, oaep: bool) -> bytes:
    """A RecipientInfos SET with one KeyTransRecipientInfo (issuer and serial) for `certificate`."""
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise UnsupportedAlgorithm("Only RSA certificates can receive encrypted AS2 messages.")
    scheme = _oaep(hashes.SHA256(), hashes.SHA256()) if oaep else asym_padding.PKCS1v15()
    recipient = ber.encode(
        ber.SEQUENCE,
        b"\x02\x01\x00",
        _issuer_and_serial_der(certificate),
        _key_transport_der(oaep),
        ber.encode(ber.OCTET_STRING, public_key.encrypt(content_key, scheme)),
    )
    return ber.encode(ber.SET, recipient)


@lru_cache(maxsize=2)
def _key_transport_der(oaep: bool) -> bytes:
    """rsaEncryption with NULL parameters, or RSAES-OAEP with SHA-256 and MGF1-SHA-256."""
    if not oaep:
        return cms.KeyEncryptionAlgorithm(
            {"algorithm": "rsaes_pkcs1v15", "parameters": core.Null()}
        ).dump()
    # RFC 4055 parameters; the digests' own parameters absent, as openssl writes them.
    parameters = algos.RSAESOAEPParams(
        {
            "hash_algorithm": {"algorithm": "sha256"},
            "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": "sha256"}},
        }
    )
    return cms.KeyEncryptionAlgorithm({"algorithm": "rsaes_oaep", "parameters": parameters}).dump()


def _oaep(
    hash_algorithm: hashes.HashAlgorithm, mgf_hash: hashes.HashAlgorithm
) -> asym_padding.OAEP:
    """RSAES-OAEP padding with an empty label."""
    return asym_padding.OAEP(mgf=asym_padding.MGF1(mgf_hash), algorithm=hash_algorithm, label=None)


# ---------------------------------------------------------------------------- decryption


@dataclass(frozen=True)
class _Envelope:
    """The parts of an (Auth)EnvelopedData; the encrypted content as views into the input."""

    recipient_infos: bytes
    algorithm: bytes
    chunks: list[memoryview]
    mac: bytes | None
    auth_attributes: bytes | None


def decrypt(
    data: bytes, *, key: rsa.RSAPrivateKey, certificate: x509.Certificate | None = None
) -> DecryptedContent:
    """Decrypt an EnvelopedData or AuthEnvelopedData (DER or BER) with our private key."""
    buf = memoryview(data)
    oid, content = _content_info(buf)
    kind = _CONTENT_TYPES_BY_DER.get(ber.contents(buf, oid), "an unknown type")
    if kind not in ("enveloped-data", "authenticated-enveloped-data"):
        raise MalformedMessage(f"The CMS content is {kind}, not encrypted data.")
    envelope = _read_envelope(buf, content, authenticated=kind == "authenticated-enveloped-data")
    try:
        cipher, parameters = _content_cipher(envelope.algorithm)
        opened = _decrypt_for_sole_recipient(envelope, cipher, parameters, key, certificate)
        if opened is not None:
            return opened
        recipients = _key_trans_recipients(envelope.recipient_infos)
        for content_key, oaep in _content_keys(recipients, key, certificate, cipher.key_size):
            plaintext = _decrypt_content(cipher, parameters, content_key, envelope)
            if plaintext is not None:
                return DecryptedContent(plaintext, cipher.name, oaep)
        failure = _decryption_failure(recipients, certificate)
    except _PARSE_ERRORS as error:
        raise MalformedMessage(f"The encrypted message is not readable CMS: {error}") from error
    raise DecryptionFailed(failure)


def _read_envelope(buf: memoryview, content: ber.Element, *, authenticated: bool) -> _Envelope:
    """Locate the parts of an (Auth)EnvelopedData without copying the encrypted content."""
    items = [item for item in ber.children(buf, content) if item.tag != ber.CONTEXT_0]
    # Without originatorInfo: version, recipientInfos, encryptedContentInfo, then optional parts.
    if len(items) < 3 or items[1].tag != ber.SET or items[2].tag != ber.SEQUENCE:
        raise MalformedMessage("The encrypted message does not have the EnvelopedData layout.")
    info = list(ber.children(buf, items[2]))
    if (
        len(info) < 3
        or info[1].tag != ber.SEQUENCE
        or info[2].tag & 0xDF != ber.CONTEXT_0_PRIMITIVE
    ):
        raise MalformedMessage("The encrypted message carries no encrypted content.")
    mac = auth_attributes = None
    if authenticated:
        rest = {item.tag: item for item in items[3:]}
        if ber.OCTET_STRING not in rest:
            raise MalformedMessage("The AES-GCM message has no authentication tag.")
        mac = ber.contents(buf, rest[ber.OCTET_STRING])
        if ber.CONTEXT_1 in rest:
            auth_attributes = b"\x31" + ber.raw(buf, rest[ber.CONTEXT_1])[1:]
    return _Envelope(
        recipient_infos=ber.raw(buf, items[1]),
        algorithm=ber.raw(buf, info[1]),
        chunks=list(ber.octet_chunks(buf, info[2])),
        mac=mac,
        auth_attributes=auth_attributes,
    )


def _content_cipher(algorithm_der: bytes) -> tuple[_ContentCipher, bytes | _GcmParameters]:
    """The content cipher and its parameters (IV, or GCM nonce and tag length)."""
    common = _cbc_by_prefix(algorithm_der)
    if common is not None:
        return common
    algorithm = algos.EncryptionAlgorithm.load(algorithm_der)
    oid_name = algorithm["algorithm"].native
    cipher = _CIPHERS_BY_OID.get(oid_name)
    if cipher is None:
        raise UnsupportedAlgorithm(f"The message is encrypted with {oid_name}, not supported.")
    if cipher.gcm:
        return cipher, _GcmParameters.load(algorithm["parameters"].dump())
    iv = algorithm["parameters"].native
    if not isinstance(iv, bytes) or len(iv) != cipher.block_size:
        raise MalformedMessage(f"The {cipher.name} initialisation vector is malformed.")
    return cipher, iv


def _key_trans_recipients(recipient_infos_der: bytes) -> list[cms.KeyTransRecipientInfo]:
    """The RSA key-transport recipients; other kinds (key agreement, passwords) are skipped."""
    infos = cms.RecipientInfos.load(recipient_infos_der)
    return [info.chosen for info in infos if info.name == "ktri"]


def _content_keys(
    recipients: list[cms.KeyTransRecipientInfo],
    key: rsa.RSAPrivateKey,
    certificate: x509.Certificate | None,
    key_size: int,
) -> Iterator[tuple[bytes, bool]]:
    """Candidate content keys, from the recipients that name us first, then all the others."""
    for recipient in sorted(recipients, key=lambda r: not _names_us(r, key, certificate)):
        try:
            scheme, oaep = _key_transport(recipient["key_encryption_algorithm"])
            content_key = key.decrypt(recipient["encrypted_key"].native, scheme)
        except (ValueError, As2Error, *_PARSE_ERRORS):
            continue
        # Implicit rejection (OpenSSL 3.2+) returns random bytes for a wrong key: check the size.
        if len(content_key) == key_size:
            yield content_key, oaep


def _names_us(
    recipient: cms.KeyTransRecipientInfo,
    key: rsa.RSAPrivateKey,
    certificate: x509.Certificate | None,
) -> bool:
    """Whether a recipient identifier names our certificate (or our key, by SKI)."""
    rid = recipient["rid"]
    if certificate is not None:
        return _identifies(rid, certificate)
    if rid.name == "subject_key_identifier":
        public_key = key.public_key()
        return rid.chosen.native == x509.SubjectKeyIdentifier.from_public_key(public_key).digest
    return False


def _key_transport(
    algorithm: cms.KeyEncryptionAlgorithm,
) -> tuple[asym_padding.AsymmetricPadding, bool]:
    """RSA padding for a KeyTransRecipientInfo: PKCS#1 v1.5 or OAEP with its parameters."""
    name = algorithm["algorithm"].native
    if name == "rsaes_pkcs1v15":
        return asym_padding.PKCS1v15(), False
    if name != "rsaes_oaep":
        raise UnsupportedAlgorithm(f"The key transport algorithm {name} is not supported.")
    parameters = algorithm["parameters"]
    hash_algorithm = _HASHES[_digest_name(parameters["hash_algorithm"]["algorithm"].native)]()
    mgf_hash = _HASHES[
        _digest_name(parameters["mask_gen_algorithm"]["parameters"]["algorithm"].native)
    ]()
    label = parameters["p_source_algorithm"]["parameters"].native or None
    scheme = asym_padding.OAEP(
        mgf=asym_padding.MGF1(mgf_hash), algorithm=hash_algorithm, label=label
    )
    return scheme, True


def _decrypt_content(
    cipher: _ContentCipher,
    parameters: bytes | _GcmParameters,
    content_key: bytes,
    envelope: _Envelope,
) -> bytes | None:
    """The plaintext, or None when this key does not decrypt the content."""
    total = sum(len(chunk) for chunk in envelope.chunks)
    if isinstance(parameters, _GcmParameters):
        decryptor = _gcm_decryptor(content_key, parameters, envelope)
    else:
        if total == 0 or total % cipher.block_size:
            raise MalformedMessage("The encrypted content is not a whole number of cipher blocks.")
        decryptor = Cipher(cipher.algorithm(content_key), modes.CBC(parameters)).decryptor()
    output = bytearray(total + cipher.block_size)
    written = _update_into(decryptor, envelope.chunks, output)
    try:
        tail = decryptor.finalize()
    except InvalidTag:
        return None
    output[written : written + len(tail)] = tail
    written += len(tail)
    del output[written:]
    if not isinstance(parameters, _GcmParameters) and not _unpad(output, cipher.block_size):
        return None
    return bytes(output)


def _gcm_decryptor(
    content_key: bytes, parameters: _GcmParameters, envelope: _Envelope
) -> CipherContext:
    """An AES-GCM decryptor that checks the tag (and authenticates authAttrs, RFC 5083)."""
    mac = envelope.mac or b""
    if parameters["aes_icvlen"].native != len(mac) or not 12 <= len(mac) <= 16:
        raise MalformedMessage("The AES-GCM authentication tag has the wrong length.")
    mode = modes.GCM(parameters["aes_nonce"].native, mac, min_tag_length=len(mac))
    decryptor = Cipher(algorithms.AES(content_key), mode).decryptor()
    if envelope.auth_attributes is not None:
        decryptor.authenticate_additional_data(envelope.auth_attributes)
    return decryptor


def _update_into(decryptor: CipherContext, chunks: Iterable[memoryview], output: bytearray) -> int:
    """Feed chunks through `decryptor` straight into `output`; return the bytes written."""
    view = memoryview(output)
    written = 0
    for chunk in chunks:
        written += decryptor.update_into(chunk, view[written:])
    view.release()
    return written


def _unpad(output: bytearray, block_size: int) -> bool:
    """Strip PKCS#7 padding in place; False when the padding is wrong (wrong key)."""
    unpadder = padding.PKCS7(block_size * 8).unpadder()
    try:
        kept = len(unpadder.update(bytes(output[-block_size:])) + unpadder.finalize())
    except ValueError:
        return False
    del output[len(output) - block_size + kept :]
    return True


def _decryption_failure(
    recipients: list[cms.KeyTransRecipientInfo], certificate: x509.Certificate | None
) -> str:
    """One sentence for every way decryption can fail (no padding-oracle detail leaks out)."""
    if not recipients:
        return "The message is not encrypted for an RSA key, so our private key cannot open it."
    named = "; ".join(_describe_sid(recipient["rid"]) for recipient in recipients)
    ours = f" Our certificate is {_describe(certificate)}." if certificate is not None else ""
    return (
        "The message could not be decrypted with our private key: it is encrypted for "
        f"{named}.{ours} The partner may be using an old or wrong certificate of ours."
    )


# ---------------------------------------------------------------------------- common shapes, fast

# Nearly every signature and envelope has one shape. Reading it with ber.py instead of asn1crypto
# takes verify from 0.22 to 0.08 ms and decrypt from 0.39 to 0.30 ms (0.25 of it RSA) at 10 KB.
# Anything else, and any failure, goes to the asn1crypto path, which stays the one judge of
# errors and their wording. Algorithms and attribute types are matched by their exact DER, so a
# match means asn1crypto would read the same value.


def _algorithm_encodings(
    oid_spec: type[core.ObjectIdentifier], names: Iterable[str]
) -> dict[bytes, str]:
    """asn1crypto name of each AlgorithmIdentifier DER, parameters absent or NULL."""
    encodings = {}
    for name in names:
        oid = oid_spec(name).dump()
        encodings[ber.encode(ber.SEQUENCE, oid)] = name
        encodings[ber.encode(ber.SEQUENCE, oid, b"\x05\x00")] = name
    return encodings


_DIGEST_ALGORITHMS_BY_DER = _algorithm_encodings(algos.DigestAlgorithmId, _HASHES)
_RSA_SIGNATURE_ALGORITHMS_BY_DER = _algorithm_encodings(
    algos.SignedDigestAlgorithmId, ["rsassa_pkcs1v15", *(f"{name}_rsa" for name in _HASHES)]
)
# asn1crypto names attributes by OID, and reads a non-minimal OID encoding as the same name:
# only these exact encodings are taken here, so none can stand in for messageDigest unseen.
_ATTRIBUTE_TYPES_BY_DER = {
    cms.CMSAttributeType(name).dump(): name
    for name in (
        "content_type",
        "message_digest",
        "signing_time",
        "smime_capabilities",
        "encrypt_key_pref",
        "cms_algorithm_protection",
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


@dataclass(frozen=True)
class _PlainSignerInfo:
    """What verify needs from a SignerInfo, read with ber.py."""

    sid: ber.Element
    digest_name: str
    hash_name: str  # of the signature algorithm: sha256WithRSAEncryption may differ from digest
    signed_attributes: bytes | None  # DER SET OF, as the signature covers them
    message_digest: bytes | None
    signature: bytes


def _verify_plain(
    signature: bytes, data: bytes | memoryview, certificates: list[x509.Certificate]
) -> SignatureInfo | None:
    """verify() of a detached signature by one trusted RSA PKCS#1 v1.5 signer that checks out;
    None for any other shape and for any failure."""
    buf = memoryview(signature)
    try:
        signer_info = _read_plain_signer_info(buf)
        if signer_info is None:
            return None
        signer = _plain_signer(buf, signer_info.sid, certificates)
        if signer is None or not _plain_signature_holds(signer_info, signer, data):
            return None
    except (MalformedMessage, *_PARSE_ERRORS):
        return None
    # A signature that holds has a messageDigest equal to the content's digest.
    return SignatureInfo(signer_info.digest_name, signer, False, None, signer_info.message_digest)


def _plain_signature_holds(
    signer_info: _PlainSignerInfo, signer: x509.Certificate, data: bytes | memoryview
) -> bool:
    """Whether the messageDigest (if any) matches `data` and the RSA signature verifies."""
    if signer_info.signed_attributes is None:
        signed_bytes = data
    elif hmac.compare_digest(
        signer_info.message_digest or b"", digest(data, signer_info.digest_name)
    ):
        signed_bytes = signer_info.signed_attributes
    else:
        return False
    public_key = signer.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        return False
    hash_algorithm = _HASHES[signer_info.hash_name]()
    try:
        public_key.verify(
            signer_info.signature, signed_bytes, asym_padding.PKCS1v15(), hash_algorithm
        )
    except InvalidSignature:
        return False
    return True


def _read_plain_signer_info(buf: memoryview) -> _PlainSignerInfo | None:
    """The only SignerInfo of a detached id-data SignedData in RFC 5652 layout, or None."""
    top = ber.read(buf, 0)
    content_info = ber.children_tagged(buf, top, ber.OID, ber.CONTEXT_0)
    if (
        top.tag != ber.SEQUENCE
        or content_info is None
        or ber.contents(buf, content_info[0]) != _SIGNED_DATA_OID
    ):
        return None
    signed_data = ber.children_tagged(buf, content_info[1], ber.SEQUENCE)
    items = None if signed_data is None else list(ber.children(buf, signed_data[0]))
    if items is None or tuple(item.tag for item in items) not in _SIGNED_DATA_LAYOUTS:
        return None
    encapsulated = ber.children_tagged(buf, items[2], ber.OID)
    signer_infos = ber.children_tagged(buf, items[-1], ber.SEQUENCE)
    if encapsulated is None or ber.raw(buf, encapsulated[0]) != _DATA_OID or signer_infos is None:
        return None
    fields = list(ber.children(buf, signer_infos[0]))
    if tuple(field.tag for field in fields) not in _SIGNER_INFO_LAYOUTS:
        return None
    attributes = fields.pop(3) if fields[3].tag == ber.CONTEXT_0 else None
    digest_name = _DIGEST_ALGORITHMS_BY_DER.get(ber.raw(buf, fields[2]))
    algorithm = _RSA_SIGNATURE_ALGORITHMS_BY_DER.get(ber.raw(buf, fields[3]))
    if digest_name is None or algorithm is None:
        return None
    message_digest = None
    if attributes is not None:
        message_digest = _plain_message_digest(buf, attributes)
        if message_digest is None:
            return None
    return _PlainSignerInfo(
        sid=fields[1],
        digest_name=digest_name,
        hash_name=digest_name if algorithm == "rsassa_pkcs1v15" else algorithm.removesuffix("_rsa"),
        signed_attributes=None if attributes is None else b"\x31" + ber.raw(buf, attributes)[1:],
        message_digest=message_digest,
        signature=ber.contents(buf, fields[4]),
    )


def _plain_message_digest(buf: memoryview, attributes: ber.Element) -> bytes | None:
    """The messageDigest of signed attributes of well-known types, each once, with a contentType
    of id-data if any; None otherwise."""
    values: dict[str, ber.Element] = {}
    for attribute in ber.children(buf, attributes):
        parts = ber.children_tagged(buf, attribute, ber.OID, ber.SET)
        name = None if parts is None else _ATTRIBUTE_TYPES_BY_DER.get(ber.raw(buf, parts[0]))
        if attribute.tag != ber.SEQUENCE or parts is None or name is None or name in values:
            return None
        values[name] = parts[1]
    if "content_type" in values:
        content_type = ber.children_tagged(buf, values["content_type"], ber.OID)
        if content_type is None or ber.raw(buf, content_type[0]) != _DATA_OID:
            return None
    message_digest = ber.children_tagged(buf, values.get("message_digest"), ber.OCTET_STRING)
    return None if message_digest is None else ber.contents(buf, message_digest[0])


def _plain_signer(
    buf: memoryview, sid: ber.Element, certificates: list[x509.Certificate]
) -> x509.Certificate | None:
    """The first of `certificates` that `sid` names, decided from bytes alone; None when none is,
    or when deciding needs asn1crypto's normalising name comparison."""
    for certificate in certificates:
        if sid.tag == ber.CONTEXT_0_PRIMITIVE:
            if ber.contents(buf, sid) == _subject_key_identifier(certificate):
                return certificate
            continue
        if ber.raw(buf, sid) == _issuer_and_serial_der(certificate):
            return certificate
        parts = ber.children_tagged(buf, sid, ber.SEQUENCE, ber.INTEGER)
        if parts is None:
            return None
        serial = int.from_bytes(ber.contents(buf, parts[1]), "big", signed=True)
        if serial == certificate.serial_number:
            return None  # the same serial with the issuer spelled differently
    return None


# The DER of each CBC AlgorithmIdentifier up to its IV (a zero IV cut off): a byte match needs
# no asn1crypto parse.
_CBC_ALGORITHM_PREFIXES = {
    ber.encode(
        ber.SEQUENCE,
        algos.EncryptionAlgorithmId(cipher.oid_name).dump(),
        ber.encode(ber.OCTET_STRING, bytes(cipher.block_size)),
    )[: -cipher.block_size]: cipher
    for cipher in _CIPHERS.values()
    if not cipher.gcm
}
_RSA_PKCS1_KEY_TRANSPORT = set(
    _algorithm_encodings(cms.KeyEncryptionAlgorithmId, ["rsaes_pkcs1v15"])
)


def _decrypt_for_sole_recipient(
    envelope: _Envelope,
    cipher: _ContentCipher,
    parameters: bytes | _GcmParameters,
    key: rsa.RSAPrivateKey,
    certificate: x509.Certificate | None,
) -> DecryptedContent | None:
    """decrypt() of the common shape, read with ber.py: one RSA PKCS#1 v1.5 recipient naming
    `certificate` byte for byte. None for anything else and when the key does not open it: the
    asn1crypto path then decides and words the error, exactly as for any other shape."""
    encrypted_key = _sole_recipient_key(envelope.recipient_infos, certificate)
    if encrypted_key is None:
        return None
    try:
        content_key = key.decrypt(encrypted_key, asym_padding.PKCS1v15())
    except _PARSE_ERRORS:
        return None
    if len(content_key) != cipher.key_size:
        return None
    plaintext = _decrypt_content(cipher, parameters, content_key, envelope)
    return None if plaintext is None else DecryptedContent(plaintext, cipher.name, False)


def _sole_recipient_key(
    recipient_infos: bytes, certificate: x509.Certificate | None
) -> bytes | None:
    """The encrypted key of the only KeyTransRecipientInfo, when it names `certificate` by its
    exact issuer and serial bytes and uses RSA PKCS#1 v1.5; None otherwise."""
    if certificate is None:
        return None
    buf = memoryview(recipient_infos)
    try:
        recipients = ber.children_tagged(buf, ber.read(buf, 0), ber.SEQUENCE)
        if recipients is None:
            return None
        fields = ber.children_tagged(
            buf, recipients[0], ber.INTEGER, ber.SEQUENCE, ber.SEQUENCE, ber.OCTET_STRING
        )
        if (
            fields is None
            or ber.raw(buf, fields[1]) != _issuer_and_serial_der(certificate)
            or ber.raw(buf, fields[2]) not in _RSA_PKCS1_KEY_TRANSPORT
        ):
            return None
        return ber.contents(buf, fields[3])
    except (MalformedMessage, *_PARSE_ERRORS):
        return None


def _cbc_by_prefix(algorithm_der: bytes) -> tuple[_ContentCipher, bytes] | None:
    """The CBC cipher and IV of a content-encryption AlgorithmIdentifier in its usual DER."""
    for prefix, cipher in _CBC_ALGORITHM_PREFIXES.items():
        iv = algorithm_der[len(prefix) :]
        if algorithm_der.startswith(prefix) and len(iv) == cipher.block_size:
            return cipher, iv
    return None


# ---------------------------------------------------------------------------- compression


def compress(data: bytes, *, level: int = 1) -> bytes:
    """RFC 3274 CompressedData (zlib) around `data`, DER ContentInfo."""
    compressor = zlib.compressobj(level)
    compressed = [compressor.compress(data), compressor.flush()]
    content = ber.wrap(ber.CONTEXT_0, ber.wrap(ber.OCTET_STRING, compressed))
    encapsulated = ber.wrap(ber.SEQUENCE, [_DATA_OID, *content])
    compressed_data = ber.wrap(ber.SEQUENCE, [b"\x02\x01\x00", _ZLIB_ALGORITHM, *encapsulated])
    return _content_info_der("compressed_data", compressed_data)


def decompress(data: bytes, *, max_size: int) -> bytes:
    """Content of an RFC 3274 CompressedData; refuses output larger than `max_size` bytes."""
    buf = memoryview(data)
    chunks = _compressed_chunks(buf, _expect_content(buf, "compressed-data"))
    return _inflate(chunks, max_size)


def _compressed_chunks(buf: memoryview, content: ber.Element) -> Iterator[memoryview]:
    """The pieces of the zlib stream inside a CompressedData."""
    items = list(ber.children(buf, content))
    if len(items) < 3 or items[1].tag != ber.SEQUENCE or items[2].tag != ber.SEQUENCE:
        raise MalformedMessage("The compressed message does not have the CompressedData layout.")
    algorithm = ber.first_child(buf, items[1])
    if algorithm.tag != ber.OID or ber.contents(buf, algorithm) != _ZLIB_OID:
        raise DecompressionFailed("The message is compressed with an algorithm other than zlib.")
    encapsulated = list(ber.children(buf, items[2]))
    if len(encapsulated) < 2 or encapsulated[1].tag != ber.CONTEXT_0:
        raise MalformedMessage("The compressed message carries no compressed content.")
    return ber.octet_chunks(buf, ber.first_child(buf, encapsulated[1]))


def _inflate(chunks: Iterable[memoryview], max_size: int) -> bytes:
    """zlib-inflate `chunks`, never producing more than `max_size` + 1 bytes."""
    inflater = zlib.decompressobj()
    output: list[bytes] = []
    size = 0
    try:
        for chunk in chunks:
            pending: bytes | memoryview = chunk
            while pending and not inflater.eof:
                piece = inflater.decompress(pending, max_size - size + 1)
                size += len(piece)
                _refuse_if_larger(size, max_size)
                output.append(piece)
                pending = inflater.unconsumed_tail
    except zlib.error as error:
        raise DecompressionFailed(f"The compressed content is corrupt ({error}).") from None
    if not inflater.eof:
        raise DecompressionFailed("The compressed content is truncated.")
    return b"".join(output)


def _refuse_if_larger(size: int, max_size: int) -> None:
    """Raise once decompressed output passes the allowed size."""
    if size > max_size:
        raise DecompressionFailed(
            f"The compressed content is larger than {max_size} bytes once decompressed — "
            "refused as a possible zip bomb."
        )
