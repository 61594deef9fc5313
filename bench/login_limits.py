"""The login page under abuse, over the wire, as `make run` serves it.

Run: .venv/bin/python bench/login_limits.py

Loopback only. Starts scripts/serve (gunicorn, 2 sync workers) on a throwaway data folder, then:
1. an anonymous POST to /accounts/login/ announcing 1 GB (multipart): the status, how long the
   answer took and how much of the body the server had taken when it answered (it should
   answer at once, from the headers, having read nothing);
2. 50 wrong passwords for one e-mail from one client: how many the server tried (200, the form
   again) and how many it refused (429), and the time taken; then the right password from the
   same client (refused while locked) and from another address is not possible on loopback, so
   the tests (tests/serverless_as2/test_security.py) cover that;
3. 8 clients at once from the same address, each guessing with e-mails never tried before: how
   many the server checked before the address's own limit (SAS2_LOGIN_ADDRESS_FAILURE_LIMIT)
   refused the rest.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

os.environ.setdefault("SAS2_LOG_LEVEL", "WARNING")
os.environ.setdefault("SAS2_ACCESS_LOG", "0")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import inbound  # noqa: E402  (sets up Django in a throwaway data folder)
from axes.utils import reset  # noqa: E402
from django.core.management import call_command  # noqa: E402


def big_post(port: int) -> None:
    length = 1024**3
    head = (
        "POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: multipart/form-data; boundary=xyz\r\n"
        f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
    ).encode()
    sent = 0
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head)
        sock.setblocking(False)
        chunk = b"--xyz\r\n" + b"x" * 65536
        answer = b""
        while sent < length:
            try:
                answer += sock.recv(65536)
            except BlockingIOError:
                pass
            if answer:
                break
            try:
                sent += sock.send(chunk)
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                time.sleep(0.001)
            if time.perf_counter() - started > 30:
                break
    seconds = time.perf_counter() - started
    status = answer[9:12].decode() or "none"
    print(
        f"1 GB POST to /accounts/login/: HTTP {status} after {seconds * 1000:.0f} ms, "
        f"{sent / 1024**2:.1f} MB of the body sent by then"
    )


class Browser:
    """One client of the login page, with its own cookies and CSRF token."""

    def __init__(self, port: int) -> None:
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        self.url = f"http://127.0.0.1:{port}/accounts/login/"

    def login(self, email: str, password: str) -> int:
        page = self.opener.open(self.url, timeout=30).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": email, "password": password}
        ).encode()
        request = urllib.request.Request(  # noqa: S310 (http://127.0.0.1, built above)
            self.url, data=data, headers={"Referer": self.url}
        )
        try:
            return self.opener.open(request, timeout=30).status
        except urllib.error.HTTPError as error:
            return error.code


def tally(statuses: list[int]) -> str:
    counts = {code: statuses.count(code) for code in sorted(set(statuses))}
    return ", ".join(f"HTTP {code}: {n}" for code, n in counts.items()) + (
        " (200: the password was checked; 429: refused without checking it)"
    )


def wrong_passwords(port: int, email: str, count: int = 50) -> None:
    browser = Browser(port)
    started = time.perf_counter()
    statuses = [browser.login(email, f"wrong-password-{n}") for n in range(count)]
    seconds = time.perf_counter() - started
    print(f"{count} wrong passwords for one e-mail in {seconds:.1f} s: {tally(statuses)}")
    print(
        f"then the right password from the same client: HTTP {browser.login(email, inbound.PASSWORD)}"
    )


def guessers(port: int, clients: int = 8, count: int = 25) -> None:
    """`clients` at once from one address, each guess at an e-mail never tried before."""

    def guess(client: int) -> list[int]:
        browser = Browser(port)
        return [browser.login(f"guess{client}-{n}@example.com", "wrong") for n in range(count)]

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        statuses = [status for answers in pool.map(guess, range(clients)) for status in answers]
    seconds = time.perf_counter() - started
    print(
        f"{clients} clients from one address, {count} made-up e-mails each, in {seconds:.1f} s: "
        f"{tally(statuses)}"
    )


def main() -> None:
    inbound.setup()
    call_command("collectstatic", "--noinput", verbosity=0)  # as make run does: pages need it
    port = inbound.free_port()
    server = inbound.Server(port)
    try:
        big_post(port)
        wrong_passwords(port, "bench@example.com")
        reset()  # as an operator would (manage.py axes_reset): phase 3 starts from no failures
        guessers(port)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
