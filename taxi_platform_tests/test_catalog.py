"""The asset catalogue as the UI shows it: every asset owned, grouped, kinded, tagged and linked
to its code; lineage from an external source to a dashboard in every domain; and each Dagster
object defined in one module only (an object that a second module imports is loaded twice)."""

import importlib
import pkgutil

import dagster as dg
import pytest

import taxi_platform.defs
from taxi_platform.catalog import LAYERS
from taxi_platform_dev.demo import demo_runs, job_for, merged_plan, named_jobs
from taxi_platform_dev.domains import tool_modules

DEFINITIONS = (
    dg.AssetsDefinition,
    dg.AssetSpec,
    dg.AssetChecksDefinition,
    dg.JobDefinition,
    dg.ScheduleDefinition,
    dg.SensorDefinition,
)
UNRESOLVED_JOB = "UnresolvedAssetJobDefinition"  # what `define_asset_job` returns; not public


@pytest.fixture(scope="module")
def graph():
    from taxi_platform.definitions import defs  # reads the environment: after collection

    return defs.resolve_asset_graph()


def nodes(graph):
    return [graph.get(key) for key in sorted(graph.get_all_asset_keys())]


def test_every_asset_has_an_owner_a_group_a_kind_tags_and_a_code_reference(graph):
    for node in nodes(graph):
        name = node.key.to_user_string()
        assert node.owners and all(o.startswith("team:") for o in node.owners), name
        assert node.group_name and node.group_name != "default", name
        assert node.kinds, name
        assert node.tags.get("domain") and node.tags.get("layer") in LAYERS, name
        assert node.tags.get("tier") in {"1", "2"}, name
        references = node.metadata.get("dagster/code_references")
        assert references is not None and references.code_references, name


def test_each_domain_folder_tags_its_own_assets(graph):
    domains = {info.name for info in pkgutil.iter_modules(taxi_platform.defs.__path__)}
    assert {node.tags["domain"] for node in nodes(graph)} == domains


def ancestors(graph, key: dg.AssetKey) -> set[dg.AssetKey]:
    found: set[dg.AssetKey] = set()
    pending = [key]
    while pending:
        for parent in graph.get(pending.pop()).parent_keys - found:
            found.add(parent)
            pending.append(parent)
    return found


def test_every_materialized_asset_descends_from_an_external_source(graph):
    sources = {n.key for n in nodes(graph) if n.tags["layer"] == "source"}
    assert sources and all(not graph.get(key).is_materializable for key in sources)
    for node in nodes(graph):
        if node.is_materializable:
            assert ancestors(graph, node.key) & sources, node.key.to_user_string()


def test_every_domain_feeds_a_dashboard(graph):
    """With the test above: source → … → dashboard runs through every domain."""
    dashboards = [n.key for n in nodes(graph) if n.tags["layer"] == "bi"]
    upstream = set().union(*(ancestors(graph, key) for key in dashboards))
    fed = {graph.get(key).tags["domain"] for key in upstream}
    assert fed == {n.tags["domain"] for n in nodes(graph)} - {"bi"}


def test_each_dagster_object_is_defined_in_one_module():
    """`from module import asset` in a second defs module loads it twice, and then any
    mapping of the definitions (owners, code references) fails on duplicate keys: refer
    to another module's objects through the module (`landing.api_logs_landing`)."""
    where: dict[int, list[str]] = {}
    prefix = taxi_platform.defs.__name__ + "."
    for info in pkgutil.walk_packages(taxi_platform.defs.__path__, prefix):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (
                isinstance(value, DEFINITIONS)
                or type(value).__name__ == "UnresolvedAssetJobDefinition"
            ):
                where.setdefault(id(value), []).append(f"{info.name}.{name}")
    assert [names for names in where.values() if len(names) > 1] == []


def test_the_demo_runs_every_materializable_asset_once_and_no_external_one(graph):
    plan = merged_plan([module.plan(1) for module in tool_modules("demo")])
    ran = [key for run in demo_runs(graph, plan) for key in run.keys]
    materializable = {n.key.to_user_string() for n in nodes(graph) if n.is_materializable}
    assert sorted(ran) == sorted(materializable - plan.prepared)


# How PostgreSQL's catalog spells the types the DDL abbreviates.
CATALOG_SPELLING = {"timestamptz": "timestamp with time zone"}


def catalog_type(ddl_type: str) -> str:
    return CATALOG_SPELLING.get(ddl_type, ddl_type).replace(", ", ",")


def test_every_table_asset_has_the_column_schema_of_its_live_table(graph, live):
    """Columns, types and nullability as the UI shows them == the tables PostgreSQL holds."""
    databases = {"postgres": "postgres_db", "daily_stats_db": "daily_stats_db", "gold": "gold_db"}
    tables = [n for n in nodes(graph) if "postgres" in n.kinds]
    assert len(tables) == 14
    for node in tables:
        name = node.metadata["dagster/table_name"]
        database, schema, table = name.split(".")
        columns = node.metadata["dagster/column_schema"].columns
        db = live[databases[database]]
        with db.transaction():  # applies the database's DDL on first use, as a run would
            pass
        rows = db.fetch_all(
            "SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, "
            "NOT a.attnotnull AS nullable FROM pg_attribute a "
            "WHERE a.attrelid = (%s || '.' || %s)::regclass AND a.attnum > 0 "
            "AND NOT a.attisdropped ORDER BY a.attnum",
            [schema, table],
        )
        expected = [(r["name"], r["type"], r["nullable"]) for r in rows]
        shown = [(c.name, catalog_type(c.type), c.constraints.nullable) for c in columns]
        assert shown == expected, name


def test_each_demo_run_is_one_named_job_of_exactly_its_assets():
    """The demo launches named jobs (never `__ephemeral_asset_job__`): every op's assets have
    one job of the code location that builds them and nothing else."""
    from taxi_platform.definitions import defs

    plan = merged_plan([module.plan(1) for module in tool_modules("demo")])
    jobs = named_jobs(defs)
    runs = demo_runs(defs.resolve_asset_graph(), plan)
    chosen = {run.keys: job_for(jobs, run) for run in runs}
    repository = defs.get_repository_def()
    for keys, name in chosen.items():
        built = repository.get_job(name).asset_layer.selected_asset_keys
        assert sorted(k.to_user_string() for k in built) == sorted(keys), name
    assert len(set(chosen.values())) == len(runs)
