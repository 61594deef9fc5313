"""The partnership page warns where a setting could exceed Lambda's limits, when serverless."""

import html
import subprocess
import sys

import pytest

from tests.conftest import make_partnership
from tests.serverless_as2.test_settings import ROOT, app_env


def page_of(client, partnership) -> str:
    response = client.get(f"/partnerships/{partnership.pk}/")
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_no_lambda_warning_on_one_machine(client_a, tenant_a, settings):
    settings.SERVERLESS = False
    page = page_of(client_a, make_partnership(tenant_a, mdn_mode="sync"))
    assert "Lambda" not in page


def test_sync_mdn_on_lambda_warns_of_the_request_size_and_api_gateways_29_seconds(
    client_a, tenant_a, settings
):
    settings.SERVERLESS = True
    settings.SEND_CONNECT_TIMEOUT_SECONDS, settings.SEND_TIMEOUT_SECONDS = 10.0, 120.0
    page = page_of(
        client_a,
        make_partnership(tenant_a, mdn_mode="sync", content_transfer_encoding="base64"),
    )
    assert "at most about 4.5 MB (a synchronous request carries 6 MB" in page
    assert "API Gateway waits 29 s" in page and "ask the partner for async MDN" in page
    assert "base64 makes every message a third larger" in page
    assert "Sending waits up to 130 s for the partner's sync MDN" in page


def test_async_mdn_on_lambda_keeps_only_the_size_warning(client_a, tenant_a, settings):
    settings.SERVERLESS = True
    page = page_of(client_a, make_partnership(tenant_a, mdn_mode="async"))
    assert "at most about 4.5 MB" in page
    assert "29 s" not in page and "base64 makes" not in page


@pytest.mark.parametrize(
    ("variables", "expected"),
    [({}, "False"), ({"SAS2_SERVERLESS": "1"}, "True")],
    ids=["one-machine", "SAS2_SERVERLESS"],
)
def test_the_serverless_setting_follows_sas2_serverless(tmp_path, variables, expected):
    code = "import django; django.setup(); from django.conf import settings; print(settings.SERVERLESS)"
    env = app_env(tmp_path)
    env.pop("SAS2_SERVERLESS", None)
    env.update(variables)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.stdout.strip() == expected, result.stderr[-2000:]
