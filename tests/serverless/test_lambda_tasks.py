"""Django tasks on Lambda: enqueue invokes the function asynchronously, Zappa's handler runs it.

A stand-in for the Lambda Invoke API (a live HTTP server on 127.0.0.1) records what boto3 sends;
the recorded payload is then handed to Zappa's handler, as Lambda would do.
"""

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from serverless_as2.lambda_tasks import LambdaBackend
from tests.serverless.sample_tasks import note_write
from tests.serverless.test_lambda_handler import CONTEXT

FUNCTION = "serverless-as2-production"


class LambdaInvokeStandIn(ThreadingHTTPServer):
    def __init__(self, status: int) -> None:
        super().__init__(("127.0.0.1", 0), InvokeHandler)
        self.status = status
        self.invocations: list[dict] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class InvokeHandler(BaseHTTPRequestHandler):
    server: LambdaInvokeStandIn

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.invocations.append(
            {
                "path": self.path,
                "type": self.headers.get("X-Amz-Invocation-Type"),
                "event": json.loads(body),
            }
        )
        self.send_response(self.server.status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args) -> None:
        pass


def stand_in(status: int) -> Iterator[LambdaInvokeStandIn]:
    server = LambdaInvokeStandIn(status)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def lambda_api(aws_credentials) -> Iterator[LambdaInvokeStandIn]:
    yield from stand_in(202)


@pytest.fixture
def refusing_lambda_api(aws_credentials) -> Iterator[LambdaInvokeStandIn]:
    yield from stand_in(429)


def backend(url: str) -> LambdaBackend:
    return LambdaBackend("default", {"OPTIONS": {"function_name": FUNCTION, "endpoint_url": url}})


def test_a_task_is_an_asynchronous_invocation_that_zappas_handler_runs(
    lambda_api, zappa_lambda, tmp_path
):
    note = tmp_path / "note.txt"
    result = backend(lambda_api.url).enqueue(note_write, (str(note), "sent at once"), {})
    assert result.status == "READY" and not note.exists()  # nothing ran in this request

    [invocation] = lambda_api.invocations
    assert invocation["path"] == f"/2015-03-31/functions/{FUNCTION}/invocations"
    assert invocation["type"] == "Event"
    event = invocation["event"]
    assert event["command"] == "serverless_as2.lambda_tasks.task_run"
    assert event["task"] == "tests.serverless.sample_tasks.note_write"

    answer = zappa_lambda(event, CONTEXT)  # what Lambda does with the invocation
    assert answer == {"task": event["task"], "task_id": result.id, "ran": True}
    assert note.read_text() == "sent at once"


def test_a_refused_invocation_leaves_the_work_to_the_schedule(refusing_lambda_api, caplog):
    with caplog.at_level(logging.WARNING, logger="serverless_as2.lambda_tasks"):
        result = backend(refusing_lambda_api.url).enqueue(note_write, ("/nowhere", "x"), {})
    assert result.status == "READY"
    assert refusing_lambda_api.invocations  # it was tried
    assert "the one-minute schedule will do the work" in caplog.text
