"""qdrant role in distributed mode on a 3-peer inventory, rendered on the controller: the real
role's preflight and templates (config.yaml, qdrant.service) run by ansible-playbook against
local connections; the firewall role's rules for a peer and for a vecpipe host. No Qdrant binary
runs here: molecule/qdrant-cluster runs the cluster itself where QDRANT_ARTIFACT is supplied."""

import os
import re
import subprocess
import sys

import pytest
import yaml

from tests.roles.local_ansible import PLAYBOOK, REPO, isolated_env

pytestmark = pytest.mark.skipif(PLAYBOOK is None, reason="ansible-playbook not installed")

# q2 binds every address: its URI comes from its ansible_host (a local connection ignores it).
INVENTORY = """
all:
  vars:
    ansible_connection: local
    ansible_python_interpreter: {python}
  children:
    webui:
      hosts:
        web1: {{firewall_address: 10.0.0.11}}
    vecpipe:
      hosts:
        gpu1: {{firewall_address: 10.0.1.1}}
    qdrant:
      hosts:
        q1: {{qdrant_host: 10.0.2.1, firewall_address: 10.0.2.1}}
        q2: {{qdrant_host: 0.0.0.0, ansible_host: 10.0.2.2, firewall_address: 10.0.2.2}}
        q3: {{qdrant_host: 10.0.2.3, firewall_address: 10.0.2.3}}
    pair:
      hosts:
        q1:
        q2:
    alone:
      hosts:
        q1:
    qdrant_v6:
      hosts:
        r1: {{qdrant_host: "fd00::21"}}
        r2: {{qdrant_host: "fd00::22"}}
        r3: {{qdrant_host: "fd00::23"}}
"""

PLAY = """
- name: Render {role} for {{{{ target }}}}
  hosts: "{{{{ target }}}}"
  gather_facts: true
  gather_subset: [min]
  tasks:
    - name: Preflight
      ansible.builtin.include_role:
        name: {role}
        tasks_from: preflight
        public: true
    - name: Render
      ansible.builtin.template:
        src: "{{{{ lookup('ansible.builtin.env', 'ROLES') }}}}/{role}/templates/{{{{ item }}}}"
        dest: "{{{{ lookup('ansible.builtin.env', 'OUT') }}}}/{{{{ target }}}}-{{{{ item }}}}"
        mode: "0644"
      loop: {templates}
      delegate_to: localhost
"""

# Keys every peer shares: random for each run, never a literal in the repository.
KEYS = (
    "-e", "qdrant_api_key={{ lookup('ansible.builtin.password', '/dev/null', length=48) }}",
    "-e", "qdrant_read_only_api_key={{ lookup('ansible.builtin.password', '/dev/null') }}",
)  # fmt: skip
CLUSTER = ("-e", "qdrant_cluster_enabled=true", "-e", "qdrant_binary_install=false", *KEYS)


QDRANT_TEMPLATES = ("config.yaml.j2", "qdrant.service.j2")


def render(tmp_path, target, *extra, role="qdrant", templates=QDRANT_TEMPLATES):
    (tmp_path / "hosts.yml").write_text(INVENTORY.format(python=sys.executable))
    (tmp_path / "play.yml").write_text(PLAY.format(role=role, templates=list(templates)))
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    env = {**isolated_env(tmp_path), "ROLES": str(REPO / "roles"), "OUT": str(out)}
    result = subprocess.run(
        [PLAYBOOK, "-i", str(tmp_path / "hosts.yml"), str(tmp_path / "play.yml"),
         "-e", f"target={target}", *extra],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    files = {t: (out / f"{target}-{t}") for t in templates}
    rendered = {t: p.read_text() for t, p in files.items() if p.exists()}
    return result, " ".join((result.stdout + result.stderr).split()), rendered


def exec_args(unit: str) -> list[str]:
    line = next(ln for ln in unit.splitlines() if ln.startswith("ExecStart="))
    return line.rstrip("'").split(" exec ", 1)[1].split()


def test_first_peer_starts_the_cluster_without_bootstrap(tmp_path):
    result, text, out = render(tmp_path, "q1", *CLUSTER)
    assert result.returncode == 0, text
    args = exec_args(out["qdrant.service.j2"])
    assert args[args.index("--uri") + 1] == "http://10.0.2.1:6335"
    assert "--bootstrap" not in args
    cfg = yaml.safe_load(out["config.yaml.j2"])
    assert cfg["cluster"] == {
        "enabled": True,
        "p2p": {"port": 6335, "enable_tls": False},
        "consensus": {"tick_period_ms": 100},
    }
    assert cfg["service"]["host"] == "10.0.2.1"


@pytest.mark.parametrize(("peer", "uri"), [("q2", "http://10.0.2.2:6335"), ("q3", "http://10.0.2.3:6335")])
def test_other_peers_bootstrap_from_the_first(tmp_path, peer, uri):
    result, text, out = render(tmp_path, peer, *CLUSTER)
    assert result.returncode == 0, text
    args = exec_args(out["qdrant.service.j2"])
    assert args[args.index("--uri") + 1] == uri
    assert args[args.index("--bootstrap") + 1] == "http://10.0.2.1:6335"


def test_p2p_port_and_tls_follow_the_variables(tmp_path):
    result, text, out = render(
        tmp_path, "q3", *CLUSTER, "-e", "qdrant_cluster_p2p_port=7335",
        "-e", "qdrant_tls_enabled=true", "-e", "qdrant_tls_p2p=true",
        "-e", "qdrant_tls_cert=/etc/qdrant/tls/cert.pem",
        "-e", "qdrant_tls_key=/etc/qdrant/tls/key.pem",
    )  # fmt: skip
    assert result.returncode == 0, text
    args = exec_args(out["qdrant.service.j2"])
    # Every peer's p2p port is the group's (-e applies to all); https between TLS peers.
    assert args[args.index("--uri") + 1] == "https://10.0.2.3:7335"
    assert args[args.index("--bootstrap") + 1] == "https://10.0.2.1:7335"
    p2p = yaml.safe_load(out["config.yaml.j2"])["cluster"]["p2p"]
    assert p2p == {"port": 7335, "enable_tls": True}


def test_ipv6_peers_get_bracketed_uris(tmp_path):
    group = ("-e", "qdrant_cluster_peer_group=qdrant_v6")
    result, text, out = render(tmp_path, "r3", *CLUSTER, *group)
    assert result.returncode == 0, text
    args = exec_args(out["qdrant.service.j2"])
    assert args[args.index("--uri") + 1] == "http://[fd00::23]:6335"
    assert args[args.index("--bootstrap") + 1] == "http://[fd00::21]:6335"


def test_single_server_has_no_cluster_flags(tmp_path):
    result, text, out = render(tmp_path, "q2", "-e", "qdrant_binary_install=false")
    assert result.returncode == 0, text
    args = exec_args(out["qdrant.service.j2"])
    assert "--uri" not in args and "--bootstrap" not in args
    assert "consensus" not in yaml.safe_load(out["config.yaml.j2"])["cluster"]


def test_replication_two_with_write_consistency_two_on_three_peers_passes(tmp_path):
    result, text, _ = render(
        tmp_path, "q2", *CLUSTER,
        "-e", "qdrant_replication_factor=2", "-e", "qdrant_write_consistency_factor=2",
    )  # fmt: skip
    assert result.returncode == 0, text
    assert "WARNING" not in text


# --- preflight refusals -----------------------------------------------------------------------


def test_replication_above_the_peer_count_is_refused(tmp_path):
    result, text, out = render(tmp_path, "q1", *CLUSTER, "-e", "qdrant_replication_factor=4")
    assert result.returncode != 0
    assert "qdrant_replication_factor (4) must be between 1 and the number of peers (3)" in text
    assert not out  # refused before anything was rendered


def test_replication_above_one_without_a_cluster_is_refused(tmp_path):
    result, text, _ = render(
        tmp_path, "q1", "-e", "qdrant_binary_install=false", "-e", "qdrant_replication_factor=2"
    )
    assert result.returncode != 0
    assert "number of peers (1: qdrant_cluster_enabled is false)" in text


def test_write_consistency_above_replication_is_refused(tmp_path):
    result, text, _ = render(
        tmp_path, "q1", *CLUSTER,
        "-e", "qdrant_replication_factor=2", "-e", "qdrant_write_consistency_factor=3",
    )  # fmt: skip
    assert result.returncode != 0
    assert "qdrant_write_consistency_factor (3) between 1 and qdrant_replication_factor" in text


def test_one_peer_cluster_is_refused(tmp_path):
    result, text, _ = render(tmp_path, "q1", *CLUSTER, "-e", "qdrant_cluster_peer_group=alone")
    assert result.returncode != 0
    assert "at least 2 peers" in text and "qdrant_cluster_peer_group ('alone': q1)" in text


def test_two_peer_cluster_warns(tmp_path):
    result, text, _ = render(tmp_path, "q2", *CLUSTER, "-e", "qdrant_cluster_peer_group=pair")
    assert result.returncode == 0, text
    assert "WARNING: qdrant_cluster_peer_group 'pair' has 2 peers" in text


def test_host_outside_the_peer_group_is_refused(tmp_path):
    result, text, _ = render(tmp_path, "q3", *CLUSTER, "-e", "qdrant_cluster_peer_group=pair")
    assert result.returncode != 0
    assert "needs this host in the group qdrant_cluster_peer_group ('pair': q1, q2)" in text


def test_cluster_without_shared_keys_is_refused(tmp_path):
    result, text, _ = render(
        tmp_path, "q1", "-e", "qdrant_cluster_enabled=true", "-e", "qdrant_binary_install=false"
    )
    assert result.returncode != 0
    assert "qdrant_api_key and qdrant_read_only_api_key are set (from a vault)" in text


def test_loopback_bind_in_a_cluster_is_refused(tmp_path):
    result, text, _ = render(tmp_path, "q1", *CLUSTER, "-e", "qdrant_host=127.0.0.1")
    assert result.returncode != 0
    assert "qdrant_host (127.0.0.1) must be an address the other peers reach" in text


# --- firewall: the peer port between peers only, the API for the application hosts -------------

FIREWALL = ("-e", "semantik_vector_store=qdrant")


def firewall_rules(tmp_path, target, *extra):
    result, text, out = render(
        tmp_path, target, *FIREWALL, *extra, role="firewall", templates=("semantik.nft.j2",)
    )
    assert result.returncode == 0, text
    return out["semantik.nft.j2"]


def addresses(rules, name):
    block = rules.split(f"set {name} {{", 1)[1].split("}", 1)[0]
    return re.findall(r"[0-9.]+\.[0-9]+", block)


def test_firewall_opens_the_p2p_port_to_the_other_peers_only(tmp_path):
    rules = firewall_rules(tmp_path, "q1", "-e", '{"firewall_qdrant_client_groups": ["vecpipe"]}')
    assert addresses(rules, "qdrant_peers_v4") == ["10.0.2.2", "10.0.2.3"]
    assert "tcp dport 6335 ip saddr @qdrant_peers_v4 accept" in rules
    # With the client groups production should use, only vecpipe reaches the API.
    assert addresses(rules, "qdrant_clients_v4") == ["10.0.1.1"]
    assert "tcp dport { 6333, 6334 } ip saddr @qdrant_clients_v4 accept" in rules


def test_firewall_of_a_vecpipe_host_has_no_qdrant_ports(tmp_path):
    rules = firewall_rules(tmp_path, "gpu1")
    assert "6335" not in rules and "@qdrant_peers_v4" not in rules


# --- the factors from the inventory to vecpipe ------------------------------------------------

ENV_PLAY = """
- name: Render semantik.env for a vecpipe host
  hosts: gpu1
  gather_facts: false
  tasks:
    - name: The semantik role's defaults
      ansible.builtin.include_vars:
        file: "{{ lookup('ansible.builtin.env', 'ROLES') }}/semantik/defaults/main.yml"
    - name: Render
      ansible.builtin.template:
        src: "{{ lookup('ansible.builtin.env', 'ROLES') }}/semantik/templates/semantik.env.j2"
        dest: "{{ lookup('ansible.builtin.env', 'OUT') }}/semantik.env"
        mode: "0644"
      delegate_to: localhost
"""


@pytest.mark.parametrize(
    ("factors", "expected"),
    [
        ((), (1, 1)),
        (("-e", "qdrant_replication_factor=2", "-e", "qdrant_write_consistency_factor=2"), (2, 2)),
    ],
)
def test_inventory_factors_reach_the_store_vecpipe_makes(tmp_path, monkeypatch, factors, expected):
    # group_vars/all sets the qdrant role's variables once; the semantik role writes them into
    # vecpipe's environment file, and the app's settings hand them to the store it creates
    # collections with.
    (tmp_path / "hosts.yml").write_text(INVENTORY.format(python=sys.executable))
    (tmp_path / "play.yml").write_text(ENV_PLAY)
    out = tmp_path / "out"
    out.mkdir()
    env = {**isolated_env(tmp_path), "ROLES": str(REPO / "roles"), "OUT": str(out)}
    result = subprocess.run(
        [PLAYBOOK, "-i", str(tmp_path / "hosts.yml"), str(tmp_path / "play.yml"),
         "-e", "semantik_vector_store=qdrant", "-e", "semantik_qdrant_url=http://10.0.2.1:6333",
         *factors],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    text = (out / "semantik.env").read_text()
    assert f"SEMANTIK_QDRANT_REPLICATION_FACTOR={expected[0]}\n" in text
    assert f"SEMANTIK_QDRANT_WRITE_CONSISTENCY_FACTOR={expected[1]}\n" in text

    from semantik.shared.settings import Settings
    from semantik.shared.vectorstore import make_store

    for name in [n for n in os.environ if n.startswith("SEMANTIK_")]:
        monkeypatch.delenv(name)
    settings = Settings(_env_file=out / "semantik.env", data_dir=tmp_path / "data")
    store = make_store(settings)
    try:
        assert (store.replication_factor, store.write_consistency_factor) == expected
    finally:
        store.close()
