"""LogApiResource against a real HTTP server on 127.0.0.1 that fails on purpose."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.fernet import Fernet

from taxi_platform.resources.log_api import LogApiError, LogApiResource
from taxi_platform.settings import ConfigError


@pytest.fixture
def flaky_server():
    """Answers 503 to the first `failures` requests, then 200 with a fixed body."""
    state = {"failures": 0, "calls": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            state["calls"] += 1
            ok = state["calls"] > state["failures"]
            body = b'{"recordId": "r1", "data": "x"}' if ok else b"busy"
            self.send_response(200 if ok else 503)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/logs", state
    server.shutdown()


def test_retries_then_succeeds(flaky_server):
    url, state = flaky_server
    state["failures"] = 2
    api = LogApiResource(url=url, retries=3, backoff_seconds=0.01)
    assert api.fetch() == b'{"recordId": "r1", "data": "x"}'
    assert state["calls"] == 3


def test_gives_up_with_a_clear_error(flaky_server):
    url, state = flaky_server
    state["failures"] = 99
    api = LogApiResource(url=url, retries=2, backoff_seconds=0.01)
    with pytest.raises(LogApiError, match=r"failed 2 times \(last: HTTP 503\).*TAXI_LOG_API_URL"):
        api.fetch()
    assert state["calls"] == 2


def test_connection_refused_is_reported():
    api = LogApiResource(url="http://127.0.0.1:1/logs", retries=1, backoff_seconds=0)
    with pytest.raises(LogApiError, match="ConnectionError"):
        api.fetch()


def test_bad_key_error_never_shows_the_key():
    secret = "this-is-not-a-fernet-key-but-secret"
    with pytest.raises(ConfigError) as error:
        LogApiResource(url="http://x", fernet_key=secret).fernet()
    assert "TAXI_LOG_FERNET_KEY" in str(error.value)
    assert secret not in str(error.value)
    key = Fernet.generate_key().decode()
    token = LogApiResource(fernet_key=key).fernet().encrypt(b"hello")
    assert Fernet(key).decrypt(token) == b"hello"
