"""`taxi-platform bi …`: build the Superset bundle, run Superset against the marts, say how
to run Grafana against the stack, and take the README's pictures of the dashboards.

They read `TAXI_BI_READER_URL` from the environment, else from the running local stack,
so they work as well against RDS (`export TAXI_BI_READER_URL=…`) as after `stack up`.
"""

from __future__ import annotations

import argparse
import os
import signal
from pathlib import Path

from taxi_platform.settings import REPO_ROOT, ConfigError
from taxi_platform_dev.bi.grafana_local import grafana_hint
from taxi_platform_dev.bi.screenshots import DEFAULT_OUT, screenshots_command
from taxi_platform_dev.bi.superset_bundle import build_bundle
from taxi_platform_dev.bi.superset_env import SupersetEnvironment
from taxi_platform_dev.bi.superset_server import SupersetServer
from taxi_platform_dev.local.processes import port_is_free
from taxi_platform_dev.local.stack import Stack
from taxi_platform_dev.ui_pictures import ui_pictures_command

DEFAULT_BUNDLE = REPO_ROOT / "build" / "superset_bundle.zip"


def bi_reader_url() -> str:
    """`TAXI_BI_READER_URL` if set, else the running local stack's, else a one-line error."""
    if os.environ.get("TAXI_BI_READER_URL"):
        return os.environ["TAXI_BI_READER_URL"]
    stack = Stack()
    if not stack.is_up():
        raise ConfigError(
            "TAXI_BI_READER_URL is not set and the local stack is not running: "
            "start it with `taxi-platform stack up` (or export TAXI_BI_READER_URL)"
        )
    return stack.env()["TAXI_BI_READER_URL"]


def _bundle_command(args: argparse.Namespace) -> int:
    out = build_bundle(args.out.resolve(), bi_reader_url())
    print(f"Superset bundle written to {out} (import: Dashboards → Import, or `bi superset`)")
    return 0


def _grafana_command(args: argparse.Namespace) -> int:
    print(grafana_hint(bi_reader_url(), Stack().home / "grafana"))
    return 0


def _superset_command(args: argparse.Namespace) -> int:
    url = bi_reader_url()
    if not port_is_free(args.port):
        raise ConfigError(f"port {args.port} on 127.0.0.1 is in use: pick another with --port")
    server = SupersetServer(Stack().home / "superset", args.port, url, SupersetEnvironment())
    server.environment.ensure()
    bundle = build_bundle(server.folder / "bundle.zip", url)
    server.prepare()

    def stop(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.start()
        server.publish(bundle)
        print(
            f"Superset on {server.url}: user admin, password in {server.secrets_file} "
            "— Ctrl+C stops it"
        )
        code = server.process.wait()
        print(f"Superset exited with code {code}: see {server.log_file}")
        return 1
    except KeyboardInterrupt:
        print("stopping Superset …")
        return 0
    finally:
        server.stop()


def add_cli(subparsers: argparse._SubParsersAction) -> None:
    bundle = subparsers.add_parser(
        "superset-bundle", help="build the Superset import ZIP for TAXI_BI_READER_URL"
    )
    bundle.add_argument("--out", type=Path, default=DEFAULT_BUNDLE, help="ZIP to write")
    bundle.set_defaults(func=_bundle_command)

    superset = subparsers.add_parser(
        "superset", help="run Superset on 127.0.0.1 with the Gold dashboards imported"
    )
    superset.add_argument("--port", type=int, default=8088)
    superset.set_defaults(func=_superset_command)

    grafana = subparsers.add_parser(
        "grafana", help="write Grafana's env file and print how to run its container"
    )
    grafana.set_defaults(func=_grafana_command)

    pictures = subparsers.add_parser(
        "screenshots",
        help="PNGs of the Grafana and Superset dashboards from the running (demo) stack",
    )
    pictures.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the PNGs")
    pictures.add_argument("--only", choices=["grafana", "superset"], help="one kind only")
    pictures.set_defaults(func=screenshots_command)

    ui = subparsers.add_parser(
        "ui-pictures",
        help="PNGs of the Dagster UI (asset lineage, an asset's page) over the (demo) stack",
    )
    ui.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the PNGs")
    ui.set_defaults(func=ui_pictures_command)
