import pytest
from django.test import RequestFactory

from serverless_as2.endpoints import inbound_url


def test_inbound_url_is_the_public_base_url_and_the_tenants_path(tenant_a, settings):
    settings.PUBLIC_BASE_URL = "https://as2.example.com"
    assert inbound_url(tenant=tenant_a) == f"https://as2.example.com/as2/{tenant_a.id}/"


def test_inbound_url_falls_back_to_the_requests_host(tenant_a, settings):
    settings.PUBLIC_BASE_URL = ""
    request = RequestFactory().get("/partnerships/new/", HTTP_HOST="localhost")
    url = inbound_url(tenant=tenant_a, request=request)
    assert url == f"http://localhost/as2/{tenant_a.id}/"


def test_inbound_url_outside_a_request_needs_the_public_base_url(tenant_a, settings):
    settings.PUBLIC_BASE_URL = ""
    with pytest.raises(ValueError, match="Set SAS2_PUBLIC_BASE_URL"):
        inbound_url(tenant=tenant_a)


def test_the_inbound_route_still_answers_at_that_url(client, tenant_a, settings):
    settings.PUBLIC_BASE_URL = "https://as2.example.com"
    path = inbound_url(tenant=tenant_a).removeprefix("https://as2.example.com")
    assert client.post(path, b"", content_type="application/pkcs7-mime").status_code != 404
