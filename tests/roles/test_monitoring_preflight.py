"""Preflight of the monitoring roles on the controller: a bad inventory fails before anything is
changed, naming the variable; the defaults pass. The real roles, only their argument specs and
preflight stages (--tags *_preflight, --check), against a local connection."""

import json
import subprocess

import pytest

from tests.roles.local_ansible import PLAYBOOK, isolated_env

ANY = "0.0.0.0"  # noqa: S104 - the address the roles must refuse

pytestmark = pytest.mark.skipif(PLAYBOOK is None, reason="ansible-playbook not installed")

PLAY = """
- hosts: localhost
  gather_facts: true
  gather_subset: [min, network]
  roles: [{role: node_exporter}, {role: prometheus}, {role: alertmanager}]
"""


def run_preflight(tmp_path, **variables):
    (tmp_path / "play.yml").write_text(PLAY)
    out = subprocess.run(
        [
            PLAYBOOK, "-i", "localhost,", "-c", "local", "--check",
            "--tags", "node_exporter_preflight,prometheus_preflight,alertmanager_preflight",
            "-e", "ansible_python_interpreter={{ ansible_playbook_python }}",
            "-e", json.dumps(variables),
            str(tmp_path / "play.yml"),
        ],
        cwd=tmp_path, env=isolated_env(tmp_path), capture_output=True, text=True, timeout=300,
        check=False,
    )
    return out.returncode, " ".join((out.stdout + out.stderr).split())


def test_defaults_pass(tmp_path):
    rc, out = run_preflight(tmp_path)
    assert rc == 0, out
    assert "sent to nobody" in out  # no receiver configured: a warning, not a failure


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"prometheus_listen_address": ANY}, "prometheus_listen_address"),
        ({"prometheus_retention_time": "forever"}, "prometheus_retention_time"),
        ({"prometheus_alert_disk_free_ratio": 1.5}, "prometheus_alert_disk_free_ratio"),
        ({"prometheus_public_url": "search.example.org"}, "prometheus_public_url"),
        ({"alertmanager_listen_address": ANY}, "alertmanager_listen_address"),
        ({"alertmanager_email_to": ["ops@example.org"]}, "alertmanager_smtp_smarthost"),
        (
            {"alertmanager_smtp_auth_username": "u", "alertmanager_email_to": ["a@b.c"],
             "alertmanager_smtp_smarthost": "smtp:587"},
            "alertmanager_smtp_auth_password",
        ),
        ({"alertmanager_webhook_urls": ["ftp://x"]}, "alertmanager_webhook_urls"),
        ({"node_exporter_listen_address": "everywhere"}, "node_exporter_listen_address"),
        ({"node_exporter_nginx_port": 9100}, "node_exporter_nginx_port"),
    ],
)
def test_bad_inventory_fails_naming_the_variable(tmp_path, variables, named):
    rc, out = run_preflight(tmp_path, **variables)
    assert rc != 0
    assert named in out, out[-2000:]
