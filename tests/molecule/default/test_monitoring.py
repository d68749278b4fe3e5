"""Monitoring of the whole site (default scenario; the proxy host is also in `monitoring`, and it
scrapes the web and vecpipe hosts over the network).

- every target in Prometheus' /api/v1/targets is up (node, vecpipe, webui, nginx, the blackbox
  probe of /readyz through nginx, Prometheus, Alertmanager);
- backup and restore-drill metrics reach Prometheus and the drill reports success;
- the certificate-days metric matches the proxy's certificate;
- `systemctl stop semantik-vecpipe`: its alert reaches the webhook sink on the client (the time
  from the stop to the POST is printed), then vecpipe is started again;
- exporter, Prometheus and Alertmanager ports are unreachable from the client;
- a bad rule and a bad Alertmanager config are refused by the roles, and the running Prometheus
  and Alertmanager keep their last good configuration.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.molecule.frontdoor.frontdoor_net import probe
from tests.molecule.helpers import address, group_host, offline

testinfra_hosts = ["monitoring"]

REPO = Path(__file__).resolve().parents[3]
PROM = "http://127.0.0.1:9090"
SINK_LOG = "/var/lib/alert-sink/requests.jsonl"
EXPECTED_JOBS = {
    "prometheus", "alertmanager", "node", "vecpipe", "webui", "nginx", "blackbox-readyz"
}


def _sh(host, command: str) -> str:
    result = host.run(command)
    assert result.rc == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _api(host, path: str, **params: str) -> dict:
    query = " ".join(f"--data-urlencode {shlex.quote(f'{k}={v}')}" for k, v in params.items())
    out = _sh(host, f"curl -fsS -G {query} {PROM}{path}")
    data = json.loads(out)
    assert data["status"] == "success", out
    return data["data"]


def _query(host, expr: str) -> list[dict]:
    return _api(host, "/api/v1/query", query=expr)["result"]


def _wait(what: str, check, timeout: float = 120, interval: float = 2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def _services_ready() -> bool:
    """vecpipe and webui ready, each on its own host's loopback."""
    return all(
        group_host(group).run(f"curl -fsS http://127.0.0.1:{port}/readyz").rc == 0
        for group, port in (("vecpipe", 8000), ("webui", 8080))
    )


def _playbook(host, *extra: str) -> subprocess.CompletedProcess:
    inventory = os.environ.get("MOLECULE_INVENTORY_FILE")
    if not inventory:
        pytest.skip("needs the molecule inventory (run through `molecule verify`)")
    command = [
        str(Path(sys.executable).with_name("ansible-playbook")),
        "-i",
        inventory,
        str(REPO / "playbooks" / "monitoring.yml"),
        "--limit",
        host.backend.host,
        *extra,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=900, env=os.environ)


def test_every_target_is_up(host):
    def all_up():
        targets = _api(host, "/api/v1/targets")["activeTargets"]
        jobs = {t["labels"]["job"] for t in targets}
        down = [(t["labels"]["job"], t["lastError"]) for t in targets if t["health"] != "up"]
        return targets if jobs >= EXPECTED_JOBS and not down else None

    targets = _wait("every target up", all_up)
    print("\ntargets up: " + ", ".join(sorted(f"{t['labels']['job']}" for t in targets)))
    # The Semantik units are watched through the node exporter's systemd collector.
    units = _query(host, 'node_systemd_unit_state{name=~"semantik-.+",state="active"} == 1')
    assert {r["metric"]["name"] for r in units} >= {
        "semantik-vecpipe.service",
        "semantik-webui.service",
    }


def test_services_listen_on_loopback_only(host):
    listening = _sh(host, "ss -Hltn")
    for port in (9090, 9093, 9100, 9113, 9115, 8089):
        local = [ln.split()[3] for ln in listening.splitlines()]
        sockets = [a for a in local if a.endswith(f":{port}")]
        assert sockets, f"nothing listens on {port}"
        assert all(s.startswith(("127.0.0.1:", "[::1]:")) for s in sockets), (port, sockets)
    assert ":9094" not in listening  # Alertmanager's cluster port is off


def test_alertmanager_config_is_private(host):
    with host.sudo():
        config = host.file("/etc/prometheus/alertmanager.yml")
        assert config.user == "root" and config.group == "prometheus" and config.mode == 0o640
        assert "9099/alerts" in config.content_string


def test_backup_and_restore_drill_metrics(host):
    web = group_host("webui")  # backups and drills run where webui's database is
    with web.sudo():
        cron = web.file("/etc/cron.d/semantik-restore-drill")
        assert (
            "systemd-cat --identifier=semantik-restore-drill /usr/local/sbin/semantik-restore-drill"
            in cron.content_string
        )
        _wait("services ready", _services_ready, timeout=300)
        _sh(web, "/usr/local/sbin/semantik-backup")
        line = _sh(web, "/usr/local/sbin/semantik-restore-drill").strip()
        assert line.startswith("semantik-restore-drill: ok archive=/var/backups/semantik/"), line
        # The shards load only where qdrant-edge is installed (vecpipe's extras; every host of an
        # offline site, which installs the bundle's whole lock); a webui-only host of an online
        # site verifies the archive's checksums.
        here = web.run("/opt/semantik/venv/bin/python -m pip show --quiet qdrant-edge-py").rc == 0
        assert here == ("vecpipe" in web.ansible.get_variables().get("group_names", [])
                        or offline(web))
        assert f"shards_loaded={str(here).lower()}" in line, line
        # Nothing of the drill is left behind.
        assert _sh(web, "find /var/backups/semantik -maxdepth 1 -name '.drill-*'") == ""
        textfile = web.file("/var/lib/prometheus/node-exporter/semantik_restore_drill.prom")
        assert textfile.mode == 0o644
    print(f"\n{line}")

    def scraped():
        got = {
            name: _query(host, name)
            for name in (
                "semantik_restore_drill_success",
                "time() - semantik_backup_last_success_timestamp_seconds",
                "time() - semantik_restore_drill_last_success_timestamp_seconds",
                'semantik_restore_drill_count{source="archive",kind="users"}',
            )
        }
        return got if all(got.values()) else None

    got = _wait("backup and drill metrics in Prometheus", scraped, timeout=60)
    value = {name: float(result[0]["value"][1]) for name, result in got.items()}
    assert value["semantik_restore_drill_success"] == 1
    assert value["time() - semantik_backup_last_success_timestamp_seconds"] < 600
    assert value["time() - semantik_restore_drill_last_success_timestamp_seconds"] < 600
    assert value['semantik_restore_drill_count{source="archive",kind="users"}'] >= 1
    # No backup or drill alert fires now.
    names = [a["labels"]["alertname"] for a in _api(host, "/api/v1/alerts")["alerts"]]
    assert not [n for n in names if "Backup" in n or "Drill" in n], names


def test_certificate_days_match_the_certificate(host):
    with host.sudo():
        end = _sh(host, "openssl x509 -noout -enddate -in /etc/ssl/semantik/fullchain.pem").strip()
    not_after = datetime.strptime(end.split("=", 1)[1], "%b %d %H:%M:%S %Y %Z").replace(tzinfo=UTC)
    result = _wait(
        "the certificate expiry metric",
        lambda: _query(host, "probe_ssl_earliest_cert_expiry"),
        timeout=60,
    )
    assert abs(float(result[0]["value"][1]) - not_after.timestamp()) < 1
    days = _query(host, "(probe_ssl_earliest_cert_expiry - time()) / 86400")[0]["value"][1]
    print(f"\ncertificate days left (Prometheus): {float(days):.1f}; notAfter {not_after}")
    ready = _query(host, 'probe_success{job="blackbox-readyz"}')
    assert float(ready[0]["value"][1]) == 1


def test_stopping_vecpipe_reaches_the_webhook(host):
    client = group_host("clients")
    vecpipe, web = group_host("vecpipe"), group_host("webui")
    with vecpipe.sudo(), web.sudo():
        _wait("services ready", _services_ready, timeout=300)
        # Only alerts that fire from now on count.
        client.run(f"truncate -s 0 {SINK_LOG}")
        stopped_at = float(_sh(vecpipe, "date +%s.%N"))
        try:
            # The socket too, as an operator takes vecpipe down: while it listens, the next
            # scrape of /metrics would start vecpipe again.
            _sh(vecpipe, "systemctl stop semantik-vecpipe.socket semantik-vecpipe.service")

            def vecpipe_alert():
                for line in client.run(f"cat {SINK_LOG}").stdout.splitlines():
                    record = json.loads(line)
                    for alert in record["body"]["alerts"]:
                        labels = alert["labels"]
                        if alert["status"] == "firing" and (
                            labels.get("job") == "vecpipe"
                            or labels.get("name") == "semantik-vecpipe.service"
                        ):
                            return record["received"], labels
                return None

            received, labels = _wait("the vecpipe alert at the webhook", vecpipe_alert, 180, 0.5)
        finally:
            _sh(vecpipe, "systemctl start semantik-vecpipe.socket semantik-vecpipe.service")
            _sh(web, "systemctl start semantik-webui.service")
            _wait("services ready again", _services_ready, timeout=300)
    seconds = received - stopped_at
    print(
        f"\nsystemctl stop semantik-vecpipe -> webhook POST ({labels['alertname']}): "
        f"{seconds:.1f}s (scrape/evaluation 2s, for: 4s, group_wait 1s)"
    )
    assert 0 < seconds < 180


def test_exporters_unreachable_from_the_client(host):
    client = group_host("clients")
    seen = probe(client, address(host), [9090, 9093, 9094, 9100, 9113, 9115, 8089])
    assert all(state != "open" for state in seen.values()), seen


def test_bad_rule_and_bad_alertmanager_config_are_refused(host):
    with host.sudo():
        before = _sh(
            host,
            "sha256sum /etc/prometheus/rules/semantik-alerts.yml /etc/prometheus/alertmanager.yml",
        )
    bad_rule = {"alert": "Bad", "expr": "up == ) 0"}
    bad_rules = json.dumps({"prometheus_extra_rule_groups": [{"name": "bad", "rules": [bad_rule]}]})
    result = _playbook(host, "--tags", "prometheus_configure", "-e", bad_rules)
    assert result.returncode != 0
    assert "Install the extra rules" in result.stdout and "failed" in result.stdout.lower()

    bad_wait = "alertmanager_group_wait=soon"
    result = _playbook(host, "--tags", "alertmanager_configure", "-e", bad_wait)
    assert result.returncode != 0
    assert "Install alertmanager.yml" in result.stdout
    # The config holds secrets: its failure must not print it.
    assert "9099/alerts" not in result.stdout

    with host.sudo():
        assert host.run("test -e /etc/prometheus/rules/extra.yml").rc != 0
        assert _sh(
            host,
            "sha256sum /etc/prometheus/rules/semantik-alerts.yml /etc/prometheus/alertmanager.yml",
        ) == before
    _sh(host, "curl -fsS http://127.0.0.1:9090/-/ready")
    _sh(host, "curl -fsS http://127.0.0.1:9093/-/ready")
    rules = _api(host, "/api/v1/rules")["groups"]
    assert "SemantikTargetDown" in {r["name"] for g in rules for r in g["rules"]}
