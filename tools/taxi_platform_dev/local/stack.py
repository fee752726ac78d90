"""The embedded stack's lifecycle: `up`, `down`, `reset`, `status`, `env`.

State (ports, PIDs, generated passwords and the Fernet key) lives in `stack.json` inside
the stack folder, readable only by its owner; `env` turns it into the platform's variables.
`up` is idempotent and serialised by a lock file, so a second `up` finds the first.
The data outlives `down` as an AWS account's does: PostgreSQL's in its data folder, the moto
servers' S3 objects and DynamoDB items saved by `down` to `moto/state.zip` and loaded by `up`.
`up` starts PostgreSQL and the two moto servers (`local/moto.py`) at once.
`reset` forgets both.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import secrets
import shlex
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from cryptography.fernet import Fernet

from taxi_platform.settings import INFRA_DIR, REPO_ROOT, SETTINGS, ConfigError, zones_csv_default
from taxi_platform.threads import each_in_threads
from taxi_platform_dev.local import moto_state
from taxi_platform_dev.local.moto import SERVERS, Endpoints, Launched, create_resources, launch_moto
from taxi_platform_dev.local.postgres import EmbeddedPostgres
from taxi_platform_dev.local.processes import choose_port, free_port, pid_alive, terminate

ROLES = ("postgres", "spark_writer", "stats_writer", "gold_writer", "bi_reader", "dagster")
WRITERS = {  # variable → (role, database, DDL file)
    "TAXI_POSTGRES_URL": ("spark_writer", "postgres", "postgres.sql"),
    "TAXI_DAILY_STATS_URL": ("stats_writer", "daily_stats_db", "daily_stats_db.sql"),
    "TAXI_GOLD_URL": ("gold_writer", "gold", "gold.sql"),
}


def default_home() -> Path:
    return Path(os.environ.get("TAXI_STACK_HOME") or REPO_ROOT / ".stack").resolve()


@dataclass
class Stack:
    """The embedded stack rooted at `home` (default `.stack/` in the repository)."""

    home: Path = field(default_factory=default_home)
    say: Callable[[str], None] = print

    @property
    def state_file(self) -> Path:
        return self.home / "stack.json"

    @property
    def moto_state(self) -> Path:
        """moto's S3 objects and DynamoDB items, saved by `down` and loaded by `up`."""
        return self.home / "moto" / "state.zip"

    @property
    def postgres(self) -> EmbeddedPostgres:
        return EmbeddedPostgres(self.home / "postgres")

    def load(self) -> dict[str, Any]:
        try:
            return json.loads(self.state_file.read_text())
        except FileNotFoundError:
            return {}

    def _save(self, state: dict[str, Any]) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.touch(mode=0o600)
        tmp.write_text(json.dumps(state, indent=2))
        tmp.replace(self.state_file)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.home.mkdir(parents=True, exist_ok=True)
        with (self.home / "stack.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def running(self, state: dict[str, Any] | None = None) -> dict[str, bool]:
        state = self.load() if state is None else state
        return {
            name: pid_alive(state.get(name, {}).get("pid"))
            for name in ("postgres", *SERVERS)
            if state.get(name)
        }

    def is_up(self) -> bool:
        alive = self.running()
        return bool(alive) and all(alive.values()) and len(alive) == 1 + len(SERVERS)

    def up(self) -> dict[str, Any]:
        """Start what is not running; a no-op (with a message) when everything already is."""
        with self._locked():
            state = self.load()
            if self.is_up():
                self.say(f"stack already running in {self.home} (`taxi-platform stack status`)")
                return state
            state.setdefault("passwords", {r: secrets.token_urlsafe(18) for r in ROLES})
            state.setdefault("fernet_key", Fernet.generate_key().decode())
            launched = self._launch_motos(state)
            try:
                self._up_postgres(state)
                self._up_motos(state, launched)
            except BaseException:
                for server in launched:  # not left running half set up, nor orphaned
                    terminate(server.process.pid)
                raise
            self._up_dagster_home()
            self._save(state)
            self.say(f'stack ready in {self.home}: eval "$(taxi-platform stack env)" to use it')
            return state

    def _up_postgres(self, state: dict[str, Any]) -> None:
        pg = self.postgres
        passwords = state["passwords"]
        if not pg.initialized():
            self.say("initialising PostgreSQL data folder …")
            pg.init(passwords["postgres"])
        if pid_alive(pg.pid()) and state.get("postgres"):
            state["postgres"]["pid"] = pg.pid()
            return
        port = choose_port("TAXI_STACK_PG_PORT", state.get("postgres", {}).get("port"))
        started = time.monotonic()
        pid = pg.start(port)
        state["postgres"] = {"pid": pid, "port": port}
        script = "".join(f"\\set {role}_password '{passwords[role]}'\n" for role in ROLES[1:])
        pg.psql(
            port, passwords["postgres"], script + (INFRA_DIR / "postgres/roles.sql").read_text()
        )
        for variable, (_, _, ddl) in WRITERS.items():
            with psycopg.connect(self._urls(state)[variable], autocommit=True) as conn:
                conn.execute((INFRA_DIR / "postgres" / ddl).read_text())
        self.say(
            f"PostgreSQL ready on 127.0.0.1:{port} (pid {pid}, {time.monotonic() - started:.1f}s)"
        )

    def _launch_motos(self, state: dict[str, Any]) -> list[Launched]:
        """Start the moto servers not running, without waiting for them (PostgreSQL starts
        meanwhile)."""
        moto = state.get("moto", {})
        if pid_alive(moto.get("pid")) and "moto_dynamodb" not in state:
            raise ConfigError(
                f"the stack in {self.home} runs one moto for S3 and DynamoDB (started before "
                "they had a server each): run `taxi-platform stack down` (it saves their data), "
                "then `taxi-platform stack up`"
            )
        launched = []
        for name, (_, port_variable) in SERVERS.items():
            if pid_alive(state.get(name, {}).get("pid")):
                continue
            port = choose_port(port_variable, state.get(name, {}).get("port"))
            launched.append(launch_moto(self.home / "moto", name, port))
        return launched

    def _up_motos(self, state: dict[str, Any], launched: list[Launched]) -> None:
        if not launched:
            return
        started = time.monotonic()
        for server in launched:
            state[server.name] = {"pid": server.ready(), "port": server.port}
        env = self.env(state)
        if self.moto_state.exists():  # into the servers started: one running kept its data
            restarted = {server.name for server in launched}
            self._load_moto(env, objects="moto" in restarted, tables="moto_dynamodb" in restarted)
        create_resources(
            Endpoints.of(env),
            env["AWS_REGION"],
            env["TAXI_LAKE_BUCKET"],
            {k: v for k, v in env.items() if k.endswith("_TABLE")},
        )
        where = ", ".join(f"{s.name} on 127.0.0.1:{s.port} (pid {s.process.pid})" for s in launched)
        self.say(f"ready: {where} ({time.monotonic() - started:.1f}s)")

    def _up_dagster_home(self) -> None:
        home = self.home / "dagster_home"
        # Owner-only: compute logs (storage/) may show what a step printed; Dagster has no
        # setting for their file modes (infra/dagster/dagster.yaml).
        for folder in (home, home / "storage"):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            folder.chmod(0o700)
        shutil.copyfile(INFRA_DIR / "dagster" / "dagster.yaml", home / "dagster.yaml")

    def down(self, save: bool = True) -> list[str]:
        """Stop every process the stack started, by PID; returns what was stopped.

        moto's data is saved first (`save`); when that fails nothing is stopped, so nothing
        is lost: the error says how to go on."""
        with self._locked():
            state = self.load()
            if save:
                self._save_moto(state)
            return self._stop(state)

    def _save_moto(self, state: dict[str, Any]) -> None:
        if not any(pid_alive(state.get(name, {}).get("pid")) for name in SERVERS):
            return  # nothing in memory: the last save (if any) stays what `up` loads
        env = self.env(state)
        self.say(f"saving the lake and counters to {self.moto_state} …")
        try:
            saved = moto_state.save(Endpoints.of(env), env["AWS_REGION"], self.moto_state, self.say)
        except Exception as exc:
            raise ConfigError(
                f"could not save moto's data to {self.moto_state} ({type(exc).__name__}: "
                f"{exc}); the stack is still running: free the space or fix the folder and "
                "run `taxi-platform stack down` again, or `taxi-platform stack reset` to stop "
                "it and forget its data"
            ) from exc
        self.say(f"saved {saved.summary()}")

    def reset(self) -> list[str]:
        """Stop the stack without saving and forget its data: the saved lake and counters,
        PostgreSQL's data folder and Dagster's local storage. Passwords and ports stay."""
        with self._locked():
            stopped = self._stop(self.load())
            self.moto_state.unlink(missing_ok=True)
            for folder in (self.postgres.data_dir, self.home / "dagster_home"):
                shutil.rmtree(folder, ignore_errors=True)
        return stopped

    def _stop(self, state: dict[str, Any]) -> list[str]:
        stopped: list[str] = []
        stops: list[Callable[[], object]] = []
        pg = self.postgres
        pid = pg.pid() or state.get("postgres", {}).get("pid")
        if pid_alive(pid):
            stops.append(pg.stop)
            stopped.append(f"postgres (pid {pid})")
        for name in (*SERVERS, *state.get("extra_processes", {})):
            entry = state.get(name) or state.get("extra_processes", {}).get(name, {})
            if pid_alive(entry.get("pid")):
                stops.append(functools.partial(terminate, entry["pid"]))
                stopped.append(f"{name} (pid {entry['pid']})")
        # All at once: each waits for its process to go (a fraction of a second apiece).
        each_in_threads(lambda stop: stop(), stops, len(stops))
        if pid_alive(pid):
            terminate(pid)  # PostgreSQL that pg_ctl could not stop
        for name in ("postgres", *SERVERS):
            state.get(name, {}).pop("pid", None)
        state.pop("extra_processes", None)
        if state:
            self._save(state)
        return stopped

    @contextlib.contextmanager
    def serving_saved(self, prefixes: Sequence[str] | None = None) -> Iterator[dict[str, str]]:
        """The stack's variables with S3 and DynamoDB served, for the block, by moto servers
        of their own holding what `down` last saved (with `prefixes`: only the objects under
        them, no tables, so no DynamoDB server: its variable names the S3 one, whose tables
        are as empty): a stopped stack read without starting it (its save is left as it was,
        whatever the block writes)."""
        names = ["moto"] if prefixes else list(SERVERS)
        with tempfile.TemporaryDirectory(prefix="taxi-saved-lake-") as folder:
            launched = [launch_moto(Path(folder), name, free_port()) for name in names]
            try:
                servers = {s.name: {"pid": s.ready(), "port": s.port} for s in launched}
                servers.setdefault("moto_dynamodb", servers["moto"])  # not the stopped one's
                env = self.env({**self.load(), **servers})
                self._load_moto(env, prefixes)
                yield env
            finally:
                for server in launched:
                    terminate(server.process.pid)

    def _load_moto(
        self,
        env: dict[str, str],
        prefixes: Sequence[str] | None = None,
        objects: bool = True,
        tables: bool = True,
    ) -> None:
        parts = [part for part, wanted in (("lake", objects), ("counters", tables)) if wanted]
        what = ", ".join(prefixes) if prefixes else "the " + " and ".join(parts)
        self.say(f"loading {what} saved in {self.moto_state} …")
        loaded = moto_state.load(
            Endpoints.of(env),
            env["AWS_REGION"],
            self.moto_state,
            self.say,
            prefixes,
            objects=objects,
            tables=tables,
        )
        self.say(f"loaded {loaded.summary()}")

    def register_process(self, name: str, pid: int, port: int | None = None) -> None:
        """Record a process started beside the stack (e.g. the log API simulator) for `down`."""
        with self._locked():
            state = self.load()
            state.setdefault("extra_processes", {})[name] = {"pid": pid, "port": port}
            self._save(state)

    def _urls(self, state: dict[str, Any]) -> dict[str, str]:
        port = state["postgres"]["port"]
        pw = state["passwords"]

        def url(role: str, database: str) -> str:
            return f"postgresql://{role}:{pw[role]}@127.0.0.1:{port}/{database}"

        urls = {var: url(role, db) for var, (role, db, _) in WRITERS.items()}
        urls["TAXI_BI_READER_URL"] = url("bi_reader", "daily_stats_db")
        urls["DAGSTER_PG_URL"] = url("dagster", "dagster")
        return urls

    def env(self, state: dict[str, Any] | None = None) -> dict[str, str]:
        """The platform's variables for this stack (empty when it was never started)."""
        state = self.load() if state is None else state
        if not state.get("postgres") or not state.get("moto"):
            return {}
        endpoint = f"http://127.0.0.1:{state['moto']['port']}"
        # Without a DynamoDB server of its own (a stack saved before it had one, a lake served
        # alone by `serving_saved`) the one moto serves DynamoDB too.
        dynamodb = state.get("moto_dynamodb") or state["moto"]
        defaults = {
            name: s.default
            for name, s in SETTINGS.items()
            if s.default is not None and not name.startswith("AWS_")
        }
        env = {
            **defaults,
            "TAXI_PLATFORM_ENV": "local",
            "AWS_REGION": "ap-northeast-2",
            "AWS_DEFAULT_REGION": "ap-northeast-2",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            # S3 and every other service (what a client of no own variable reaches)
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ENDPOINT_URL_S3": endpoint,
            "AWS_ENDPOINT_URL_DYNAMODB": f"http://127.0.0.1:{dynamodb['port']}",
            **self._urls(state),
            "TAXI_LOG_FERNET_KEY": state["fernet_key"],
            "TAXI_ZONES_URL": zones_csv_default(),
            "DAGSTER_HOME": str(self.home / "dagster_home"),
        }
        log_api = state.get("extra_processes", {}).get("log_api")
        if log_api and log_api.get("port"):
            env["TAXI_LOG_API_URL"] = f"http://127.0.0.1:{log_api['port']}/logs"
        connect = state.get("extra_processes", {}).get("spark_connect")  # local/spark_connect.py
        if connect and connect.get("port"):
            env["TAXI_SPARK_REMOTE"] = f"sc://127.0.0.1:{connect['port']}"
        return env

    def export_lines(self) -> str:
        return "\n".join(f"export {k}={shlex.quote(v)}" for k, v in self.env().items())

    def status_lines(self) -> list[str]:
        state = self.load()
        lines = [f"stack folder: {self.home}"]
        for name in ("postgres", *SERVERS, *state.get("extra_processes", {})):
            entry = state.get(name) or state.get("extra_processes", {}).get(name) or {}
            alive = pid_alive(entry.get("pid"))
            where = f"127.0.0.1:{entry['port']}" if entry.get("port") else "-"
            pid = entry.get("pid", "-")
            lines.append(f"{name:<13} {'running' if alive else 'stopped':<8} pid {pid} {where}")
        if self.moto_state.exists():
            saved = self.moto_state.stat()
            when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(saved.st_mtime))
            lines.append(
                f"saved lake and counters: {self.moto_state} ({saved.st_size / 2**20:.1f} MB, "
                f"{when}; `up` loads it)"
            )
        return lines
