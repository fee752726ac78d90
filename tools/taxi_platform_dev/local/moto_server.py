"""moto's server, handling one request at a time: `python -m taxi_platform_dev.local.moto_server`.

Why: moto applies a DynamoDB `UpdateItem` as read, modify, write without a lock, so two
concurrent `ADD`s to one item can lose one (a test saw 69 of 70 under load), where DynamoDB
applies every update atomically; the platform's counters rely on that. moto's work is Python
under one GIL anyway, so handling one request at a time costs it almost no throughput, while
each connection keeps its own thread (clients that keep connections open do not block each
other between requests). The rest is `moto.server.main`: the same app, request handler and
signal handling.

Two lookups moto repeats on every request give the same answer for the life of the process
(`static_lookups_once`): which backend packages exist (a directory listing and ~50 `stat`s
to route each request) and a responses class's method names (`inspect.getmembers`). Done
once, they took a DynamoDB `UpdateItem` from about 2.5 to 1.5 ms of moto's CPU (measured in
process over moto's WSGI app, 1,000 updates), and moto's CPU is what bounds the demo's
counters lane.
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterable
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


class OneRequestAtATime:
    """A WSGI app that runs the wrapped app for one request at a time."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))  # as moto's main: its URLs name it
    # A line per request (thousands in a demo) is work moto's one core does for nobody; the
    # server's warnings and errors still reach its log.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    static_lookups_once()
    signal.signal(signal.SIGINT, signal_handler)
    signal.signal(signal.SIGTERM, signal_handler)
    app = OneRequestAtATime(DomainDispatcherApplication(create_backend_app))
    run_simple(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
