"""Superset configuration for the taxi platform (loaded through `SUPERSET_CONFIG_PATH`).

Why it holds no secret: the secret key and the metadata database come from the environment,
and the password of the read-only `bi_reader` role is looked up at connect time from
`TAXI_BI_READER_URL` (SQLALCHEMY_CUSTOM_PASSWORD_STORE), so neither this file, the import
bundle nor Superset's metadata database ever stores it.

Environment:
  SUPERSET_SECRET_KEY         required; signs sessions and encrypts stored credentials
  TAXI_SUPERSET_METADATA_URL  optional SQLAlchemy URL of Superset's own database; default a
                              SQLite file `superset.db` in $SUPERSET_HOME (else the working folder)
  TAXI_BI_READER_URL          libpq URI of `bi_reader`; only its password is used here
"""

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

SECRET_KEY = os.environ.get("SUPERSET_SECRET_KEY", "")
if len(SECRET_KEY) < 32:
    raise RuntimeError(
        "SUPERSET_SECRET_KEY is not set or shorter than 32 characters: export a random one, "
        'e.g. SUPERSET_SECRET_KEY="$(openssl rand -base64 42)"'
    )

_FOLDER = Path(os.environ.get("SUPERSET_HOME") or os.getcwd())
SQLALCHEMY_DATABASE_URI = (
    os.environ.get("TAXI_SUPERSET_METADATA_URL")
    or f"sqlite:///{_FOLDER / 'superset.db'}?check_same_thread=false"
)


def bi_reader_password(url) -> str | None:
    """Password for a database URL: `bi_reader`'s from the environment, none for other roles."""
    reader = urlsplit(os.environ.get("TAXI_BI_READER_URL", ""))
    if reader.username and url.username == unquote(reader.username) and reader.password:
        return unquote(reader.password)
    return None


SQLALCHEMY_CUSTOM_PASSWORD_STORE = bi_reader_password

# A local, single-process Superset: no Celery workers, so nothing that needs them.
FEATURE_FLAGS = {
    "ALERT_REPORTS": False,
    "GLOBAL_ASYNC_QUERIES": False,
    "THUMBNAILS": False,
    "ENABLE_TEMPLATE_PROCESSING": False,
    # Render every chart of a dashboard at once (screenshots, small dashboards).
    "DASHBOARD_VIRTUALIZATION": False,
    "DASHBOARD_RBAC": False,
}
# The marts are small and change daily: always query PostgreSQL, never serve stale numbers.
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
# SQL Lab runs as bi_reader, whose role cancels statements after 30 s (infra/postgres/
# roles.sql); Superset gives up at the same time instead of holding a worker longer.
SQLLAB_TIMEOUT = 30
