"""Small process and port helpers shared by the stack's launchers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from taxi_platform.settings import ConfigError


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def choose_port(variable: str, remembered: int | None) -> int:
    """The port from `variable` (must be free), else the one used last time if free, else any."""
    wanted = os.environ.get(variable)
    if wanted:
        if not wanted.isdigit() or not 0 < int(wanted) < 65536:
            raise ConfigError(f"{variable}={wanted!r} is not a TCP port: set it to 1-65535")
        if not port_is_free(int(wanted)):
            raise ConfigError(
                f"port {wanted} on 127.0.0.1 ({variable}) is in use: stop what holds it, "
                f"or unset {variable} to let the stack pick a free port"
            )
        return int(wanted)
    if remembered and port_is_free(remembered):
        return remembered
    return free_port()


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie has exited; only its parent has not collected it yet. Its /proc entry can
    # vanish while it is read (the process being reaped that instant): gone, too.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return not Path("/proc/self").exists()  # no /proc (macOS): os.kill said it exists
    return stat.split(")")[-1].split()[0] != "Z"


def terminate(pid: int, timeout: float = 15.0) -> bool:
    """SIGTERM, then SIGKILL after `timeout`; True when the process is gone."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return True
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                return True
            time.sleep(0.1)
    return not pid_alive(pid)


def stop_group(process: subprocess.Popen, timeout: float = 30.0) -> None:
    """Stop a child started with `start_new_session=True` and everything it started (Dagster's
    code servers): SIGTERM to its process group, SIGKILL after `timeout`."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def listening(port: int) -> bool:
    """Something accepts connections on 127.0.0.1:`port` (probed without binding it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_for_port(port: int, timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if listening(port):
            return
        time.sleep(0.1)
    tail = f"; see {log}" if log else ""
    raise ConfigError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:.0f}s{tail}")


def spawn(command: Sequence[str], log_path: Path, env: Mapping[str, str]) -> subprocess.Popen:
    """A background process (moto, a companion) in its own session (Ctrl+C in a shell does
    not reach it), its output appended to `log_path`."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        return subprocess.Popen(
            list(command),
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def await_ready(
    process: subprocess.Popen, ready: Callable[[], bool], timeout: float, failure: str
) -> None:
    """Wait until `ready()`; if the process exits or `timeout` passes first, stop it and
    raise a ConfigError of `failure` (one line: what did not answer, and where its log is).
    Interrupted (Ctrl+C), the process is stopped too: nothing has registered it yet."""
    deadline = time.monotonic() + timeout
    try:
        while not ready():
            if process.poll() is not None or time.monotonic() > deadline:
                raise ConfigError(failure)
            time.sleep(0.2)
    except BaseException:
        terminate(process.pid)
        raise
