"""One local Superset site: its folder, its one-time setup, and its web server process.

The folder holds Superset's metadata database (SQLite, via `SUPERSET_HOME` and
`infra/superset/superset_config.py`), its log, and `secrets.json` (owner-only) with the
generated secret key and admin password, so a restarted site keeps its users, its
encrypted settings and its login. Nothing here prints a password: users are told the file.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

from taxi_platform.settings import INFRA_DIR
from taxi_platform_dev.bi.superset_api import SupersetClient, SupersetError
from taxi_platform_dev.bi.superset_env import SUPERSET_VERSION, SupersetEnvironment, clean_environ
from taxi_platform_dev.local.processes import pid_alive, terminate

CONFIG_FILE = INFRA_DIR / "superset" / "superset_config.py"
ADMIN = "admin"


@dataclass
class SupersetServer:
    """Superset for `folder`, reading the marts through `bi_reader_url`, on 127.0.0.1:`port`."""

    folder: Path
    port: int
    bi_reader_url: str
    environment: SupersetEnvironment = field(default_factory=SupersetEnvironment)
    say: Callable[[str], None] = print
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def secrets_file(self) -> Path:
        return self.folder / "secrets.json"

    @property
    def log_file(self) -> Path:
        return self.folder / "superset.log"

    def secrets(self) -> dict[str, str]:
        """The site's secret key and admin password, generated at first use."""
        if not self.secrets_file.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            values = {
                "secret_key": secrets.token_urlsafe(42),
                "admin_password": secrets.token_urlsafe(18),
            }
            self.secrets_file.touch(mode=0o600)
            self.secrets_file.write_text(json.dumps(values, indent=2))
        return json.loads(self.secrets_file.read_text())

    def _env(self, **extra: str) -> dict[str, str]:
        return {
            **clean_environ(),
            "PATH": f"{self.environment.bin}{os.pathsep}{os.environ.get('PATH', '')}",
            "SUPERSET_CONFIG_PATH": str(CONFIG_FILE),
            "SUPERSET_HOME": str(self.folder),
            "SUPERSET_SECRET_KEY": self.secrets()["secret_key"],
            "TAXI_BI_READER_URL": self.bi_reader_url,
            **extra,
        }

    def _superset(self, *args: str, **extra_env: str) -> None:
        """Run one `superset` command; its output goes to the site's log."""
        with self.log_file.open("a") as log:
            result = subprocess.run(
                [str(self.environment.executable()), *args],
                env=self._env(**extra_env),
                cwd=self.folder,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        if result.returncode != 0:
            raise SupersetError(
                f"`superset {' '.join(args)}` failed (exit {result.returncode}): "
                f"see {self.log_file}"
            )

    @property
    def prepared_marker(self) -> Path:
        return self.folder / "prepared.json"

    def prepare(self) -> None:
        """Create or migrate the metadata database, the admin user and the roles.

        Done once per Superset version (about 45 s): the marker, written last, lets a
        restart skip it, and a new version in the environment runs the migrations again.
        """
        done = {"superset": SUPERSET_VERSION}
        if self.prepared_marker.exists() and json.loads(self.prepared_marker.read_text()) == done:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        self.say(f"preparing Superset's metadata database in {self.folder} …")
        self._superset("db", "upgrade")
        # The password travels in an environment variable click reads, never on the command line.
        self._superset(
            *("fab", "create-admin", "--username", ADMIN, "--firstname", "Taxi"),
            *("--lastname", "Admin", "--email", "admin@taxi-platform.invalid"),
            FLASK_FAB_CREATE_ADMIN_PASSWORD=self.secrets()["admin_password"],
        )
        self._superset("init")
        self.prepared_marker.write_text(json.dumps(done))

    def start(self, timeout: float = 180.0) -> None:
        """Start the web server and wait until its health check answers."""
        log = self.log_file.open("a")
        self.process = subprocess.Popen(
            [
                *(str(self.environment.executable()), "run", "--with-threads"),
                *("-h", "127.0.0.1", "-p", str(self.port)),
            ],
            env=self._env(),
            cwd=self.folder,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self._wait_ready(timeout)
        self.say(f"Superset ready on {self.url} (pid {self.process.pid})")

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SupersetError(
                    f"Superset exited with code {self.process.returncode}: see {self.log_file}"
                )
            try:
                if requests.get(f"{self.url}/health", timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        self.stop()
        raise SupersetError(f"Superset did not answer on {self.url} within {timeout:.0f}s")

    def stop(self) -> None:
        """Stop the web server by its PID (SIGTERM, then SIGKILL) and reap it."""
        if self.process is not None and pid_alive(self.process.pid):
            terminate(self.process.pid)
        if self.process is not None:
            self.process.wait()

    def client(self) -> SupersetClient:
        return SupersetClient(self.url, ADMIN, self.secrets()["admin_password"])

    def publish(self, bundle: Path) -> SupersetClient:
        """Import `bundle` (overwriting earlier imports); returns the logged-in client."""
        client = self.client()
        client.import_assets(bundle)
        self.say(f"imported {bundle.name} into Superset")
        return client
