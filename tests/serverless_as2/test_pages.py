"""Query parameters from the address bar: a bad value is an ignored filter, never a 500."""

import pytest

from tests.conftest import make_instance, make_partnership


@pytest.mark.parametrize("value", ["²", "١", "½", "-1", "1.0", " 1", "9" * 40, "abc", ""])
def test_bad_preselected_instance_is_ignored_not_a_500(client_a, tenant_a, value):
    make_instance(tenant_a)
    response = client_a.get("/partnerships/new/", {"instance": value})
    assert response.status_code == 200
    assert "selected>mycompany" not in response.content.decode()


@pytest.mark.parametrize("value", ["²", "١", "-1", "9" * 40])
def test_create_cert_ignores_a_bad_preselected_partnership(client_a, tenant_a, value):
    make_partnership(tenant_a)
    assert client_a.get("/certificates/new/", {"partnership": value}).status_code == 200


@pytest.mark.parametrize("url", ["/instances/", "/partners/", "/partnerships/"])
@pytest.mark.parametrize("query", [{"q": "amaz\x00on"}, {"page": "²"}, {"q": "\x1b[0m"}])
def test_lists_answer_bad_query_values_without_a_500(client_a, tenant_a, url, query):
    make_partnership(tenant_a)
    response = client_a.get(url, query)
    assert response.status_code == 200
    assert "\x00" not in response.content.decode()


@pytest.mark.parametrize("value", ["²", "١", "-1", "9" * 40, "1\x00"])
@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/send/", "partnership"),
        ("/tracklog/", "id"),
        ("/tracklog/", "partnership"),
        ("/tracklog/", "page"),
        ("/tracklog/", "date_from"),
        ("/tracklog/", "group"),
    ],
)
def test_messaging_pages_answer_bad_query_values_without_a_500(
    client_a, tenant_a, url, name, value
):
    make_partnership(tenant_a)
    assert client_a.get(url, {name: value}).status_code == 200
