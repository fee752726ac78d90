"""The compute host's user data (infra/aws/compute.yaml), run as cloud-init would run it, as
root, in a Debian 13 container made here with debootstrap (the host's AMI is Debian 13): it
installs Docker and Compose from Debian, clones the repository at the given ref, installs the
boot unit, and the Compose it installed accepts infra/compose.yaml. Run twice: a reboot's
rerun must not fail. Not in the default run (marker `image`: podman, debootstrap, apt)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from cfnlint.decode import decode_str

from taxi_platform.settings import INFRA_DIR, REPO_ROOT
from taxi_platform_tests.podman_images import PODMAN_ENV

pytestmark = [pytest.mark.image, pytest.mark.timeout(1800)]

TEMPLATE = INFRA_DIR / "aws" / "compute.yaml"
BASE = "localhost/taxi-platform-host:trixie-r1"
MIRROR = os.environ.get("TAXI_IMAGE_MIRROR", "http://deb.debian.org/debian")
REF = "host-test"


def user_data(**parameters: str) -> str:
    """The UserData script with the template's ${Parameter}s filled in, as CloudFormation does."""
    host = decode_str(TEMPLATE.read_text())[0]["Resources"]["Host"]["Properties"]
    script = host["UserData"]["Fn::Base64"]["Fn::Sub"]
    for name, value in parameters.items():
        script = script.replace("${" + name + "}", value)
    assert "${" not in script, "a template parameter was left unfilled"
    return script


@pytest.fixture(scope="module")
def base() -> str:
    """Debian 13 minbase as an image (the root file system cached as a tar)."""
    if sys.platform != "linux" or not (shutil.which("podman") and shutil.which("debootstrap")):
        pytest.skip("needs podman and debootstrap (Linux)")
    exists = subprocess.run(["podman", "image", "exists", BASE], env=PODMAN_ENV)
    if exists.returncode == 0:
        return BASE
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "taxi_platform"
    tar = cache / "host-trixie-r1.tar"
    if not tar.exists():
        rootfs = cache / "host-trixie-rootfs"
        shutil.rmtree(rootfs, ignore_errors=True)
        subprocess.run(
            [
                *("debootstrap", "--variant=minbase", "--include=ca-certificates", "trixie"),
                *(str(rootfs), MIRROR),
            ],
            check=True,
            capture_output=True,
        )
        (rootfs / "etc" / "resolv.conf").write_text("")
        with tarfile.open(f"{tar}.part", "w") as archive:
            archive.add(rootfs, arcname=".")
        Path(f"{tar}.part").rename(tar)
        shutil.rmtree(rootfs, ignore_errors=True)
    subprocess.run(
        ["podman", "import", "--quiet", "--change", 'CMD ["bash"]', str(tar), BASE],
        env=PODMAN_ENV,
        check=True,
        capture_output=True,
    )
    return BASE


@pytest.fixture(scope="module")
def repository(tmp_path_factory) -> tuple[Path, str]:
    """A bare clone of this repository with the commit under test as branch `host-test`."""
    bare = tmp_path_factory.mktemp("repo") / "taxi_platform.git"
    head = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    subprocess.run(["git", "clone", "-q", "--bare", str(REPO_ROOT), str(bare)], check=True)
    subprocess.run(["git", "--git-dir", str(bare), "update-ref", f"refs/heads/{REF}", head])
    return bare, head


CHECKS = """
set -euo pipefail
bash /srv/user-data.sh >/tmp/first.log 2>&1 || { tail -30 /tmp/first.log; exit 1; }
bash /srv/user-data.sh >/tmp/second.log 2>&1 || { tail -30 /tmp/second.log; exit 1; }
echo "head=$(git -C /opt/taxi_platform rev-parse HEAD)"
echo "docker=$(docker --version)"
echo "compose=$(docker compose version --short)"
cd /opt/taxi_platform
cp infra/compose.env.example /tmp/compose.env
docker compose -f infra/compose.yaml --env-file /tmp/compose.env config --quiet
docker compose -f infra/compose.yaml --env-file /tmp/compose.env --profile local-services \
    config --services | sort | tr '\\n' ' '; echo
readlink /etc/systemd/system/multi-user.target.wants/taxi-platform.service
grep '^ExecStart=' /etc/systemd/system/taxi-platform.service
tail -1 /tmp/second.log
"""


def test_the_user_data_sets_up_the_host(base, repository, tmp_path):
    bare, head = repository
    script = tmp_path / "user-data.sh"
    script.write_text(user_data(RepositoryUrl="file:///srv/taxi_platform.git", RepositoryRef=REF))
    result = subprocess.run(
        [
            *("podman", "run", "--rm", "--network", "host"),
            *("-v", f"{bare}:/srv/taxi_platform.git:ro", "-v", f"{script}:/srv/user-data.sh:ro"),
            *(base, "bash", "-c", CHECKS),
        ],
        env=PODMAN_ENV,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    out = result.stdout
    assert f"head={head}" in out
    compose = re.search(r"^compose=v?(\d+)\.(\d+)\.(\d+)", out, re.MULTILINE)
    assert compose and tuple(map(int, compose.groups())) >= (2, 20, 2), out  # `required: false`
    services = set(re.search(r"^(dagster-code .*)$", out, re.MULTILINE).group(1).split())
    assert {"dagster-code", "dagster-daemon", "spark-master", "spark-worker-1"} <= services
    assert {"spark-worker-2", "grafana", "postgres", "moto"} <= services
    assert "/etc/systemd/system/taxi-platform.service" in out
    assert "ExecStart=/usr/bin/docker compose -f infra/compose.yaml" in out
    assert out.rstrip().endswith("then systemctl start taxi-platform")
