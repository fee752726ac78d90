"""bi_reader under an open SQL Lab: a statement timeout and a connection limit on the role
(the session stack applies infra/postgres/roles.sql), and BI configs that stay read-only."""

import time
from pathlib import Path

import psycopg
import pytest
import yaml

from taxi_platform.settings import INFRA_DIR

TIMEOUT_SECONDS = 30
CONNECTION_LIMIT = 30
GRAFANA = Path(INFRA_DIR, "grafana", "provisioning", "datasources", "postgres.yaml")


@pytest.fixture
def reader(stack_env):
    with psycopg.connect(stack_env["TAXI_BI_READER_URL"], autocommit=True) as conn:
        yield conn


def test_bi_reader_has_a_statement_timeout_and_a_connection_limit(reader):
    assert reader.execute("SHOW statement_timeout").fetchone() == ("30s",)
    assert reader.execute("SHOW default_transaction_read_only").fetchone() == ("on",)
    limit = reader.execute(
        "SELECT rolconnlimit FROM pg_roles WHERE rolname = current_user"
    ).fetchone()
    assert limit == (CONNECTION_LIMIT,)


def test_a_query_longer_than_the_timeout_is_cancelled(reader):
    started = time.monotonic()
    with pytest.raises(psycopg.errors.QueryCanceled, match="statement timeout"):
        reader.execute(f"SELECT pg_sleep({TIMEOUT_SECONDS + 15})")
    assert TIMEOUT_SECONDS - 1 < time.monotonic() - started < TIMEOUT_SECONDS + 10


def test_grafana_pools_fit_in_the_limit_and_use_bi_reader_only():
    sources = yaml.safe_load(GRAFANA.read_text())["datasources"]
    assert {s["user"] for s in sources} == {"bi_reader"}
    assert sum(s["jsonData"]["maxOpenConns"] for s in sources) <= CONNECTION_LIMIT // 2


def test_superset_databases_cannot_write_and_give_up_with_the_role():
    for path in Path(INFRA_DIR, "superset", "bundle", "databases").glob("*.yaml"):
        database = yaml.safe_load(path.read_text())
        assert database["allow_dml"] is False and database["allow_ctas"] is False, path
        assert database["allow_cvas"] is False and database["allow_file_upload"] is False, path
    config = Path(INFRA_DIR, "superset", "superset_config.py").read_text()
    assert f"SQLLAB_TIMEOUT = {TIMEOUT_SECONDS}" in config.splitlines()
