"""Smallest Spark job: proves spark-submit → Spark → Dagster Pipes round trip.

Sums the integers 1..N across `--partitions` tasks and reports the result, the Spark
version and the master as materialization metadata.
"""

import argparse

from dagster_pipes import open_dagster_pipes
from pyspark.sql import SparkSession


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--partitions", type=int, default=4)
    args = parser.parse_args()
    with open_dagster_pipes() as pipes:
        spark = SparkSession.builder.getOrCreate()
        try:
            frame = spark.range(1, args.n + 1, numPartitions=args.partitions)
            total = frame.groupBy().sum("id").collect()[0][0]
            pipes.log.info(f"sum(1..{args.n}) = {total}")
            pipes.report_asset_materialization(
                metadata={
                    "sum": total,
                    "n": args.n,
                    "spark_version": spark.version,
                    "master": spark.sparkContext.master,
                    "extras_echo": {"raw_value": pipes.extras, "type": "json"},
                }
            )
        finally:
            spark.stop()


if __name__ == "__main__":
    main()
