"""Every page that accepts a POST refuses one without the CSRF token; every form carries it."""

import re

from django.test import Client
from django.urls import get_resolver, reverse

from serverless_as2.models import User
from tests.test_isolation import PUBLIC, kwargs_for, tenant_a_rows, walk


def post_urls(rows: dict) -> list[str]:
    return [
        reverse(name, kwargs=kwargs)
        for name, pattern in walk(get_resolver())
        if name not in PUBLIC
        for kwargs in (kwargs_for(name, rows) if pattern.pattern.converters else [None])
    ]


def test_every_post_without_the_csrf_token_is_refused(tenant_a):
    rows = tenant_a_rows(tenant_a)
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(tenant=tenant_a))
    for url in post_urls(rows):
        assert client.post(url).status_code == 403, url
    assert Client(enforce_csrf_checks=True).post(reverse("login")).status_code == 403


def test_every_form_that_posts_carries_the_csrf_token(tenant_a):
    rows = tenant_a_rows(tenant_a)
    client = Client()
    client.force_login(User.objects.get(tenant=tenant_a))
    checked = 0
    for url in post_urls(rows):
        response = client.get(url)
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        for form in re.findall(r"<form[^>]*>.*?</form>", response.content.decode(), re.S):
            if 'method="post"' in form:
                assert 'name="csrfmiddlewaretoken"' in form, (url, form[:200])
                checked += 1
    assert checked >= 10
