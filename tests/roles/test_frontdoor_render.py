"""proxy and firewall on a many-host inventory, rendered on the controller: the real roles'
preflight (address resolution, input checks) and templates, run by ansible-playbook against
local connections. The molecule scenario frontdoor loads the same files into real nginx/nftables;
here we show what a one-machine scenario cannot: several webui/vecpipe/Qdrant/monitoring hosts."""

import subprocess
import sys

import pytest

from tests.roles.local_ansible import PLAYBOOK, REPO, isolated_env

pytestmark = pytest.mark.skipif(PLAYBOOK is None, reason="ansible-playbook not installed")

INVENTORY = """
all:
  vars:
    ansible_connection: local
    ansible_python_interpreter: {python}
  children:
    proxy:
      hosts:
        edge1: {{proxy_address: 10.0.0.10, firewall_address: 10.0.0.10}}
    webui:
      hosts:
        web1: {{proxy_address: 10.0.0.11, firewall_address: 10.0.0.11}}
        web2: {{proxy_address: "fd00::12", firewall_address: "fd00::12"}}
    vecpipe:
      hosts:
        gpu1: {{proxy_address: 10.0.1.1, firewall_address: 10.0.1.1}}
        gpu2: {{proxy_address: 10.0.1.2, firewall_address: 10.0.1.2}}
    qdrant:
      hosts:
        q1: {{firewall_address: 10.0.2.1}}
        q2: {{firewall_address: 10.0.2.2}}
        q3: {{firewall_address: 10.0.2.3}}
    monitoring:
      hosts:
        mon1: {{proxy_address: 10.0.3.1, firewall_address: 10.0.3.1}}
    registry:
      hosts:
        reg1: {{firewall_address: 10.0.4.1}}
"""

PLAY = """
- name: Render the proxy's site for {{{{ target }}}}
  hosts: "{{{{ target }}}}"
  gather_facts: false
  tasks:
    - name: Preflight
      ansible.builtin.include_role:
        name: {role}
        tasks_from: preflight
        public: true
    - name: Render
      ansible.builtin.template:
        src: "{{{{ lookup('ansible.builtin.env', 'ROLES') }}}}/{role}/templates/{template}"
        dest: "{{{{ lookup('ansible.builtin.env', 'OUT') }}}}/{{{{ inventory_hostname }}}}"
        mode: "0644"
      delegate_to: localhost
"""


def render(tmp_path, role, template, target, *extra):
    (tmp_path / "hosts.yml").write_text(INVENTORY.format(python=sys.executable))
    (tmp_path / "play.yml").write_text(PLAY.format(role=role, template=template))
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    env = {
        **isolated_env(tmp_path),
        "ROLES": str(REPO / "roles"),
        "OUT": str(out),
    }
    result = subprocess.run(
        [
            PLAYBOOK,
            "-i",
            str(tmp_path / "hosts.yml"),
            str(tmp_path / "play.yml"),
            "-e",
            f"target={target}",
            "-e",
            "_proxy_http2_in_listen=true",
            *extra,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    rendered = out / target
    return result, rendered.read_text() if rendered.exists() else None


def test_proxy_balances_across_every_webui_host(tmp_path):
    result, conf = render(tmp_path, "proxy", "semantik.conf.j2", "edge1")
    assert result.returncode == 0, result.stdout + result.stderr
    webui = conf.split("upstream semantik_webui {", 1)[1].split("}", 1)[0]
    assert "server 10.0.0.11:8080;" in webui
    assert "server [fd00::12]:8080;" in webui
    # vecpipe is balanced on the webui hosts (internal_tls), never on the proxy.
    assert "semantik_vecpipe" not in conf and "8100" not in conf
    metrics = conf.split("location = /metrics {", 1)[1].split("}", 1)[0]
    assert "allow 10.0.3.1;" in metrics and "allow 127.0.0.1;" in metrics
    assert metrics.strip().splitlines()[-2].strip() == "deny all;"


def test_proxy_on_a_webui_host_uses_loopback_for_itself(tmp_path):
    result, conf = render(tmp_path, "proxy", "semantik.conf.j2", "web1")
    assert result.returncode == 0, result.stdout + result.stderr
    webui = conf.split("upstream semantik_webui {", 1)[1].split("}", 1)[0]
    assert "server 127.0.0.1:8080;" in webui and "server [fd00::12]:8080;" in webui
    assert "10.0.0.11" not in webui


def test_firewall_on_a_qdrant_peer(tmp_path):
    result, rules = render(tmp_path, "firewall", "semantik.nft.j2", "q1")
    assert result.returncode == 0, result.stdout + result.stderr

    def elements(name):
        block = rules.split(f"set {name} {{", 1)[1].split("}", 1)[0]
        return block.split("elements = {", 1)[1].strip() if "elements" in block else ""

    # webui, the vecpipe hosts, and the monitoring host (it scrapes Qdrant's /metrics).
    assert elements("qdrant_clients_v4") == "10.0.0.11, 10.0.1.1, 10.0.1.2, 10.0.3.1"
    assert elements("qdrant_clients_v6") == "fd00::12"
    # Peers are the other members only.
    assert elements("qdrant_peers_v4") == "10.0.2.2, 10.0.2.3"
    assert elements("monitoring_v4") == "10.0.3.1"
    assert "tcp dport { 6333, 6334 } ip saddr @qdrant_clients_v4 accept" in rules
    assert "tcp dport 6335 ip saddr @qdrant_peers_v4 accept" in rules
    # Not a proxy host: no public web ports; never a flush of the whole ruleset.
    assert "tcp dport { 80, 443 }" not in rules
    assert "flush ruleset" not in rules
    chain = [ln.strip() for ln in rules.split("chain input {", 1)[1].splitlines()]
    lines = [ln for ln in chain if ln and not ln.startswith("#")]
    assert lines[1].startswith("tcp dport 22 ip saddr @ssh_sources_v4")
    assert lines[3] == "ct state established,related accept"


def test_firewall_on_a_registry_host_admits_the_pulling_hosts_only(tmp_path):
    result, rules = render(tmp_path, "firewall", "semantik.nft.j2", "reg1")
    assert result.returncode == 0, result.stdout + result.stderr
    block = rules.split("set registry_clients_v4 {", 1)[1].split("}", 1)[0]
    # The vecpipe and webui hosts (firewall_registry_client_groups), not the proxy or Qdrant.
    assert block.split("elements = {", 1)[1].strip() == "10.0.0.11, 10.0.1.1, 10.0.1.2"
    assert "fd00::12" in rules.split("set registry_clients_v6 {", 1)[1].split("}", 1)[0]
    assert "tcp dport 5000 ip saddr @registry_clients_v4 accept" in rules
    assert "tcp dport 5000 ip6 saddr @registry_clients_v6 accept" in rules
    # Elsewhere the port stays closed.
    _, qdrant_rules = render(tmp_path, "firewall", "semantik.nft.j2", "q1")
    assert "dport 5000" not in qdrant_rules


def test_firewall_refuses_an_empty_ssh_allow_list(tmp_path):
    result, _ = render(
        tmp_path, "firewall", "semantik.nft.j2", "q1", "-e", '{"firewall_ssh_sources": []}'
    )
    assert result.returncode != 0
    assert "firewall_ssh_sources is empty" in result.stdout


def test_firewall_refuses_a_source_that_is_not_an_address(tmp_path):
    result, _ = render(
        tmp_path,
        "firewall",
        "semantik.nft.j2",
        "q1",
        "-e",
        '{"firewall_ssh_sources": ["admins.example.org"]}',
    )
    assert result.returncode != 0
    assert "admins.example.org" in result.stdout and "firewall_ssh_sources" in result.stdout


def test_proxy_provided_mode_needs_both_files(tmp_path):
    result, _ = render(
        tmp_path,
        "proxy",
        "semantik.conf.j2",
        "edge1",
        "-e",
        "proxy_certificate_mode=provided",
    )
    assert result.returncode != 0
    assert "proxy_provided_certificate" in result.stdout


def test_proxy_acme_mode_needs_a_contact(tmp_path):
    result, _ = render(
        tmp_path, "proxy", "semantik.conf.j2", "edge1", "-e", "proxy_certificate_mode=acme"
    )
    assert result.returncode != 0
    assert "proxy_acme_email" in result.stdout


def test_internal_tls_on_a_webui_host_balances_over_every_vecpipe_host(tmp_path):
    result, conf = render(
        tmp_path, "internal_tls", "semantik-internal.conf.j2", "web1", "-e",
        "internal_tls_enabled=true",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    # TLS in front of webui on the host's address; webui itself stays on loopback.
    assert "listen 10.0.0.11:8080 ssl;" in conf
    assert "proxy_pass http://semantik_webui_local;" in conf
    assert "server 127.0.0.1:8080 max_fails=0;" in conf
    upstream = conf.split("upstream semantik_vecpipe_tls {", 1)[1].split("}", 1)[0]
    assert "server 10.0.1.1:8000 max_fails=1 fail_timeout=10s;" in upstream
    assert "server 10.0.1.2:8000 max_fails=1 fail_timeout=10s;" in upstream
    balancer = conf.split("listen 127.0.0.1:8100;", 1)[1]
    for line in ("proxy_pass https://semantik_vecpipe_tls;", "proxy_ssl_verify on;",
                 "proxy_ssl_name vecpipe.semantik.internal;",
                 "proxy_ssl_trusted_certificate /etc/ssl/semantik-internal/ca.crt;"):
        assert line in balancer, line
    # Not a vecpipe host: no listener in front of vecpipe.
    assert ":8000 ssl;" not in conf


def test_internal_tls_on_a_vecpipe_host_fronts_vecpipe_only(tmp_path):
    result, conf = render(
        tmp_path, "internal_tls", "semantik-internal.conf.j2", "gpu1", "-e",
        "internal_tls_enabled=true",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "listen 10.0.1.1:8000 ssl;" in conf
    assert "proxy_pass http://semantik_vecpipe_local;" in conf
    assert "server 127.0.0.1:8000 max_fails=0;" in conf
    assert "semantik_vecpipe_tls" not in conf and ":8080" not in conf


def test_internal_tls_refuses_services_off_loopback(tmp_path):
    result, _ = render(
        tmp_path, "internal_tls", "semantik-internal.conf.j2", "gpu1", "-e",
        "internal_tls_enabled=true", "-e", "semantik_vecpipe_host=0.0.0.0",
    )  # fmt: skip
    assert result.returncode != 0
    assert "semantik_vecpipe_host" in result.stdout


def test_proxy_reaches_webui_over_tls_when_asked(tmp_path):
    result, conf = render(
        tmp_path, "proxy", "semantik.conf.j2", "web1", "-e", "proxy_webui_tls=true"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    webui = conf.split("upstream semantik_webui {", 1)[1].split("}", 1)[0]
    # Over TLS this host's own webui is reached at its address too (nginx's listener there).
    assert "server 10.0.0.11:8080;" in webui and "127.0.0.1" not in webui
    assert "proxy_pass http://semantik_webui;" not in conf
    assert conf.count("proxy_pass https://semantik_webui;") == 6
    assert "proxy_ssl_verify on;" in conf and "proxy_ssl_name webui.semantik.internal;" in conf
