"""The container HEALTHCHECK script against a real local HTTP server."""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from healthcheck import check, healthcheck_url

pytestmark = pytest.mark.unit


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/healthz" else 503)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[int]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def test_healthy_and_unhealthy_answers(server: int) -> None:
    assert check(f"http://127.0.0.1:{server}/healthz") is True
    assert check(f"http://127.0.0.1:{server}/readyz") is False


def test_nothing_listening_is_unhealthy(server: int) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    assert check(f"http://127.0.0.1:{free}/healthz", timeout_s=1) is False


def test_url_follows_the_service() -> None:
    assert healthcheck_url({"ADMINT_IMAGE_SERVICE": "chunker", "ADMINT_HEALTH_PORT": "8081"}) == (
        "http://127.0.0.1:8081/healthz"
    )
    assert healthcheck_url({"ADMINT_IMAGE_SERVICE": "gateway"}) == "http://127.0.0.1:8000/healthz"
    assert (
        healthcheck_url({"ADMINT_IMAGE_SERVICE": "gateway", "ADMINT_HEALTHCHECK_URL": "http://x/h"})
        == "http://x/h"
    )
