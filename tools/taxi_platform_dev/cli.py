"""`taxi-platform`: the command users run — the local stack, `dev`, `demo`, simulators.

Every configuration problem ends in one line on stderr naming the variable or endpoint
and the fix (exit code 2), never in a traceback.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys

from taxi_platform.settings import REPO_ROOT, ConfigError, missing_in_aws, setting_problems
from taxi_platform_dev.domains import DEMO_DAYS, tool_modules
from taxi_platform_dev.local.processes import stop_group
from taxi_platform_dev.local.stack import Stack


def _stack_command(args: argparse.Namespace) -> int:
    stack = Stack()
    if args.action == "up":
        from taxi_platform_dev.local import spark_connect

        stack.up()
        spark_connect.start(stack)  # only with TAXI_ENGINE=spark
    elif args.action == "down":
        stopped = stack.down()
        print("stopped: " + ", ".join(stopped) if stopped else "nothing was running")
    elif args.action == "reset":
        stopped = stack.reset()
        print(
            ("stopped: " + ", ".join(stopped) + "; " if stopped else "") + "forgot the data in "
            f"{stack.home}: the lake and counters, PostgreSQL's databases, Dagster's storage"
        )
    elif args.action == "status":
        print("\n".join(stack.status_lines()))
        return 0 if stack.is_up() else 3
    elif args.action == "env":
        if not stack.is_up():
            raise ConfigError(
                "the local stack is not running: start it with `taxi-platform stack up`"
            )
        print(stack.export_lines())
    return 0


def _default_signals() -> None:
    """Run a child with default SIGINT/SIGTERM even when we were started in the background,
    and umask 077: what Dagster writes (compute logs, step outputs) is its owner's only."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.umask(0o077)


def _dev_command(args: argparse.Namespace) -> int:
    from taxi_platform_dev.bi.grafana_local import grafana_hint
    from taxi_platform_dev.local.services import start_companions

    def stop(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    stack = Stack()
    stack.up()
    dagster: subprocess.Popen | None = None
    # Everything after `up` inside the try: a companion that fails its health check (or a
    # Ctrl+C while they start) must not leave the stack's PostgreSQL and moto running.
    try:
        start_companions(stack)
        env = {**os.environ, **stack.env()}
        print(grafana_hint(env["TAXI_BI_READER_URL"], stack.home / "grafana"))
        print(f"Dagster UI on http://127.0.0.1:{args.port} — Ctrl+C stops Dagster and the stack")
        # This interpreter's Dagster, whether or not its virtualenv's bin/ is on PATH.
        dagster = subprocess.Popen(
            [
                *(sys.executable, "-m", "dagster", "dev", "-w", str(REPO_ROOT / "workspace.yaml")),
                *("-h", "127.0.0.1", "-p", str(args.port)),
            ],
            env=env,
            cwd=REPO_ROOT,
            preexec_fn=_default_signals,
            start_new_session=True,
        )
        dagster.wait()
    except KeyboardInterrupt:
        print("stopping Dagster …")
    finally:
        if dagster is not None:
            stop_group(dagster)
        stopped = stack.down()
        print("stopped: " + ", ".join(["dagster dev", *stopped] if dagster else stopped))
    return 0


def _demo_command(args: argparse.Namespace) -> int:
    from taxi_platform_dev.demo import run_demo

    return run_demo(keep=args.keep, days=args.days)


def _check_config_command(args: argparse.Namespace) -> int:
    problems = setting_problems()
    if problems:  # one line per variable set to a value it cannot take
        print("\n".join(f"taxi-platform: error: {p}" for p in problems), file=sys.stderr)
        return 2
    if args.connect:
        from taxi_platform.resources.wiring import build_resources
        from taxi_platform_dev.deploy.connectivity import probe_all

        probes = probe_all(build_resources())
        print("\n".join(probe.line() for probe in probes))
        return 0 if all(probe.ok for probe in probes) else 2
    missing = missing_in_aws()
    if missing:
        raise ConfigError(
            f"aws mode needs {', '.join(missing)}: export them (README, Configuration)"
        )
    print("aws configuration complete")
    return 0


def _aws_command(args: argparse.Namespace) -> int:
    from taxi_platform_dev.deploy.aws_env import export_lines, stack_outputs

    print(export_lines(stack_outputs(args.stack, args.region)))
    return 0


def _spark_command(args: argparse.Namespace) -> int:
    from taxi_platform_dev.spark_jars import fetch_jars

    jars = fetch_jars()
    print(f"{len(jars)} jars in {jars[0].parent}: " + ", ".join(jar.name for jar in jars))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="taxi-platform", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    stack = sub.add_parser(
        "stack",
        help="the embedded local stack (PostgreSQL, moto)",
        description="up: start it (loading the lake and counters `down` saved); down: save "
        "and stop; reset: stop without saving and forget its data; status; env: its variables",
    )
    stack.add_argument("action", choices=["up", "down", "reset", "status", "env"])
    stack.set_defaults(func=_stack_command)

    dev = sub.add_parser("dev", help="stack + simulators + `dagster dev` on 127.0.0.1")
    dev.add_argument("--port", type=int, default=3000)
    dev.set_defaults(func=_dev_command)

    demo = sub.add_parser("demo", help="run every asset end to end on a fresh local stack")
    demo.add_argument("--keep", action="store_true", help="leave the demo stack running")
    demo.add_argument(
        "--days",
        type=int,
        default=DEMO_DAYS,
        help=f"days of counters and click logs to simulate (1-31, default {DEMO_DAYS})",
    )
    demo.set_defaults(func=_demo_command)

    check = sub.add_parser(
        "check-config",
        help="report variables set to values they cannot take, and those aws mode lacks",
    )
    check.add_argument(
        "--connect",
        action="store_true",
        help="reach every service the settings name (read only), one line each",
    )
    check.set_defaults(func=_check_config_command)

    aws = sub.add_parser("aws", help="the aws environment from a deployed infra/aws stack")
    aws.add_argument("action", choices=["env"], help="print its variables as export lines")
    aws.add_argument("--stack", required=True, help="CloudFormation stack name")
    aws.add_argument("--region", help="the stack's region (default: AWS_REGION)")
    aws.set_defaults(func=_aws_command)

    spark = sub.add_parser("spark", help="the Spark jobs' JVM side")
    spark.add_argument(
        "action", choices=["jars"], help="fetch spark/pom.xml's jars with mvn into the cache"
    )
    spark.set_defaults(func=_spark_command)

    simulate = sub.add_parser("simulate", help="simulators of the company's data sources")
    simulators = simulate.add_subparsers(dest="simulator", required=True)
    for simulator in tool_modules("simulator"):
        simulator.add_cli(simulators)

    from taxi_platform_dev.bi.cli import add_cli as add_bi_cli
    from taxi_platform_dev.lake.shell import add_cli as add_sql_cli

    add_sql_cli(sub)

    bi = sub.add_parser("bi", help="BI over the marts: the Superset bundle, a local Superset")
    add_bi_cli(bi.add_subparsers(dest="bi_command", required=True))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"taxi-platform: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
