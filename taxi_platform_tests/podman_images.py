"""What the `image` tests share: podman with the project's settings (infra/images/containers.conf:
runc, no raised ulimits) and the project's images, built by infra/images/build.sh on the
debootstrap base, or named by a variable to test an image built elsewhere."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from taxi_platform.settings import INFRA_DIR

BUILD = INFRA_DIR / "images" / "build.sh"
PODMAN_ENV = {**os.environ, "CONTAINERS_CONF": str(INFRA_DIR / "images" / "containers.conf")}


def podman(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`podman ARGS`; the values of `env` reach it as variables, so `-e NAME` passes them on
    to a container without putting a secret on a command line."""
    return subprocess.run(
        ["podman", *args], env={**PODMAN_ENV, **(env or {})}, capture_output=True, text=True
    )


def build_image(variable: str, tag: str, *args: str) -> str:
    """The image named by `variable` when set, else `tag` built with build.sh (`args`: its
    Dockerfile and context, the Dagster image's when empty)."""
    if found := os.environ.get(variable):
        return found
    if sys.platform != "linux":
        pytest.skip("podman builds and runs the images on Linux only")
    subprocess.run([str(BUILD), tag, *args], check=True)
    return tag
