"""One automation sensor per domain, on from the first start of an instance.

Why: Dagster evaluates `automation_condition`s only in a sensor. Without one of ours it adds
an implicit `default_automation_condition_sensor`, which a fresh instance starts STOPPED, so
`api_logs`, `click_events`, the Gold marts and the zone models would never run after a
deployment until someone switched it on in the UI. Why one per domain rather than one for
all: a domain's sensor can be paused, and fails, without stopping the others, and its ticks
in the UI list only that domain's decisions.

A domain opts in with a three-line `defs/<domain>/automation.py`:

    from taxi_platform.automation import domain_automation_sensor
    automation = domain_automation_sensor(__package__)

The sensor targets every asset with an automation condition *defined* in that package
(found by looking, not listed), so a new asset needs no edit here, and a new domain needs no
edit of any central file. `taxi_platform_tests/test_instigators.py` fails if an automated
asset is left to the implicit sensor (a domain without `automation.py`).
"""

from __future__ import annotations

import importlib
import pkgutil

import dagster as dg

from taxi_platform.settings import automation_interval_seconds

SENSOR_SUFFIX = "_automation"


def _defined_in(assets_def: dg.AssetsDefinition, package: str) -> bool:
    """Whether the asset's function was written in `package` (not imported from elsewhere:
    two sensors must never target the same asset)."""
    compute_fn = (
        getattr(assets_def.node_def, "compute_fn", None) if assets_def.is_executable else None
    )
    module = getattr(getattr(compute_fn, "decorated_fn", None), "__module__", None)
    return module is not None and (module == package or module.startswith(f"{package}."))


def automated_asset_keys(package: str) -> list[dg.AssetKey]:
    """Keys with an automation condition of the assets defined in `package`'s modules."""
    root = importlib.import_module(package)
    keys: set[dg.AssetKey] = set()
    for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, dg.AssetsDefinition) and _defined_in(value, package):
                keys.update(
                    key
                    for key, condition in value.automation_conditions_by_key.items()
                    if condition is not None
                )
    return sorted(keys, key=lambda key: key.to_user_string())


def domain_automation_sensor(package: str) -> dg.AutomationConditionSensorDefinition:
    """The RUNNING automation sensor of domain package `taxi_platform.defs.<domain>`,
    evaluating every `TAXI_AUTOMATION_INTERVAL_SECONDS` (read when definitions load)."""
    domain = package.rsplit(".", 1)[-1]
    keys = automated_asset_keys(package)
    if not keys:
        raise ValueError(f"{package} defines no asset with an automation condition")
    return dg.AutomationConditionSensorDefinition(
        f"{domain}{SENSOR_SUFFIX}",
        target=dg.AssetSelection.assets(*keys),
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=automation_interval_seconds(),
        description=(
            f"Evaluates the automation conditions of the {domain} domain's assets "
            f"({', '.join(key.to_user_string() for key in keys)}) and launches what they request."
        ),
    )
