"""Login attempts as the rate limit (django-axes) counts them."""

from django.http import HttpRequest


def login_username(request: HttpRequest, credentials: dict | None) -> str:
    """The e-mail a login attempt names, as users are looked up (case and spaces ignored).

    Counting "A@x.com" and "a@x.com" apart would let each spelling try its own passwords.
    """
    value = (credentials or {}).get("username") or request.POST.get("username") or ""
    return str(value).strip().lower()[:254]
