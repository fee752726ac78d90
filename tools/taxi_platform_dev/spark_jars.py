"""`taxi-platform spark jars`: Maven fetches the jars of `spark/pom.xml` into the project's cache.

Why through `mvn`: it resolves what hadoop-aws itself requires (the AWS SDK bundle at the
version that Hadoop release names), keeps its downloads in ~/.m2 for the next pom, and is
the same step the images' Maven build stages run. The folder is filled under a temporary
name and renamed at the end, so an interrupted fetch never looks complete; the folders of
earlier poms are removed then (the AWS SDK bundle alone is ~700 MB). Two first fetches at
once (the test suite's two workers, a CLI beside a test) take a lock: one runs Maven, the
other then finds the folder.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from taxi_platform.resources.java import resolve_java_home
from taxi_platform.resources.spark import hadoop_version
from taxi_platform.resources.spark_jars import (
    JARS_DIR_VARIABLE,
    POM,
    cache_dir,
    check_hadoop_matches,
    spark_jars,
)
from taxi_platform.settings import ConfigError


def fetch_jars() -> list[Path]:
    """The jars in the cache, fetched with mvn unless a complete copy is there already."""
    wheel_hadoop = hadoop_version()
    check_hadoop_matches(POM.read_text(), wheel_hadoop)
    target = cache_dir()
    target.parent.mkdir(parents=True, exist_ok=True)
    with (target.parent / ".fetch.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.is_dir():
            _fetch_into(target)
    return spark_jars(wheel_hadoop, {JARS_DIR_VARIABLE: str(target)})


def _fetch_into(target: Path) -> None:
    """Maven into a temporary folder beside `target`, renamed to it once complete."""
    mvn = shutil.which("mvn")
    if not mvn:
        raise ConfigError("mvn not found: install Maven 3 (apt-get install maven) and run again")
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    command = [
        *(mvn, "-B", "-q", "-f", str(POM), "dependency:copy-dependencies"),
        f"-DoutputDirectory={work}",
    ]
    env = {**os.environ, "JAVA_HOME": os.environ.get("JAVA_HOME") or resolve_java_home()}
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        shutil.rmtree(work, ignore_errors=True)
        errors = [line for line in result.stdout.splitlines() if "ERROR" in line][:1]
        raise ConfigError(
            f"mvn could not fetch the jars of {POM}: {' '.join(errors) or result.stderr.strip()}"
        )
    work.rename(target)
    for older in target.parent.iterdir():  # the jars of earlier poms (hundreds of MB each)
        if older != target and not older.name.startswith("."):
            shutil.rmtree(older, ignore_errors=True)
