"""The login page under abuse, over the wire, as `make run` serves it.

Run: .venv/bin/python bench/login_limits.py

Loopback only. Starts scripts/serve (gunicorn, 2 sync workers) on a throwaway data folder, then:
1. an anonymous POST to /accounts/login/ announcing 1 GB (multipart): the status, how long the
   answer took and how much of the body the server had taken when it answered (it should
   answer at once, from the headers, having read nothing);
2. 50 wrong passwords for one e-mail from one client: how many the server tried (200, the form
   again) and how many it refused (429), and the time taken; then the right password from the
   same client (refused while locked) and from another address is not possible on loopback, so
   the tests (tests/serverless_as2/test_security.py) cover that.
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

os.environ.setdefault("SAS2_LOG_LEVEL", "WARNING")
os.environ.setdefault("SAS2_ACCESS_LOG", "0")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import inbound  # noqa: E402  (sets up Django in a throwaway data folder)
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


def wrong_passwords(port: int, email: str, count: int = 50) -> None:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    url = f"http://127.0.0.1:{port}/accounts/login/"
    statuses: dict[int, int] = {}
    started = time.perf_counter()
    for n in range(count + 1):
        page = opener.open(url, timeout=30).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        password = inbound.PASSWORD if n == count else f"wrong-password-{n}"
        data = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": email, "password": password}
        ).encode()
        request = urllib.request.Request(url, data=data, headers={"Referer": url})
        try:
            status = opener.open(request, timeout=30).status
        except urllib.error.HTTPError as error:
            status = error.code
        if n < count:
            statuses[status] = statuses.get(status, 0) + 1
        else:
            print(f"then the right password from the same client: HTTP {status}")
    seconds = time.perf_counter() - started
    print(
        f"{count} wrong passwords for one e-mail in {seconds:.1f} s: "
        + ", ".join(f"HTTP {code}: {n}" for code, n in sorted(statuses.items()))
        + " (200: the password was checked; 429: refused without checking it)"
    )


def main() -> None:
    inbound.setup()
    call_command("collectstatic", "--noinput", verbosity=0)  # as make run does: pages need it
    port = inbound.free_port()
    server = inbound.Server(port)
    try:
        big_post(port)
        wrong_passwords(port, "bench@example.com")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
