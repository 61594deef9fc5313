"""A partnership's stored settings are the engine's own algorithm names, one for one."""

import pytest

import as2
from partnerships.models import Encryption, KeyTransport, MdnSigning, Signing

# tracklog.engine reads stored values with the enums' constructors, not the many-spellings
# normaliser meant for text from the wire: a choice the engine does not name must fail here.


@pytest.mark.parametrize("value", [value for value in Signing.values if value != Signing.NONE])
def test_every_signing_choice_is_a_digest(value):
    assert as2.Digest(value).can_sign


@pytest.mark.parametrize(
    "value", [value for value in MdnSigning.values if value != MdnSigning.UNSIGNED]
)
def test_every_mdn_signing_choice_is_a_digest(value):
    assert as2.Digest(value).can_sign


@pytest.mark.parametrize(
    "value", [value for value in Encryption.values if value != Encryption.NONE]
)
def test_every_encryption_choice_is_a_content_cipher(value):
    assert as2.ContentCipher(value)


@pytest.mark.parametrize(
    "value", [value for value in KeyTransport.values if value != KeyTransport.RSA]
)
def test_every_oaep_choice_names_a_digest(value):
    assert as2.Digest(value.removeprefix("oaep-"))
