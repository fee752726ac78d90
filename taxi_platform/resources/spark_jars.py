"""Where SparkResource finds the JVM jars of `spark/pom.xml` (hadoop-aws and what it needs).

Why a folder fetched beforehand and not `spark.jars.packages`: a driver resolving Maven
coordinates at run time fails without internet and may resolve something else tomorrow.
`taxi-platform spark jars` runs Maven once into a cache named after the pom's digest, so a
changed pom is a new folder; the images copy the same jars in a Maven build stage and name
their folder with `TAXI_SPARK_JARS_DIR`.
"""

from __future__ import annotations

import hashlib
import os
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path

from taxi_platform.settings import REPO_ROOT, ConfigError

POM = REPO_ROOT / "spark" / "pom.xml"
JARS_DIR_VARIABLE = "TAXI_SPARK_JARS_DIR"
FETCH_COMMAND = "taxi-platform spark jars"
_MAVEN = "{http://maven.apache.org/POM/4.0.0}"


def pom_properties(pom_text: str) -> dict[str, str]:
    """The `<properties>` of a pom (the versions it declares)."""
    properties = ET.fromstring(pom_text).find(f"{_MAVEN}properties")
    if properties is None:
        return {}
    return {child.tag.removeprefix(_MAVEN): (child.text or "").strip() for child in properties}


def check_hadoop_matches(pom_text: str, wheel_hadoop: str) -> None:
    """hadoop-aws calls Hadoop's internals: it must be the wheel's exact Hadoop release."""
    declared = pom_properties(pom_text).get("hadoop.version")
    if declared != wheel_hadoop:
        raise ConfigError(
            f"spark/pom.xml declares hadoop.version {declared}, but the pyspark wheel bundles "
            f"Hadoop {wheel_hadoop}: set hadoop.version to {wheel_hadoop}, then run "
            f"`{FETCH_COMMAND}`"
        )


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The cache folder of the current pom: ~/.cache/taxi_platform/spark-jars/<digest>."""
    environ = os.environ if environ is None else environ
    base = Path(environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = hashlib.sha256(POM.read_bytes()).hexdigest()[:12]
    return base / "taxi_platform" / "spark-jars" / digest


def jars_dir(environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    configured = environ.get(JARS_DIR_VARIABLE)
    return Path(configured) if configured else cache_dir(environ)


def spark_jars(wheel_hadoop: str, environ: Mapping[str, str] | None = None) -> list[Path]:
    """The jars SparkResource puts on the class path; a one-line error naming the command
    when they are not there."""
    folder = jars_dir(environ)
    jars = sorted(folder.glob("*.jar"))
    if not any(jar.name == f"hadoop-aws-{wheel_hadoop}.jar" for jar in jars):
        raise ConfigError(
            f"s3a needs hadoop-aws-{wheel_hadoop}.jar and the other jars of spark/pom.xml, "
            f"not found in {folder}: run `{FETCH_COMMAND}` (or set {JARS_DIR_VARIABLE} to the "
            "folder that holds them)"
        )
    return jars
