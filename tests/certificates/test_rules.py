"""The rules of new certificates are written once (keystore.py) and every layer applies them."""

import pytest

from certificates import keystore
from certificates.forms import CertificateCreateForm
from certificates.models import Certificate
from certificates.services import CertificateRefused
from tests.certificates.factories import certificate_for, partner_certificate, rsa_key


def test_the_form_offers_and_bounds_what_the_keystore_accepts(tenant_a):
    form = CertificateCreateForm(tenant=tenant_a)
    validity = form.fields["validity_days"]
    assert validity.initial == keystore.DEFAULT_VALIDITY_DAYS
    assert (validity.min_value, validity.max_value) == (
        keystore.MIN_VALIDITY_DAYS,
        keystore.MAX_VALIDITY_DAYS,
    )
    assert form.fields["key_size"].initial == keystore.DEFAULT_KEY_SIZE
    for name in ("private_key_alias", "partner_alias"):
        assert form.fields[name].max_length == keystore.ALIAS_MAX_LENGTH
        assert Certificate._meta.get_field(name).max_length == keystore.ALIAS_MAX_LENGTH


@pytest.mark.parametrize("days", [keystore.MIN_VALIDITY_DAYS - 1, keystore.MAX_VALIDITY_DAYS + 1])
def test_validity_outside_the_limits_is_refused_by_the_service(partnership, days):
    with pytest.raises(CertificateRefused, match="between 1 and 3650 days"):
        certificate_for(partnership, validity_days=days)


def test_the_keystore_refuses_an_alias_longer_than_the_column():
    key = rsa_key()
    with pytest.raises(keystore.InvalidValue, match="at most 100 characters"):
        keystore.build_complete_keystore(
            password="keystore-Pa55word",
            private_key_alias="k" * (keystore.ALIAS_MAX_LENGTH + 1),
            key=key,
            certificate=partner_certificate("ours"),
            partner_alias="amazon",
            partner_certificate=partner_certificate(),
        )
