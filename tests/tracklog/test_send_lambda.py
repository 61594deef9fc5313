"""Send File on Lambda refuses a file over what a synchronous request carries, saying so."""

import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from partnerships.limits import LAMBDA_BODY_BYTES
from tests.tracklog.conftest import partnership_with_certificate
from tracklog.models import Message


@pytest.mark.parametrize("serverless", [True, False])
def test_send_file_refuses_a_file_over_the_lambda_limit_on_lambda_only(
    client_a, tenant_a, settings, messaging_settings, serverless
):
    settings.SERVERLESS = serverless
    partnership = partnership_with_certificate(tenant_a, "alpha", "beta", "http://127.0.0.1:9/as2/")
    big = SimpleUploadedFile("big.edi", b"x" * (LAMBDA_BODY_BYTES + 1))
    response = client_a.post("/send/", {"partnership": partnership.pk, "files": [big]})
    if serverless:
        assert response.status_code == 200
        assert (
            f"The file is {LAMBDA_BODY_BYTES + 1:,} bytes; on Lambda a message can be at most "
            f"{LAMBDA_BODY_BYTES:,} bytes"
        ) in html.unescape(response.content.decode())
        assert not Message.objects.exists()
    else:
        assert response.status_code == 302
        assert Message.objects.get().size == LAMBDA_BODY_BYTES + 1
