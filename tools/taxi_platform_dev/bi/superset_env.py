"""Superset's own virtual environment, built once with uv and reused.

Why a separate environment: Superset pins SQLAlchemy < 2 and pandas < 2.2 while the project
needs SQLAlchemy 2 and pandas ≥ 2.2, so the two can never share one. The environment lives
outside the repository in a cache folder (`$TAXI_SUPERSET_HOME`, default
`~/.cache/taxi_platform/superset-<version>`) so every checkout, test run and CI run on the
machine reuses it. A marker file holding the pins is written last: an interrupted install
has no marker and is redone, and changing a pin here reinstalls.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from taxi_platform.settings import ConfigError

SUPERSET_VERSION = "6.1.0"
# Known to work together: newer flask-caching and cachetools break Superset 6.1's cache setup.
PINS = (
    f"apache-superset=={SUPERSET_VERSION}",
    "psycopg2-binary",
    "flask-caching==2.4.1",
    "cachetools<7",
    "rich",
)
PYTHON = "3.11"
# Variables of the caller's virtual environment that would make uv or Superset use it.
FOREIGN_VARIABLES = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "UV_PROJECT_ENVIRONMENT")


def default_home() -> Path:
    cache = Path.home() / ".cache" / "taxi_platform" / f"superset-{SUPERSET_VERSION}"
    return Path(os.environ.get("TAXI_SUPERSET_HOME") or cache).resolve()


def clean_environ() -> dict[str, str]:
    """The caller's environment without the project's virtual environment in it."""
    return {k: v for k, v in os.environ.items() if k not in FOREIGN_VARIABLES}


def _uv() -> str:
    found = os.environ.get("UV") or shutil.which("uv")
    if not found:
        raise ConfigError("uv is not on PATH: install it (https://docs.astral.sh/uv/) and retry")
    return found


@dataclass(frozen=True)
class SupersetEnvironment:
    """The virtual environment at `home/venv`, complete when `home/installed.json` says so."""

    home: Path = field(default_factory=default_home)

    @property
    def bin(self) -> Path:
        return self.home / "venv" / "bin"

    @property
    def marker(self) -> Path:
        return self.home / "installed.json"

    def expected(self) -> dict[str, object]:
        return {"pins": list(PINS), "python": PYTHON}

    def installed(self) -> bool:
        try:
            return json.loads(self.marker.read_text()) == self.expected()
        except (FileNotFoundError, ValueError):
            return False

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Two first uses at once (CLI and a test) install once; the second waits."""
        self.home.mkdir(parents=True, exist_ok=True)
        with (self.home / "install.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def ensure(self, say: Callable[[str], None] = print) -> SupersetEnvironment:
        """Install the pinned Superset unless already installed; uv prints its progress."""
        with self._locked():
            if self.installed():
                return self
            say(f"installing Superset {SUPERSET_VERSION} into {self.home} (first use only) …")
            started = time.monotonic()
            self.marker.unlink(missing_ok=True)
            venv = self.home / "venv"
            self._run_uv("venv", "--clear", "--python", PYTHON, str(venv))
            self._run_uv("pip", "install", "--python", str(self.bin / "python"), *PINS)
            self.marker.write_text(json.dumps(self.expected()))
            say(f"Superset environment ready ({time.monotonic() - started:.0f}s)")
            return self

    def _run_uv(self, *args: str) -> None:
        result = subprocess.run([_uv(), *args], env=clean_environ())
        if result.returncode != 0:
            raise ConfigError(
                f"`uv {' '.join(args[:2])}` for Superset failed (exit {result.returncode}): "
                "see uv's output above; fix the cause and rerun (the install restarts)"
            )

    def executable(self, name: str = "superset") -> Path:
        return self.bin / name
