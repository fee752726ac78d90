"""The code location's IO manager: values stored and loaded as Dagster's filesystem manager
stores them, and nothing of that manager imported by runs that store no value."""

import pickle
import subprocess
import sys

import dagster as dg

from taxi_platform.resources.io_manager import DeferredFilesystemIOManager


@dg.asset
def numbers() -> list[int]:
    return [3, 4, 5]


@dg.asset
def total(numbers: list[int]) -> int:
    return sum(numbers)


def test_values_are_pickled_under_base_dir_and_loaded_by_a_later_run(tmp_path):
    instance = dg.DagsterInstance.ephemeral()
    resources = {"io_manager": DeferredFilesystemIOManager(base_dir=str(tmp_path))}
    assert dg.materialize([numbers], resources=resources, instance=instance).success
    # Where FilesystemIOManager puts an unpartitioned asset: <base_dir>/<asset key>.
    assert pickle.loads((tmp_path / "numbers").read_bytes()) == [3, 4, 5]
    later = dg.materialize([numbers, total], selection=["total"], resources=resources)
    assert later.output_for_node("total") == 12
    assert pickle.loads((tmp_path / "total").read_bytes()) == 12


# A run whose asset returns MaterializeResult, with the wired IO manager, then with Dagster's
# own: which of them imported universal_pathlib (the import the deferred manager avoids).
RUNS = """
import sys
import dagster as dg
from taxi_platform.resources.wiring import build_resources

@dg.asset
def published():
    return dg.MaterializeResult(metadata={"rows": 1})

instance = dg.DagsterInstance.ephemeral()
wired = build_resources("local")["io_manager"]
for manager in (wired, dg.FilesystemIOManager()):
    dg.materialize([published], resources={"io_manager": manager}, instance=instance)
    print("upath" in sys.modules)
"""


def test_a_run_that_stores_no_value_builds_no_filesystem_manager():
    ran = subprocess.run(
        [sys.executable, "-c", RUNS], capture_output=True, text=True, check=True, timeout=120
    )
    assert ran.stdout.split() == ["False", "True"]
