"""The rules every partnership obeys, whoever saves it: the service, the model, the database."""

import ast
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from partnerships.models import Partner, Partnership
from partnerships.services import partnership_create, partnership_update
from tests.conftest import make_instance, make_partner, make_partnership


def create(tenant, instance=None, partner=None, **settings) -> Partnership:
    """A partnership made through the service (make_partnership writes the row directly)."""
    return partnership_create(
        tenant=tenant,
        instance=instance or make_instance(tenant),
        partner=partner or make_partner(tenant),
        as2_url=settings.pop("as2_url", "https://partner.example/as2"),
        **settings,
    )


def refusal(error: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return error.value.message_dict


def test_create_saves_a_partnership_of_the_tenant(tenant_a):
    partnership = partnership_create(
        tenant=tenant_a,
        instance=make_instance(tenant_a),
        partner=make_partner(tenant_a),
        as2_url="https://amazon.example/as2",
        encrypt="none",
    )
    assert Partnership.objects.get() == partnership
    assert partnership.encrypt == "none" and partnership.sign == "sha256"


@pytest.mark.parametrize("foreign", ["instance", "partner"])
def test_create_refuses_another_tenants_instance_or_partner(tenant_a, tenant_b, foreign):
    rows = {
        "instance": make_instance(tenant_b if foreign == "instance" else tenant_a),
        "partner": make_partner(tenant_b if foreign == "partner" else tenant_a),
    }
    with pytest.raises(ValidationError) as error:
        partnership_create(tenant=tenant_a, as2_url="https://amazon.example/as2", **rows)
    sentence = "belongs to another tenant: a partnership joins an instance and a partner of its own"
    assert sentence in refusal(error)[foreign][0]
    assert Partnership.objects.count() == 0


def test_create_refuses_a_disabled_partner(tenant_a):
    partner = make_partner(tenant_a, enabled=False)
    with pytest.raises(ValidationError) as error:
        create(tenant_a, partner=partner)
    assert refusal(error) == {
        "partner": [
            "The partner amazon is disabled: enable it, or choose another partner for a new "
            "partnership."
        ]
    }


def test_update_keeps_working_for_a_partner_disabled_later(tenant_a):
    partnership = make_partnership(tenant_a)
    Partner.objects.update(enabled=False)
    partnership.refresh_from_db()
    partnership_update(partnership=partnership, sign="sha512")
    partnership.refresh_from_db()
    assert partnership.sign == "sha512"


@pytest.mark.parametrize(
    ("settings", "field", "sentence"),
    [
        ({"subject": "EDI\r\nBcc: x@evil.example"}, "subject", "The subject is sent as a"),
        ({"subject": "tab\there"}, "subject", "The subject is sent as a message header"),
        ({"as2_mdn_to": "a@b.example\nX-Evil: 1"}, "as2_mdn_to", "The as2MdnTo is sent as a"),
        ({"as2_url": "ftp://amazon.example/as2"}, "as2_url", "must start with http:// or https"),
        ({"as2_url": "not a url"}, "as2_url", "Enter a valid URL."),
        (
            {"encrypt": "none", "as2_url": "http://amazon.example/as2"},
            "encrypt",
            "Messages may go unencrypted only over https",
        ),
        ({"sign": "md5"}, "sign", "Value 'md5' is not a valid choice."),
    ],
)
def test_create_refuses_each_broken_setting(tenant_a, settings, field, sentence):
    with pytest.raises(ValidationError) as error:
        create(tenant_a, **settings)
    assert sentence in refusal(error)[field][0]
    assert Partnership.objects.count() == 0


def test_update_refuses_a_broken_setting_and_keeps_the_row(tenant_a):
    partnership = make_partnership(tenant_a)
    with pytest.raises(ValidationError, match="only over https"):
        partnership_update(partnership=partnership, encrypt="none", as2_url="http://a.example/")
    partnership.refresh_from_db()
    assert partnership.encrypt == "aes256"


def test_update_refuses_what_is_not_a_setting(tenant_a):
    partnership = make_partnership(tenant_a)
    with pytest.raises(TypeError, match="Not a partnership setting: partner"):
        partnership_update(partnership=partnership, partner=make_partner(tenant_a, "walmart"))


def test_the_pair_cannot_change_after_creation(tenant_a):
    partnership = make_partnership(tenant_a)
    partnership.partner = make_partner(tenant_a, "walmart")
    with pytest.raises(ValidationError) as error:
        partnership.full_clean()
    assert "cannot change after creation" in refusal(error)["partner"][0]


def test_the_tenant_cannot_change_after_creation(tenant_a, tenant_b):
    partnership = make_partnership(tenant_a)
    partnership.tenant = tenant_b
    with pytest.raises(ValidationError) as error:
        partnership.full_clean()
    assert refusal(error)["tenant"] == ["A record's tenant cannot change after creation."]


def test_a_second_partnership_for_the_pair_is_refused_with_a_sentence(tenant_a):
    existing = make_partnership(tenant_a)
    with pytest.raises(ValidationError) as error:
        create(tenant_a, existing.instance, existing.partner)
    assert refusal(error) == {
        "partner": ["mycompany already has a partnership with amazon; edit that one instead."]
    }


@pytest.mark.parametrize(
    "changes",
    [
        {"as2_url": "ftp://amazon.example/as2"},
        {"subject": "one\r\nBcc: two"},
        {"as2_mdn_to": "a@b.example\nX: 1"},
    ],
)
def test_the_database_refuses_what_bypasses_the_service(tenant_a, changes):
    partnership = make_partnership(tenant_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        Partnership.objects.filter(pk=partnership.pk).update(**changes)


WRITES = {"create", "bulk_create", "get_or_create", "update_or_create", "update", "bulk_update"}


def partnership_writes(source: str) -> list[int]:
    """Lines that write partnerships through the manager (`Partnership.objects.create(…)`)."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in WRITES
        and ast.unparse(node.func.value) == "Partnership.objects"
    ]


def test_partnerships_are_written_only_through_the_service():
    """Pages, the admin, management commands and benches all get the partnership rules."""
    root = Path(__file__).resolve().parents[2]
    offenders = [
        f"{path.relative_to(root)}:{line}"
        for folder in ("serverless_as2", "partnerships", "certificates", "tracklog", "bench")
        for path in sorted((root / folder).rglob("*.py"))
        if "migrations" not in path.parts
        for line in partnership_writes(path.read_text())
    ]
    assert offenders == []
