"""moto's server, handling one request at a time: `python -m taxi_platform_dev.local.moto_server`.

Why one request at a time: moto applies a DynamoDB `UpdateItem` as read, modify, write without
a lock, so two concurrent `ADD`s to one item can lose one (a test saw 69 of 70 under load),
where DynamoDB applies every update atomically; the platform's counters rely on that. moto's
work is Python under one GIL anyway, so handling one request at a time costs it almost no
throughput, while each connection keeps its own thread (clients that keep connections open do
not block each other between requests).

Why `--service`: the stack runs DynamoDB in a server of its own (`local/moto.py`), so the
counters' thousands of updates and the lake's S3 requests use two cores instead of queueing
behind one lock. Such a server answers with that service's app directly: moto's dispatcher
otherwise finds the app for every request (its host lookup and module list were ~9 % of an
`UpdateItem`). A request signed for another service gets an error naming the variable to fix.

Two lookups moto repeats on every request give the same answer for the life of the process
(`static_lookups_once`): which backend packages exist (a directory listing and ~50 `stat`s
to route each request through the dispatcher) and a responses class's method names
(`inspect.getmembers`, in every server). Done once, they took a DynamoDB `UpdateItem` from
about 2.5 to 1.5 ms of moto's CPU (in process over the dispatcher's app, 1,000 updates).

The rest is `moto.server.main`: the same apps, request handler and signal handling.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterable
from html import escape
from typing import Any

import moto.backends
import moto.core.responses
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.server import signal_handler
from werkzeug.serving import run_simple

WsgiApp = Callable[[dict[str, Any], Callable], Iterable[bytes]]


class OneRequestAtATime:
    """A WSGI app that runs the wrapped app for one request at a time."""

    def __init__(self, app: WsgiApp) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        with self._lock:
            return self._app(environ, start_response)


def static_lookups_once() -> None:
    """Answer moto's per-request lookups of fixed facts from a cache (see the docstring).
    `get_backend_for_host` calls `moto.backends.list_of_moto_modules` through the module, and
    `BaseResponse.call_action` the name `method_names_from_class` bound in its module."""
    modules = tuple(moto.backends.list_of_moto_modules())
    moto.backends.list_of_moto_modules = lambda: modules
    responses = moto.core.responses
    responses.method_names_from_class = functools.cache(responses.method_names_from_class)


def signed_service(environ: dict[str, Any]) -> str | None:
    """The service a SigV4-signed request names in its credential scope (None: unsigned)."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    try:
        scope = auth.split(",")[0].split()[1]  # Credential=KEY/date/region/service/aws4_request
        return scope.split("/")[3].lower()
    except IndexError:
        return None


class OneService:
    """The app of one moto service; requests signed for another service are refused."""

    def __init__(self, service: str) -> None:
        self._service = service
        self._app = create_backend_app(service)

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        asked = signed_service(environ)
        if asked in (None, self._service):
            return self._app(environ, start_response)
        variable = f"AWS_ENDPOINT_URL_{asked.upper().replace('-', '_')}"
        message = (
            f"this moto server serves only {self._service}, not {asked}: point {variable} "
            "(or AWS_ENDPOINT_URL) at the stack's other moto (`taxi-platform stack env`)"
        )
        if environ.get("HTTP_X_AMZ_TARGET"):  # a JSON protocol (DynamoDB's)
            body = json.dumps({"__type": "WrongEndpoint", "message": message})
            kind = "application/x-amz-json-1.0"
        else:  # an XML one (S3's, as botocore parses it)
            body = f"<Error><Code>WrongEndpoint</Code><Message>{escape(message)}</Message></Error>"
            kind = "application/xml"
        start_response("400 Bad Request", [("Content-Type", kind)])
        return [body.encode()]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    parser.add_argument("--service", help="serve only this moto service (e.g. dynamodb)")
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))  # as moto's main: its URLs name it
    # A line per request (thousands in a demo) is work moto's one core does for nobody; the
    # server's warnings and errors still reach its log.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    static_lookups_once()
    signal.signal(signal.SIGINT, signal_handler)
    signal.signal(signal.SIGTERM, signal_handler)
    served = OneService(args.service) if args.service else None
    app = OneRequestAtATime(served or DomainDispatcherApplication(create_backend_app))
    run_simple(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
