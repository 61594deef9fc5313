"""The recipients and content-encryption parameters of an envelope, read by asn1crypto.

Parse errors are caught here, around the reading only; ``enveloped.decrypt`` uses what this
returns (or what ``enveloped_fast`` returns for the common shape) with the same code.
"""

from asn1crypto import algos, cms

from as2 import ber
from as2.algorithms import ContentCipher
from as2.cms.algorithms import CIPHERS_BY_OID, PARSE_ERRORS
from as2.cms.certificates import identifier_of
from as2.cms.envelope import ContentEncryption, RecipientView
from as2.exceptions import MalformedMessage, UnsupportedAlgorithm

# RFC 5084 allows tags of 12 to 16 bytes; cryptography needs a nonce of 8 bytes or more.
_TAG_LENGTHS = range(12, 17)
_NONCE_LENGTHS = range(8, 65)


def read_recipients(recipient_infos_der: bytes) -> tuple[RecipientView, ...]:
    """The RSA key-transport recipients; other kinds (key agreement, passwords) are skipped."""
    try:
        infos = cms.RecipientInfos.load(recipient_infos_der)
        return tuple(_read_recipient(info.chosen) for info in infos if info.name == "ktri")
    except PARSE_ERRORS as error:
        raise MalformedMessage(f"The encrypted message is not readable CMS: {error}") from error


def _read_recipient(recipient: cms.KeyTransRecipientInfo) -> RecipientView:
    algorithm = recipient["key_encryption_algorithm"]
    name = algorithm["algorithm"].native
    hash_name = mask_hash = label = None
    if name == "rsaes_oaep":
        parameters = algorithm["parameters"]
        hash_name = parameters["hash_algorithm"]["algorithm"].native
        mask_hash = parameters["mask_gen_algorithm"]["parameters"]["algorithm"].native
        label = parameters["p_source_algorithm"]["parameters"].native or None
    return RecipientView(
        identifier=identifier_of(recipient["rid"]),
        key_transport=name,
        oaep_hash=hash_name,
        oaep_mask_hash=mask_hash,
        oaep_label=label,
        encrypted_key=recipient["encrypted_key"].native,
    )


def read_content_encryption(algorithm_der: bytes) -> ContentEncryption:
    """The content cipher and its parameters (IV, or GCM nonce and tag length)."""
    buf = memoryview(algorithm_der)
    parts = list(ber.children(buf, ber.read(buf, 0)))
    if not parts or parts[0].tag != ber.OID or len(parts) > 2:
        raise MalformedMessage("The encryption algorithm is not an AlgorithmIdentifier.")
    try:
        oid_name = algos.EncryptionAlgorithmId.load(ber.raw(buf, parts[0])).native
    except PARSE_ERRORS as error:
        raise MalformedMessage(f"The encryption algorithm is unreadable: {error}") from error
    cipher = CIPHERS_BY_OID.get(oid_name)
    if cipher is None:
        raise UnsupportedAlgorithm(f"The message is encrypted with {oid_name}, not supported.")
    parameters = parts[1] if len(parts) == 2 else None
    if cipher.gcm:
        if parameters is None:
            raise MalformedMessage("The AES-GCM message carries no nonce.")
        return _gcm_parameters(cipher, buf, parameters)
    if parameters is None or parameters.tag != ber.OCTET_STRING or parameters.constructed:
        raise MalformedMessage(f"The {cipher} initialisation vector is malformed.")
    iv = ber.contents(buf, parameters)
    if len(iv) != cipher.block_size:
        raise MalformedMessage(f"The {cipher} initialisation vector is malformed.")
    return ContentEncryption(cipher, iv=iv)


def _gcm_parameters(cipher: ContentCipher, buf: memoryview, top: ber.Element) -> ContentEncryption:
    """RFC 5084 GCMParameters (nonce, tag length 12 by default); or, as a deployed Node AS2
    library writes them, a bare OCTET STRING nonce and a 16-byte tag."""
    if top.tag == ber.OCTET_STRING:
        nonce, tag_length, bare = ber.contents(buf, top), 16, True
    elif top.tag == ber.SEQUENCE:
        fields = list(ber.children(buf, top))
        if not fields or fields[0].tag != ber.OCTET_STRING or len(fields) > 2:
            raise MalformedMessage("The AES-GCM parameters are not RFC 5084 GCMParameters.")
        nonce, tag_length, bare = ber.contents(buf, fields[0]), 12, False
        if len(fields) == 2:
            if fields[1].tag != ber.INTEGER:
                raise MalformedMessage("The AES-GCM tag length is not an integer.")
            tag_length = int.from_bytes(ber.contents(buf, fields[1]), "big", signed=True)
    else:
        raise MalformedMessage("The AES-GCM parameters are neither GCMParameters nor a nonce.")
    if len(nonce) not in _NONCE_LENGTHS:
        raise MalformedMessage(f"The AES-GCM nonce of {len(nonce)} bytes is not usable.")
    if tag_length not in _TAG_LENGTHS:
        raise MalformedMessage("The AES-GCM authentication tag has the wrong length.")
    return ContentEncryption(cipher, nonce=nonce, tag_length=tag_length, bare_nonce=bare)
