#!/usr/bin/env bash
# Build the Dagster image (infra/dagster/Dockerfile) with Debian's podman, where no container
# registry is reachable: the base is a Debian bookworm made with debootstrap that looks like
# python:3.11-slim-bookworm (Python 3.11 as /usr/local/bin/python3, pip), passed as BASE_IMAGE.
#
#   infra/images/build.sh [TAG [DOCKERFILE CONTEXT]]   # prints the size
#
# Default: the Dagster image (taxi-platform-dagster:local, infra/dagster/Dockerfile, the repo);
# `infra/images/build.sh taxi-platform-spark:local spark/Dockerfile spark` builds the Spark one.
#
# Installs podman, runc and debootstrap with apt-get when missing (as root; otherwise says
# what to install). The base's root file system is cached as a tar file under
# ~/.cache/taxi_platform/, so a rerun imports it instead of running debootstrap again.
# Environment: TAXI_IMAGE_MIRROR (Debian mirror, default http://deb.debian.org/debian).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
tag=${1:-taxi-platform-dagster:local}
dockerfile=${2:-$repo/infra/dagster/Dockerfile}
context=${3:-$repo}
mirror=${TAXI_IMAGE_MIRROR:-http://deb.debian.org/debian}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/taxi_platform
# Bump BASE_RECIPE when the base's recipe below changes: it names the cached tar and the image.
BASE_RECIPE=2
# The host's extra trusted CAs (a TLS-inspecting egress proxy, a company CA) go into the base,
# so apt, pip and uv inside the build trust what the host trusts; their digest names the base.
extra_cas=(/usr/local/share/ca-certificates/*.crt)
[[ -e ${extra_cas[0]} ]] || extra_cas=()
cas=$(cat "${extra_cas[@]}" </dev/null | sha256sum | cut -c1-8)
base=localhost/taxi-platform-base:bookworm-py311-r$BASE_RECIPE-$cas
base_tar=$cache/base-bookworm-py311-r$BASE_RECIPE-$cas.tar

export CONTAINERS_CONF=$here/containers.conf

say() { printf '%s\n' "build.sh: $*" >&2; }

need_tools() {
  local missing=()
  command -v podman >/dev/null || missing+=(podman)
  command -v runc >/dev/null || missing+=(runc)
  command -v debootstrap >/dev/null || [[ -f $base_tar ]] || missing+=(debootstrap)
  ((${#missing[@]})) || return 0
  if [[ $(id -u) != 0 ]]; then
    say "missing ${missing[*]}: install them (apt-get install ${missing[*]}) or run as root"
    exit 2
  fi
  say "installing ${missing[*]} with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The base's root file system: debootstrap, then what python:3.11-slim-bookworm offers that
# the Dockerfiles use. /usr/local is a virtualenv of Debian's Python 3.11, so /usr/local/bin/python3
# and /usr/local/lib/python3.11/site-packages are where the official image has them, and uv sync
# with UV_PROJECT_ENVIRONMENT=/usr/local sees an environment it may install into.
make_base_tar() {
  local work rootfs
  work=$(mktemp -d "$cache/debootstrap.XXXXXX")
  rootfs=$work/rootfs
  trap 'rm -rf "$work"' RETURN
  say "debootstrap bookworm from $mirror (about a minute)"
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; return 1; }
  cat >"$rootfs/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${mirror%/debian}/debian-security bookworm-security main
SOURCES
  # As Debian's official images (debuerreotype): apt keeps no .deb files, package caches or
  # translations, and dpkg installs no documentation, manuals or message catalogues.
  cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'CLEAN'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CLEAN
  echo 'Acquire::Languages "none";' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'SLIM'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
SLIM
  if ((${#extra_cas[@]})); then
    cp "${extra_cas[@]}" "$rootfs/usr/local/share/ca-certificates/"
    chroot "$rootfs" update-ca-certificates >/dev/null
  fi
  chroot "$rootfs" python3 -m venv /usr/local
  chroot "$rootfs" /usr/local/bin/python3 -c 'import sys; assert sys.prefix == "/usr/local"'
  ln -sf python3 "$rootfs/usr/local/bin/python"
  # What debootstrap installed before those rules existed.
  find "$rootfs/usr/share/doc" -mindepth 2 ! -name copyright -delete 2>/dev/null || true
  find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  rm -rf "$rootfs"/usr/share/{man,info,groff,lintian}/* "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*.log
  mkdir -p "$rootfs/usr/share/man/man1"  # some JRE postinst scripts expect it
  : >"$rootfs/etc/resolv.conf"
  tar --numeric-owner -C "$rootfs" -cf "$base_tar.part" .
  mv "$base_tar.part" "$base_tar"
  find "$cache" -maxdepth 1 -name 'base-bookworm-*.tar' ! -name "${base_tar##*/}" -delete
}

need_tools
mkdir -p "$cache"
start=$SECONDS
if ! podman image exists "$base"; then
  [[ -f $base_tar ]] || make_base_tar
  say "importing $base_tar as $base"
  podman import --quiet \
    --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    --change 'CMD ["python3"]' \
    "$base_tar" "$base" >/dev/null
fi

say "building $tag FROM $base"
# --network host: the build's apt-get and pip reach the mirrors without a bridge network.
podman build --network host --build-arg "BASE_IMAGE=$base" -f "$dockerfile" -t "$tag" "$context"

size=$(podman image inspect --format '{{.Size}}' "$tag")
say "$tag: $size bytes ($((size / 1000000)) MB) in $((SECONDS - start)) s"
