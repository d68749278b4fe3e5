#!/usr/bin/python
# The roles' one question per stage on a converged host: what is missing or different? One module
# call answers it for all of a role's packages, files and units, so the apt, template, copy, file
# and systemd modules (each a round trip, most two) run only for what needs them.

from __future__ import annotations

DOCUMENTATION = r"""
module: host_drift
short_description: Which packages, paths and units of a list differ from their wanted state
description:
  - Read-only. Reports the Debian packages that are not installed, the paths whose type, content,
    owner, group or mode differ from the wanted ones, and the systemd units that are not both
    enabled and active. Never changes the host; supports check mode.
options:
  packages:
    description: Debian package names. A name with a version or an architecture is never found,
      so the caller's apt task always sees it.
    type: list
    elements: str
    default: []
  entries:
    description:
      - "Each item is [name, owner:group:mode, wanted]. wanted is C(dir) (a directory), C(file) (a
        regular file, whatever its content: a generated secret), C(absent)
        (nothing at the path, not even a link), C(unit) (the systemd unit name enabled and active;
        owner:group:mode unused), C(enabled) (the unit enabled, active or not), C(active) (the unit
        active, enabled or not: a static unit), C(group) (a group of that name exists), C(user)
        (the user exists, the second field being group:home:shell[:comment] rather than
        owner:group:mode), or the SHA-1 of the file's wanted content."
      - "mode is octal, with or without a leading zero (C(644), C(0750), C(2750))."
    type: list
    elements: list
    default: []
author: Semantik maintainers
"""

EXAMPLES = r"""
- name: Find what differs
  host_drift:
    packages: [nginx, ssl-cert]
    entries:
      - [/etc/nginx/conf.d, "root:root:755", dir]
      - [/etc/nginx/nginx.conf, "root:root:644",
         "{{ lookup('ansible.builtin.template', 'nginx.conf.j2') | hash('sha1') }}"]
      - [nginx.service, "", unit]
  register: __proxy_drift
"""

RETURN = r"""
missing:
  description: The packages of I(packages) that are not installed.
  returned: always
  type: list
  elements: str
drifted:
  description: The names of I(entries) whose state differs from the wanted one, in their order.
  returned: always
  type: list
  elements: str
"""

import grp
import hashlib
import os
import pwd
import stat

from ansible.module_utils.basic import AnsibleModule


def _installed(module: AnsibleModule, package: str) -> bool:
    rc, out, _ = module.run_command(["dpkg-query", "-W", "-f", "${db:Status-Abbrev}", package])
    return rc == 0 and out[1:2] == "i"


def _unit_enabled(module: AnsibleModule, unit: str) -> bool:
    _, enabled, _ = module.run_command(["systemctl", "is-enabled", unit])
    return enabled.strip() == "enabled"


def _unit_active(module: AnsibleModule, unit: str) -> bool:
    rc, _, _ = module.run_command(["systemctl", "is-active", "--quiet", unit])
    return rc == 0


def _user_matches(name: str, spec: str) -> bool:
    """spec is group:home:shell[:comment], as the user module would set them."""
    group, home, shell, *comment = spec.split(":", 3)
    try:
        user = pwd.getpwnam(name)
        primary = grp.getgrgid(user.pw_gid).gr_name
    except KeyError:
        return False
    return (primary, user.pw_dir, user.pw_shell) == (group, home, shell) and (
        not comment or user.pw_gecos == comment[0]
    )


def _group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


def _owned(st: os.stat_result, ownership: str) -> bool:
    """ownership is owner:group:mode, the mode octal with or without a leading zero."""
    owner, _, rest = ownership.partition(":")
    group, _, mode = rest.partition(":")
    try:
        wanted_mode = int(mode, 8)
    except ValueError:
        return False
    return _ownership(st) == f"{owner}:{group}:{wanted_mode:o}"


def _ownership(st: os.stat_result) -> str:
    try:
        user = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        user = str(st.st_uid)
    try:
        group = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        group = str(st.st_gid)
    return f"{user}:{group}:{stat.S_IMODE(st.st_mode):o}"


def _sha1(path: str) -> str:
    digest = hashlib.sha1()  # noqa: S324 - a content fingerprint, as Ansible's own checksums
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def _matches(module: AnsibleModule, name: str, ownership: str, wanted: str) -> bool:
    if wanted == "unit":
        return _unit_enabled(module, name) and _unit_active(module, name)
    if wanted == "enabled":
        return _unit_enabled(module, name)
    if wanted == "active":
        return _unit_active(module, name)
    if wanted == "user":
        return _user_matches(name, ownership)
    if wanted == "group":
        return _group_exists(name)
    if wanted == "absent":
        return not os.path.lexists(name)
    try:
        st = os.stat(name)
    except OSError:
        return False
    if wanted == "dir":
        return stat.S_ISDIR(st.st_mode) and _owned(st, ownership)
    if wanted == "file":
        return stat.S_ISREG(st.st_mode) and _owned(st, ownership)
    return stat.S_ISREG(st.st_mode) and _owned(st, ownership) and _sha1(name) == wanted


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "packages": {"type": "list", "elements": "str", "default": []},
            "entries": {"type": "list", "elements": "list", "default": []},
        },
        supports_check_mode=True,
    )
    for entry in module.params["entries"]:
        if len(entry) != 3:
            module.fail_json(
                msg=f"host_drift: an entry is [name, owner:group:mode, wanted], not {entry!r}"
            )
    module.exit_json(
        changed=False,
        missing=[p for p in module.params["packages"] if not _installed(module, p)],
        drifted=[
            str(name)
            for name, ownership, wanted in module.params["entries"]
            if not _matches(module, str(name), str(ownership), str(wanted))
        ],
    )


if __name__ == "__main__":
    main()
