"""The lake bucket and the four DynamoDB tables, in the `moto` service of infra/compose.yaml.

Why: moto starts empty and forgets everything when it stops, while the platform, like AWS,
expects the bucket and the tables to exist. The `moto-init` service (profile local-services)
runs this once per `up`, before the code server starts; it is idempotent. Names come from the
same variables as the code server's, else the catalogue's defaults (taxi_platform/settings.py).
"""

import os

from taxi_platform.settings import SETTINGS
from taxi_platform_dev.local.moto import DYNAMODB_KEYS, Endpoints, create_resources


def setting(name: str) -> str:
    return os.environ.get(name) or SETTINGS[name].default


if __name__ == "__main__":
    create_resources(
        Endpoints.of(dict(os.environ)),
        setting("AWS_REGION"),
        setting("TAXI_LAKE_BUCKET"),
        {variable: setting(variable) for variable in DYNAMODB_KEYS},
    )
