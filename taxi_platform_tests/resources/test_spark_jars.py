"""spark/pom.xml against the pyspark wheel, the jars the project's command fetches, and the
s3a class path SparkResource builds from them (no Maven coordinates left to resolve at run
time)."""

import itertools
import re
import zipfile
from pathlib import Path

import pyspark
import pytest

from taxi_platform.resources.spark import SparkResource, hadoop_version
from taxi_platform.resources.spark_jars import (
    JARS_DIR_VARIABLE,
    POM,
    check_hadoop_matches,
    pom_properties,
)
from taxi_platform.settings import ConfigError


def wheel_hadoop() -> str:
    """The Hadoop release inside the wheel, read from its jar's own Maven metadata."""
    [jar] = (Path(pyspark.__file__).parent / "jars").glob("hadoop-client-api-*.jar")
    with zipfile.ZipFile(jar) as archive:
        text = archive.read(
            "META-INF/maven/org.apache.hadoop/hadoop-client-api/pom.properties"
        ).decode()
    return re.search(r"^version=(\S+)$", text, re.MULTILINE).group(1)


def test_the_pom_declares_the_wheels_hadoop_and_a_mismatch_is_named():
    assert pom_properties(POM.read_text())["hadoop.version"] == wheel_hadoop()
    assert hadoop_version() == wheel_hadoop()
    check_hadoop_matches(POM.read_text(), wheel_hadoop())
    other = POM.read_text().replace(
        f"<hadoop.version>{wheel_hadoop()}</hadoop.version>",
        "<hadoop.version>3.4.1</hadoop.version>",
    )
    with pytest.raises(
        ConfigError,
        match=rf"declares hadoop.version 3.4.1, but .* Hadoop {re.escape(wheel_hadoop())}: set",
    ):
        check_hadoop_matches(other, wheel_hadoop())


def test_missing_jars_are_one_line_naming_the_command(tmp_path, monkeypatch):
    monkeypatch.setenv(JARS_DIR_VARIABLE, str(tmp_path))
    with pytest.raises(
        ConfigError, match=r"not found in .*: run `taxi-platform spark jars`"
    ) as err:
        SparkResource(input_mode="s3a").command("smoke.py")
    assert "\n" not in str(err.value)
    SparkResource(input_mode="stage").command("smoke.py")  # stage mode needs no jars


def test_the_command_fetches_the_pom_and_s3a_puts_them_on_the_class_path(spark_jars_dir):
    names = {jar.name for jar in spark_jars_dir.glob("*.jar")}
    assert f"hadoop-aws-{wheel_hadoop()}.jar" in names
    assert any(re.fullmatch(r"bundle-2\.\d+\.\d+\.jar", n) for n in names), names  # AWS SDK v2
    assert any(n.startswith("spark-hadoop-cloud_2.13-") for n in names), names
    command = SparkResource(input_mode="s3a").command("smoke.py")
    conf = dict(v.split("=", 1) for k, v in itertools.pairwise(command) if k == "--conf")
    assert conf["spark.driver.extraClassPath"] == f"{spark_jars_dir}/*"
    assert conf["spark.executor.extraClassPath"] == f"{spark_jars_dir}/*"
    assert not any("spark.jars.packages" in part or part == "--packages" for part in command)
