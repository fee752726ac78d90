"""The Superset bundle: its shape (one top-level folder, chartIds), its connection, no secret.

Why these checks: Superset's importer rejects a ZIP with several top-level folders and fails
on a dashboard chart without `meta.chartId`; and BI files must name only the read-only
`bi_reader` role and never carry a password, real or masked.
"""

import re
import zipfile
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import available_timezones

import pytest
import yaml

from taxi_platform.settings import INFRA_DIR, REPO_ROOT, ConfigError
from taxi_platform_dev.bi.superset_bundle import ROOT_FOLDER, build_bundle, gold_sqlalchemy_uri
from taxi_platform_dev.bi.superset_sql import charts_sql
from taxi_platform_dev.cli import main
from taxi_platform_dev.local.stack import ROLES

BI_SOURCES = [
    INFRA_DIR / "superset",
    INFRA_DIR / "grafana",
    REPO_ROOT / "tools" / "taxi_platform_dev" / "bi",
]
OTHER_ROLES = [role for role in ROLES if role not in ("bi_reader", "postgres")]
URI_USER = re.compile(r"[a-z0-9+]+://([^:@/\s'\"]+)(?::([^@/\s'\"]*))?@")
MASKED_PASSWORD = "XXXXXXXXXX"
PLACEHOLDERS = {"…", "***", "..."}  # how docs and error messages write "a password here"
# Any IANA zone with a region (`UTC` alone is no business zone), longest first.
ZONE_NAME = re.compile(
    "|".join(re.escape(z) for z in sorted(available_timezones(), key=len, reverse=True) if "/" in z)
)


@pytest.fixture
def bundle(tmp_path: Path, stack_env: dict[str, str]) -> Path:
    return build_bundle(tmp_path / "bundle.zip", stack_env["TAXI_BI_READER_URL"])


def _members(bundle: Path) -> dict[str, str]:
    with zipfile.ZipFile(bundle) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


def _bi_texts(bundle: Path) -> dict[str, str]:
    """Every BI source file and every member of the built ZIP, by a readable name."""
    files = [p for root in BI_SOURCES if root.exists() for p in root.rglob("*") if p.is_file()]
    texts = {str(p): p.read_text() for p in files if "__pycache__" not in p.parts}
    texts.update({f"zip:{name}": text for name, text in _members(bundle).items()})
    return texts


def test_zip_has_one_top_level_folder_and_every_chart_entry_has_chart_id(bundle: Path):
    members = {name: yaml.safe_load(text) for name, text in _members(bundle).items()}
    assert {name.split("/")[0] for name in members} == {ROOT_FOLDER}
    assert f"{ROOT_FOLDER}/metadata.yaml" in members
    charts = {c["uuid"]: c for n, c in members.items() if f"{ROOT_FOLDER}/charts/" in n}
    assert len(charts) == 11
    uuids = [config["uuid"] for config in members.values() if "uuid" in config]
    assert len(uuids) == len(set(uuids)), "uuids must be unique across the bundle"

    placed: dict[str, int] = {}
    for name, config in members.items():
        if f"{ROOT_FOLDER}/dashboards/" not in name:
            continue
        entries = [e for e in config["position"].values() if isinstance(e, dict)]
        for entry in (e for e in entries if e["type"] == "CHART"):
            meta = entry["meta"]
            assert isinstance(meta["chartId"], int), (name, entry["id"])
            assert meta["uuid"] in charts, (name, entry["id"])
            assert placed.setdefault(meta["uuid"], meta["chartId"]) == meta["chartId"]
    assert set(placed) == set(charts), "every chart sits on a dashboard"
    assert len(set(placed.values())) == len(placed)


def test_bundle_builds_reproducibly(tmp_path: Path, bundle: Path, stack_env):
    again = build_bundle(tmp_path / "again.zip", stack_env["TAXI_BI_READER_URL"])
    assert again.read_bytes() == bundle.read_bytes()


def test_database_is_gold_as_bi_reader_at_the_stacks_address(bundle: Path, stack_env):
    database = yaml.safe_load(_members(bundle)[f"{ROOT_FOLDER}/databases/gold.yaml"])
    uri, reader = urlsplit(database["sqlalchemy_uri"]), urlsplit(stack_env["TAXI_BI_READER_URL"])
    assert (uri.scheme, uri.username, uri.password, uri.path) == (
        "postgresql+psycopg2",
        "bi_reader",
        None,
        "/gold",
    )
    assert (uri.hostname, uri.port) == (reader.hostname, reader.port)


def test_a_writer_role_is_refused():
    with pytest.raises(ConfigError, match="bi_reader"):
        gold_sqlalchemy_uri("postgresql://gold_writer:pw@127.0.0.1:5432/gold")


def test_bi_reader_is_the_only_role_any_bi_file_names(bundle: Path):
    for name, text in _bi_texts(bundle).items():
        for role in OTHER_ROLES:
            assert not re.search(rf"\b{role}\b", text), f"{name} names role {role}"
        for user, _password in URI_USER.findall(text):
            assert user == "bi_reader", f"{name} has a URI for role {user}"


def test_no_secret_in_bi_sources_or_the_built_zip(bundle: Path, stack):
    state = stack.load()
    secrets = [*state["passwords"].values(), state["fernet_key"]]
    for name, text in _bi_texts(bundle).items():
        assert not any(secret in text for secret in secrets), f"{name} holds a stack secret"
        assert MASKED_PASSWORD not in text, f"{name} holds a masked password"
        passwords = {p for _user, p in URI_USER.findall(text) if p} - PLACEHOLDERS
        assert not passwords, f"{name} has a URI with a password"
    for name, text in _members(bundle).items():
        assert "password" not in text.lower(), f"{name} has a password field"


def test_cli_writes_the_bundle(tmp_path: Path, stack_env, capsys):
    out = tmp_path / "cli.zip"
    assert main(["bi", "superset-bundle", "--out", str(out)]) == 0
    assert str(out) in capsys.readouterr().out
    assert zipfile.is_zipfile(out)


def test_no_bi_file_or_chart_query_names_a_time_zone(bundle: Path):
    """Hours and days follow TAXI_TIMEZONE: the pipeline computes the local ones (Superset's
    marts) or the session's zone is the business one (Grafana's counters), so no dashboard,
    chart, dataset or the SQL written for them may fix a zone."""
    texts = {**_bi_texts(bundle), **{f"chart sql {c}": q for c, q in charts_sql().items()}}
    for name, text in texts.items():
        found = ZONE_NAME.search(text)
        assert not found, f"{name} names the time zone {found.group()}"
        assert "AT TIME ZONE" not in text.upper(), f"{name}: AT TIME ZONE"
