"""One label style on every form: the product's field names where the product shows them,
capitalised plain words for what we add, and one label for a field wherever it appears.

The forms are read as the pages render them (templates write some labels themselves)."""

import html
import re

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.certificates.factories import certificate_for, pem_of, rsa_key, self_signed
from tests.conftest import make_partnership

# The field names the product's documentation shows (docs: ../shared/product/), kept as spelt.
PRODUCT_FIELD_NAMES = {
    "my_as2_id",
    "my_name",
    "my_as2_alias",
    "my_email",
    "partner_as2_id",
    "partner_name",
    "partner_as2_alias",
    "partner_email",
    "my_as2",
    "partner_as2",
    "as2_url",
    "encrypt",
    "sign",
    "subject",
    "as2MdnTo",
    "contentTransferEncoding",
    "certificate",
    "password",
    "privateKeyAlias",
    "alias",
}
# Where the product itself names one field two ways: the PartnerShip form says my_as2 and
# partner_as2, Create Cert my_as2_id and partner_as2_id.
PRODUCT_VARIANTS = {
    "instance": {"my_as2", "my_as2_id"},
    "partner": {"partner_as2", "partner_as2_id"},
}
LABEL = re.compile(r'<label for="id_(\w+)"[^>]*>(.*?)</label>', re.S)


def labels(page: str) -> dict[str, str]:
    """field -> the text of its label (a radio button's own label is not the field's)."""
    found = {}
    for field, inner in LABEL.findall(page):
        if re.search(r"_\d+$", field):
            continue
        text = html.unescape(re.sub(r"<[^>]+>", "", inner))
        found[field] = " ".join(text.split()).rstrip(" *")
    return found


def rendered_forms(client, tenant) -> dict[str, dict[str, str]]:
    partnership = make_partnership(tenant)
    certificate = certificate_for(partnership)
    urls = [
        "/instances/new/",
        f"/instances/{partnership.instance.pk}/",
        "/partners/new/",
        f"/partners/{partnership.partner.pk}/",
        "/partnerships/new/",
        f"/partnerships/{partnership.pk}/",
        "/certificates/new/",
        f"/certificates/{certificate.pk}/",
        "/send/",
        "/tracklog/",
    ]
    pages = {url: client.get(url).content.decode() for url in urls}
    weak = SimpleUploadedFile("weak.cer", pem_of(self_signed(rsa_key(1024), "weak")))
    url = f"/certificates/{certificate.pk}/"
    pages[f"{url} (weak key)"] = client.post(url, {"partner_certificate": weak}).content.decode()
    return {url: labels(page) for url, page in pages.items()}


def test_every_label_is_a_product_field_name_or_capitalised(client_a, tenant_a):
    forms = rendered_forms(client_a, tenant_a)
    assert "accept_weak_key" in forms[next(url for url in forms if "weak" in url)]
    odd = [
        f"{url}: {field} is labelled {label!r}"
        for url, found in forms.items()
        for field, label in found.items()
        if label not in PRODUCT_FIELD_NAMES and not label[:1].isupper()
    ]
    assert odd == []


def test_a_field_has_the_same_label_on_every_form(client_a, tenant_a):
    seen: dict[str, dict[str, list[str]]] = {}  # field -> label -> the pages using it
    for url, found in rendered_forms(client_a, tenant_a).items():
        for field, label in found.items():
            seen.setdefault(field, {}).setdefault(label, []).append(url)
    assert {"/send/", "/partnerships/new/"} <= {
        url for urls in seen["content_type"].values() for url in urls
    }
    differing = {
        field: by_label
        for field, by_label in seen.items()
        if len(by_label) > 1 and set(by_label) != PRODUCT_VARIANTS.get(field)
    }
    assert differing == {}
