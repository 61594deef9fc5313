"""certificates.selectors.partnership_keys: a partnership's keys, cached per process."""

import pytest
from cryptography.hazmat.primitives import serialization

from certificates import keystore, selectors
from certificates.selectors import NoCertificate, PartnershipKeys, partnership_keys
from certificates.services import certificate_delete, partner_certificate_rotate
from tests.certificates.factories import certificate_for, partner_certificate, partner_pem


@pytest.fixture(autouse=True)
def cold_cache():
    selectors.partnership_keys_cache_clear()
    yield
    selectors.partnership_keys_cache_clear()


@pytest.fixture
def keystore_loads(monkeypatch) -> list[str]:
    """Every opening of a keystore (the real function runs; each call is recorded)."""
    calls: list[str] = []
    load = keystore.load_private_keystore

    def counting_load(data: bytes, *, password: str, alias: str) -> keystore.PrivateKeyEntry:
        calls.append(alias)
        return load(data, password=password, alias=alias)

    monkeypatch.setattr(keystore, "load_private_keystore", counting_load)
    return calls


def _der(certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


def test_keys_are_ours_and_the_partners(partnership):
    certificate = certificate_for(partnership)
    keys = partnership_keys(partnership=partnership)
    assert isinstance(keys, PartnershipKeys)
    assert keystore.certificate_to_pem(keys.certificate).decode() == certificate.my_cert_pem
    assert keys.private_key.public_key() == keys.certificate.public_key()
    assert _der(keys.partner_certificate) == _der(partner_certificate())
    assert keys.earlier_partner_certificates == ()


def test_the_warm_path_opens_no_keystore_and_asks_one_query(
    partnership, keystore_loads, django_assert_num_queries
):
    certificate_for(partnership)
    first = partnership_keys(partnership=partnership)
    assert keystore_loads == [partnership.instance.my_as2_alias]
    with django_assert_num_queries(1):
        again = partnership_keys(partnership=partnership)
    assert again is first
    assert keystore_loads == [partnership.instance.my_as2_alias]
    info = selectors.partnership_keys_cache_info()
    assert (info.hits, info.loads, info.size) == (1, 1, 1)


def test_rotation_makes_the_next_lookup_return_the_new_partner_certificate(
    partnership, keystore_loads
):
    certificate = certificate_for(partnership)
    before = partnership_keys(partnership=partnership)
    partner_certificate_rotate(
        certificate=certificate, partner_certificate_file=partner_pem("amazon-2026")
    )
    after = partnership_keys(partnership=partnership)
    assert _der(after.partner_certificate) == _der(partner_certificate("amazon-2026"))
    assert [_der(c) for c in after.earlier_partner_certificates] == [_der(partner_certificate())]
    assert after.private_key.private_numbers() == before.private_key.private_numbers()
    partner_certificate_rotate(
        certificate=certificate, partner_certificate_file=partner_pem("amazon-2027")
    )
    newest = partnership_keys(partnership=partnership)
    assert [_der(c) for c in newest.earlier_partner_certificates] == [
        _der(partner_certificate("amazon-2026")),
        _der(partner_certificate()),
    ]
    assert len(keystore_loads) == 3 + 2  # 3 lookups; each rotation opens the keystore itself


def test_delete_makes_the_lookup_raise_no_certificate(partnership):
    certificate = certificate_for(partnership)
    partnership_keys(partnership=partnership)
    certificate_delete(certificate=certificate)
    with pytest.raises(NoCertificate, match=f"The partnership {partnership} has no certificate"):
        partnership_keys(partnership=partnership)
    assert selectors.partnership_keys_cache_info().size == 0


def test_a_new_certificate_after_a_delete_is_the_one_returned(partnership):
    certificate_delete(certificate=certificate_for(partnership))
    partnership.refresh_from_db()
    first_pem = certificate_for(partnership).my_cert_pem
    keys = partnership_keys(partnership=partnership)
    assert keystore.certificate_to_pem(keys.certificate).decode() == first_pem
    certificate_delete(certificate=partnership.certificate)
    partnership.refresh_from_db()
    second_pem = certificate_for(partnership).my_cert_pem
    keys = partnership_keys(partnership=partnership)
    assert keystore.certificate_to_pem(keys.certificate).decode() == second_pem != first_pem


def test_a_partnership_without_a_certificate_says_so(partnership):
    with pytest.raises(NoCertificate, match="create one on the Certificate page"):
        partnership_keys(partnership=partnership)


def test_the_cache_keeps_the_most_recently_used(partnership):
    cache = selectors._KeysCache(2)
    keys = object()
    for pk in (1, 2, 3):
        cache.put(pk, (pk, None, "", None), keys)  # type: ignore[arg-type]
    assert cache.get(1, (1, None, "", None)) is None  # type: ignore[arg-type]
    assert cache.get(3, (3, None, "", None)) is keys  # type: ignore[arg-type]
    assert cache.info().size == 2
