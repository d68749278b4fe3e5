"""Helpers shared by the frontdoor tests: hosts by inventory group, and probes run on a host."""

from __future__ import annotations

import json
import os

import testinfra
from testinfra.utils.ansible_runner import AnsibleRunner


def inventory() -> str:
    return os.environ["MOLECULE_INVENTORY_FILE"]


def group_host(group: str):
    """The (single) test host of an inventory group; names carry a CI prefix, groups do not."""
    names = AnsibleRunner(inventory()).get_hosts(group)
    assert len(names) == 1, f"expected one host in group {group}, got {names}"
    return testinfra.get_host(f"ansible://{names[0]}", ansible_inventory=inventory())


def address(host) -> str:
    return host.check_output("hostname -I").split()[0]


# Run on the probing host: "open" (connected), "refused" (RST: the packet got through, nothing
# listens) or "filtered" (no answer: dropped by a firewall).
_PROBE = """
import json, socket, sys
out = {}
for port in map(int, sys.argv[2:]):
    s = socket.socket(); s.settimeout(3)
    try:
        s.connect((sys.argv[1], port)); out[port] = "open"
    except ConnectionRefusedError:
        out[port] = "refused"
    except OSError:
        out[port] = "filtered"
    finally:
        s.close()
print(json.dumps(out))
"""


def probe(host, target: str, ports: list[int]) -> dict[int, str]:
    cmd = "python3 -c {} {} {}".format(_quote(_PROBE), target, " ".join(str(p) for p in ports))
    return {int(k): v for k, v in json.loads(host.check_output(cmd)).items()}


def _quote(s: str) -> str:
    return "'" + s.replace("'", "'\"'\"'") + "'"
