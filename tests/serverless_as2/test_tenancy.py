import pytest
from django.http import Http404

from partnerships.models import As2Instance
from serverless_as2.encryption import SecretUnreadable, secret_open, secret_seal
from serverless_as2.storage_keys import safe_segment, tenant_key
from serverless_as2.tenancy import tenant_get_or_404, tenant_queryset
from tests.conftest import make_instance


def test_tenant_queryset_holds_only_the_tenants_rows(tenant_a, tenant_b):
    mine = make_instance(tenant_a, "mine")
    make_instance(tenant_b, "theirs")
    assert list(tenant_queryset(As2Instance, tenant=tenant_a)) == [mine]


def test_another_tenants_row_is_a_404(tenant_a, tenant_b):
    theirs = make_instance(tenant_b, "theirs")
    with pytest.raises(Http404):
        tenant_get_or_404(As2Instance, tenant=tenant_a, pk=theirs.pk)


@pytest.mark.parametrize(
    ("as2_id", "segment"),
    [
        ("amazon", "amazon"),
        ("AS2 Server", "AS2_Server"),
        ("../../etc/passwd", "_.._etc_passwd"),
        ("..", "_"),
        ("a/b\\c", "a_b_c"),
        ("tab\there\x00nul", "tab_here_nul"),
        ("é-ü", "_-_"),
        ("", "_"),
        ("x" * 300, "x" * 100),
    ],
)
def test_safe_segment_cannot_escape_its_folder(as2_id, segment):
    assert safe_segment(as2_id) == segment
    assert "/" not in safe_segment(as2_id) and not safe_segment(as2_id).startswith(".")


def test_tenant_key_starts_with_the_tenant_folder(tenant_a):
    key = tenant_key(tenant_a, "amazon", "my company", "cert", "x.cer")
    assert key == f"private/{tenant_a.id}/amazon/my_company/cert/x.cer"


def test_sealed_secret_opens_and_is_not_the_plaintext(settings):
    token = secret_seal("keystore password")
    assert "keystore password" not in token
    assert secret_open(token) == "keystore password"


def test_secret_sealed_with_another_key_says_which_setting(settings):
    token = secret_seal("pw")
    settings.KEY_ENCRYPTION_KEY = "x" * 43 + "="
    with pytest.raises(SecretUnreadable, match="SAS2_KEY_ENCRYPTION_KEY"):
        secret_open(token)
