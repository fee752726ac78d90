"""SparkResource's result folders (local and s3a) and the driver's s3a settings."""

import io

import pyarrow as pa
import pyarrow.parquet as pq

from taxi_platform.resources.spark import SparkResource, hadoop_version, s3a_conf


def _parquet(values: list[int]) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table({"n": values}), buffer)
    return buffer.getvalue()


def test_local_output_is_read_back_and_discarded(tmp_path):
    spark = SparkResource(staging_dir=str(tmp_path))
    uri = spark.output_uri("bucket", "job", "run-1")
    assert uri == str(tmp_path / "output" / "job" / "run-1")
    folder = tmp_path / "output" / "job" / "run-1" / "result"
    folder.mkdir()
    (folder / "part-0.parquet").write_bytes(_parquet([1, 2]))
    (folder / "part-1.parquet").write_bytes(_parquet([3]))
    (folder / "_SUCCESS").write_bytes(b"")
    assert sorted(spark.read_output(None, str(folder)).column("n").to_pylist()) == [1, 2, 3]
    spark.discard_output(None, uri)
    assert not (tmp_path / "output" / "job" / "run-1").exists()


def test_s3a_output_is_read_back_and_discarded(lake):
    spark = SparkResource(input_mode="s3a")
    uri = spark.output_uri(lake.bucket, "job", "run-2")
    assert uri == f"s3a://{lake.bucket}/tmp/spark/job/run-2"
    prefix = "tmp/spark/job/run-2/result/"
    lake.put_bytes(prefix + "part-0.parquet", _parquet([4, 5]))
    lake.put_bytes(prefix + "_SUCCESS", b"")
    client = lake.get_client()
    assert spark.read_output(client, f"{uri}/result").column("n").to_pylist() == [4, 5]
    spark.discard_output(client, uri)
    assert lake.list_keys("tmp/spark/job/run-2/") == []


def test_s3a_mode_gives_the_driver_the_endpoint_committer_and_jars(spark_jars_dir):
    conf = s3a_conf(
        {"AWS_REGION": "ap-northeast-2", "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:5000"}
    )
    assert "spark.jars.packages" not in conf  # nothing resolved at run time
    assert conf["spark.hadoop.fs.s3a.committer.name"] == "magic"
    assert conf["spark.hadoop.fs.s3a.endpoint"] == "http://127.0.0.1:5000"
    assert conf["spark.hadoop.fs.s3a.path.style.access"] == "true"
    assert conf["spark.hadoop.fs.s3a.endpoint.region"] == "ap-northeast-2"
    assert "spark.hadoop.fs.s3a.endpoint" not in s3a_conf({})
    command = SparkResource(input_mode="s3a").command("smoke.py")
    assert f"spark.driver.extraClassPath={spark_jars_dir}/*" in command
    assert (spark_jars_dir / f"hadoop-aws-{hadoop_version()}.jar").is_file()
    assert not any("spark-jars" in part for part in SparkResource().command("smoke.py"))
