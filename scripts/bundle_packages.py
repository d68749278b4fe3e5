#!/usr/bin/env python3
"""The Debian packages the site's roles install with their default settings, read from the roles
themselves so the bundle follows their lists:  bundle_packages.py SUITE  (bookworm | trixie)

Left out on purpose: the NVIDIA driver and container toolkit (GPU hosts only; non-free and the
NVIDIA repository, hundreds of MB), Docker CE (`docker_install_source: upstream`, Docker's
repository). Docker from the distribution is bundled for Debian 13 only, the release whose
docker-compose is v2 (roles/docker/vars/main.yml).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROLES = Path(__file__).resolve().parents[1] / "roles"


def _load(path: str) -> dict:
    return yaml.safe_load((ROLES / path).read_text()) or {}


def _names(value) -> list[str]:
    """A list of names, or the quoted names inside a Jinja expression building one."""
    if isinstance(value, list):
        return [str(v) for v in value]
    return re.findall(r"'([a-z0-9][a-z0-9.+-]+)'", str(value))


def packages(suite: str) -> list[str]:
    common = _load("common/defaults/main.yml")
    names = _names(common["common_packages"]) + _names(common.get("common_extra_packages", []))
    timesync = _load("common/vars/Debian.yml")["_common_os_timesync"]
    names.append(timesync[common["common_timesync_provider"]]["package"])
    names += _names(_load("firewall/vars/Debian.yml")["_firewall_packages"])
    proxy = _load("proxy/vars/Debian.yml")
    names += _names(proxy["_proxy_packages"]) + _names(proxy["_proxy_acme_packages"])
    names += _names(_load("semantik/vars/Debian.yml")["_semantik_packages"])
    # cron always; rsync and openssh-client for the optional off-host copy.
    names += _names(_load("backup/vars/Debian.yml")["_backup_packages"])
    # Monitoring (playbooks/monitoring.yml): exporters on every host (the nginx exporter included:
    # the proxy runs on them), Prometheus and Alertmanager on the monitoring group.
    names += _names(_load("node_exporter/vars/main.yml")["_node_exporter_packages"])
    names += _names(_load("prometheus/vars/main.yml")["_prometheus_packages"])
    names.append(_load("alertmanager/vars/main.yml")["_alertmanager_package"])
    docker = _load("docker/vars/main.yml")
    release = {"bookworm": "12", "trixie": "13"}[suite]
    if release in docker["_docker_distribution_compose_v2_releases"]:
        names += _names(docker["_docker_packages"]["distribution"])
        names += _names(docker["_docker_api_packages"])
    # The image registry (playbooks/registry.yml) for sites with a registry group.
    names += _names(_load("registry/vars/main.yml")["_registry_packages"])
    return sorted(set(names))


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in ("bookworm", "trixie"):
        sys.exit(__doc__)
    print("\n".join(packages(sys.argv[1])))
