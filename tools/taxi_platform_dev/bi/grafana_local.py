"""Running Grafana against the platform: its environment, and the official container's command.

Why a container and not a package: Grafana has no PyPI or Debian package here; its official
image loads `infra/grafana/provisioning` and the dashboards when both are mounted. The
provisioning reads bi_reader's address and password from the environment; they are written
to an owner-only env file for `docker run --env-file`, so no password is printed or put on
a command line. The Slack webhook (a secret too) is taken from the caller's environment;
when unset, a closed local port stands in, so Grafana starts and notifications fail here.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from taxi_platform.settings import REPO_ROOT, timezone
from taxi_platform_dev.bi.grafana import DASHBOARD_DIR, PROVISIONING_DIR
from taxi_platform_dev.bi.reader import BiReader

GRAFANA_IMAGE = "grafana/grafana:12.0.0"  # 12+: the alert rules use the `gte` threshold
GRAFANA_PORT = 3001  # beside Dagster's 3000 (the container shares the host's network)
SLACK_VARIABLE = "TAXI_GRAFANA_SLACK_WEBHOOK_URL"
SLACK_PLACEHOLDER = "http://127.0.0.1:9/slack-webhook-not-configured"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def grafana_environment(bi_reader_url: str) -> dict[str, str]:
    """The variables the provisioning files read, from bi_reader's libpq URI."""
    BiReader(bi_reader_url)  # refuses any role but bi_reader
    parts = urlsplit(bi_reader_url)
    host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname
    sslmode = parse_qs(parts.query).get("sslmode", [""])[0]
    return {
        "TAXI_BI_READER_ADDRESS": f"{host}:{parts.port or 5432}",
        "TAXI_BI_READER_PASSWORD": unquote(parts.password or ""),
        "TAXI_BI_READER_SSLMODE": sslmode or ("disable" if host in LOOPBACK else "require"),
        SLACK_VARIABLE: os.environ.get(SLACK_VARIABLE) or SLACK_PLACEHOLDER,
        # Dashboards name no zone: Grafana shows them in its default, the business time zone.
        "GF_USERS_DEFAULT_TIMEZONE": timezone(),
    }


def write_env_file(path: Path, environment: dict[str, str]) -> Path:
    """`KEY=value` lines for `docker run --env-file`, readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text("".join(f"{key}={value}\n" for key, value in environment.items()))
    return path


def grafana_hint(bi_reader_url: str, folder: Path) -> str:
    """Write `folder/grafana.env` and say how to start Grafana with it (no secret shown)."""
    env_file = write_env_file(folder / "grafana.env", grafana_environment(bi_reader_url))
    provisioning, boards = PROVISIONING_DIR, DASHBOARD_DIR
    return "\n".join(
        [
            "Grafana (the official container, provisioned from infra/grafana/):",
            f"  provisioning  {provisioning.relative_to(REPO_ROOT)}/ (datasources as bi_reader, "
            "dashboard provider, alert rules)",
            f"  dashboards    {boards.relative_to(REPO_ROOT)}/",
            f"  env file      {env_file} (owner-only: bi_reader's address and password, Slack)",
            f"  docker run --rm --network host --env-file {env_file} "
            f"-e GF_SERVER_HTTP_PORT={GRAFANA_PORT} \\",
            f"    -v {provisioning}:/etc/grafana/provisioning:ro \\",
            f"    -v {boards}:/var/lib/grafana/dashboards:ro {GRAFANA_IMAGE}",
            f"  → http://127.0.0.1:{GRAFANA_PORT} (admin/admin at first login). The Slack webhook "
            f"is {SLACK_VARIABLE}",
            "    when the env file is written; the CloudWatch rules need AWS credentials "
            "(instance profile,",
            "    or -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY).",
        ]
    )
