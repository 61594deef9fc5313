"""Upload forms fed hostile input: Create Cert (generate, import), the keystore alias lookup,
partner certificate rotation and Send File answer a form error, never a 500."""

import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.certificates.factories import (
    KEYSTORE_PASSWORD,
    certificate_for,
    p12,
    partner_der,
    partner_pem,
    rsa_key,
    self_signed,
)
from tests.conftest import make_partnership
from tests.tracklog import fuzz_cases

ODD_TEXT = [*fuzz_cases.ODD_VALUES, "0", "-1", "99999999999999999999", "2048\x00", "None"]
FILE_MUTATIONS = [
    fuzz_cases.truncate,
    fuzz_cases.flip_bits,
    fuzz_cases.splice_garbage,
    fuzz_cases.duplicate_slice,
    fuzz_cases.cut_mime_framing,
    fuzz_cases.garbage_body,
]


def mutated(rng: random.Random, data: bytes) -> bytes:
    for mutation in rng.sample(FILE_MUTATIONS, rng.randint(1, 2)):
        data = mutation(rng, {}, data)[1]
    return data


def upload(rng: random.Random, data: bytes, name: str) -> SimpleUploadedFile:
    names = [name, "", "../../etc/passwd", "a\x00b.p12", "x" * 300 + ".p12", "é.cer"]
    return SimpleUploadedFile(rng.choice(names) or "f", mutated(rng, data))


@pytest.fixture(scope="module")
def keystore_bytes() -> bytes:
    return p12(rsa_key(), self_signed(rsa_key(), "mycompany"), alias="mycompany")


def assert_form_answer(response, what: str) -> None:
    assert response.status_code in (200, 302, 400, 404, 413), f"{what}: {response.status_code}"


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_certificate_forms_answer_hostile_uploads_with_a_form_error(
    client_a, free_partnership, keystore_bytes, seed
):
    # Examples share the partnership: once one makes its certificate, the next are refused.
    rng = random.Random(seed)
    partnership = free_partnership
    field = rng.choice(["password", "private_key_alias", "partner_alias", "key_size", "x"])
    form = {
        "instance": rng.choice([partnership.instance.pk, "x", -1, 10**20]),
        "partner": partnership.partner.pk,
        "mode": rng.choice(["generate", "import", "neither", ""]),
        "password": KEYSTORE_PASSWORD,
        "password_again": KEYSTORE_PASSWORD,
        "private_key_alias": "mycompany",
        "key_size": rng.choice(["2048", "1", "999999"]),
        "validity_days": rng.choice(["730", "0", "-5", "1e9", ""]),
        "keystore_file": upload(rng, keystore_bytes, "mine.p12"),
        "partner_certificate": upload(rng, rng.choice([partner_pem(), partner_der()]), "p.cer"),
        "partner_alias": "amazon",
        field: rng.choice(ODD_TEXT),
    }
    assert_form_answer(client_a.post("/certificates/new/", form), f"create {seed}")
    aliases = {"keystore_file": upload(rng, keystore_bytes, "k.p12"), "password": "x"}
    assert_form_answer(client_a.post("/certificates/keystore-aliases/", aliases), "aliases")


@pytest.fixture
def free_partnership(tenant_a):
    return make_partnership(tenant_a, as2_url="https://partner.example/as2")


@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_partner_certificate_rotation_answers_hostile_uploads_with_a_form_error(
    client_a, rotation_certificate, seed
):
    rng = random.Random(seed)
    form = {
        "partner_certificate": upload(rng, rng.choice([partner_pem(), partner_der()]), "p.cer"),
        "partner_alias": rng.choice(["amazon", *ODD_TEXT]),
    }
    response = client_a.post(f"/certificates/{rotation_certificate.pk}/", form)
    assert_form_answer(response, f"rotate {seed}")


@pytest.fixture
def rotation_certificate(tenant_a):
    from tests.conftest import make_instance, make_partner

    partnership = make_partnership(
        tenant_a, make_instance(tenant_a, "me2"), make_partner(tenant_a, "p2")
    )
    return certificate_for(partnership)


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_send_file_answers_hostile_input_with_a_form_error(client_a, rotation_certificate, seed):
    rng = random.Random(seed)
    partnership = rotation_certificate.partnership
    files = [upload(rng, b"ISA*00*~GS*PO~" * rng.randint(0, 50), "a.edi")]
    if rng.random() < 0.3:
        files.append(SimpleUploadedFile("empty.edi", b""))
    form = {
        "partnership": rng.choice([partnership.pk, "x", -1, 10**20, ""]),
        "files": rng.choice([files, []]),
        "content_type": rng.choice(["", "application/EDI-X12", *ODD_TEXT]),
        "subject": rng.choice(["", "$filename$", *ODD_TEXT]),
    }
    assert_form_answer(client_a.post("/send/", form), f"send {seed}")


def test_a_multipart_body_with_broken_framing_is_a_form_error(client_a):
    body = b"--xyz\r\nContent-Disposition: form-data; name=files; filename=a\r\n\r\nISA"
    response = Client.post(
        client_a, "/send/", body, content_type="multipart/form-data; boundary=xyz"
    )
    assert response.status_code in (200, 400)
