"""serverless_as2.storage_keys: every layout, with safe segments, under the tenant's folder."""

import hashlib

import pytest

from serverless_as2 import storage_keys
from serverless_as2.storage_keys import (
    keystore_key,
    message_key,
    public_key_key,
)

IDS = {"partner_as2_id": "amazon", "my_as2_id": "my company"}


def raw_key(tenant, message_id: str) -> str:
    return message_key(tenant, **IDS, direction="inbox", message_id=message_id, name="raw")


def test_certificate_files_sit_in_the_partnership_folder(tenant_a):
    folder = f"private/{tenant_a.id}/amazon/my_company/cert"
    assert public_key_key(tenant_a, **IDS) == f"{folder}/my_company-amazon.cer"
    assert keystore_key(tenant_a, **IDS) == f"{folder}/my_company-amazon.p12"
    assert public_key_key(tenant_a, **IDS, number=2) == f"{folder}/my_company-amazon-2.cer"
    assert keystore_key(tenant_a, **IDS, number=2, version=3) == (
        f"{folder}/my_company-amazon-2.3.p12"
    )


def test_long_as2_ids_are_cut_in_the_stem_never_in_the_extension(tenant_a):
    ids = {"partner_as2_id": "p" * 128, "my_as2_id": "m" * 128}
    longest = keystore_key(
        tenant_a,
        **ids,
        number=storage_keys.MAX_CERTIFICATE_NUMBER,
        version=storage_keys.MAX_KEYSTORE_VERSION,
    )
    name = longest.rsplit("/", 1)[1]
    assert name.endswith(f"-99.{storage_keys.MAX_KEYSTORE_VERSION}.p12")
    assert len(name) <= storage_keys.MAX_SEGMENT
    assert public_key_key(tenant_a, **ids).endswith(".cer")


@pytest.mark.parametrize("direction", ["inbox", "outbox"])
def test_message_files_sit_under_the_direction_and_message_id(tenant_a, direction):
    key = message_key(
        tenant_a, **IDS, direction=direction, message_id="1234@host.example", name="mdn.raw"
    )
    assert key == f"private/{tenant_a.id}/amazon/my_company/{direction}/1234@host.example/mdn.raw"


@pytest.mark.parametrize(
    ("first", "second"),
    [("a/b@x", "a_b@x"), ("<1@x>", "_1@x_"), ("m" * 101, "m" * 100), ("é@x", "ê@x")],
)
def test_message_ids_the_rule_changes_keep_folders_of_their_own(tenant_a, first, second):
    keys = {raw_key(tenant_a, message_id) for message_id in (first, second)}
    assert len(keys) == 2


def test_a_changed_message_id_ends_in_its_sha256(tenant_a):
    digest = hashlib.sha256(b"<1234@host.example>").hexdigest()[:16]
    key = raw_key(tenant_a, "<1234@host.example>")
    assert key.split("/")[5] == f"_1234@host.example__{digest}"


@pytest.mark.parametrize("message_id", ["../../etc/passwd", "..", "<a/b\r\n@x>", "", "é" * 300])
def test_a_message_id_cannot_leave_its_folder(tenant_a, message_id):
    key = raw_key(tenant_a, message_id)
    segments = key.split("/")
    assert segments[:5] == ["private", str(tenant_a.id), "amazon", "my_company", "inbox"]
    assert len(segments) == 7 and segments[6] == "raw"
    assert not segments[5].startswith(".") and 0 < len(segments[5]) <= storage_keys.MAX_SEGMENT
    assert all(ch.isascii() and ch.isprintable() for ch in key)


def test_a_message_direction_is_inbox_or_outbox(tenant_a):
    with pytest.raises(ValueError, match="'inbox' or 'outbox'"):
        message_key(tenant_a, **IDS, direction="../cert", message_id="x", name="raw")
