#!/usr/bin/env python3
"""Read-only health probe playbooks/check.yml runs on each host (standard library only).

Argument: one JSON object saying what this host should be running and the thresholds. Prints one
JSON object: {"facts": [...], "problems": [...]}; facts are short "name value" strings for the
host's line, problems name what is wrong. Changes nothing on the host; exits 0 unless its input is
unusable, so the playbook decides (it fails at the end, after every host was checked).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request

DAY = 86400.0


def run(argv: list[str], timeout: float = 30) -> tuple[int, str]:
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 127, str(exc)
    return p.returncode, (p.stdout + p.stderr).strip()


def hours(seconds: float) -> str:
    return f"{seconds / 3600:.0f}h" if seconds < 2 * DAY else f"{seconds / DAY:.1f}d"


def check_units(units: list[str], facts: list[str], problems: list[str]) -> None:
    bad = []
    for unit in units:
        _, state = run(["systemctl", "is-active", unit])
        if state != "active":
            bad.append(unit)
            problems.append(f"{unit} is {(state.splitlines() or ['unknown'])[0]}")
    if units:
        facts.append(f"units {len(units) - len(bad)}/{len(units)} active")


def check_ready(urls: dict[str, str], problems: list[str]) -> None:
    for name, url in urls.items():
        try:
            with urllib.request.urlopen(url, timeout=10) as r:  # noqa: S310 (URLs from the playbook)
                status = r.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (OSError, ValueError) as exc:
            problems.append(f"{name} not ready ({url}: {getattr(exc, 'reason', exc)})")
            continue
        if status != 200:
            problems.append(f"{name} not ready ({url}: HTTP {status})")


def check_version(argv: list[str], facts: list[str], problems: list[str]) -> None:
    rc, out = run(argv)
    if rc == 0 and out:
        facts.append(f"release {out.splitlines()[-1]}")
    else:
        problems.append(f"release unknown ({' '.join(argv[:1])}: {out[-200:] or rc})")


def check_gpu(facts: list[str], problems: list[str]) -> None:
    # nvidia-smi's driver version is the user-space library's view; /sys/module/nvidia/version
    # is the loaded kernel module's. After a driver upgrade without a reboot they differ.
    try:
        with open("/sys/module/nvidia/version") as f:
            module = f.read().strip()
    except OSError:
        module = ""
    rc, out = run(["nvidia-smi", "--query-gpu=driver_version,name", "--format=csv,noheader"])
    rows = [r.split(",", 1) for r in out.splitlines() if r.strip()] if rc == 0 else []
    library = rows[0][0].strip() if rows else ""
    if rc != 0:
        problems.append(f"GPU not visible (nvidia-smi exit {rc}: {out[-200:]})")
    elif not rows:
        problems.append("GPU not visible (nvidia-smi lists none)")
    elif not module or library != module:
        loaded = module or "not loaded"
        problems.append(f"GPU driver out of step (library {library}, module {loaded})")
    if rows:
        facts.append(f"gpu {len(rows)}x {rows[0][1].strip()} driver {library}")


def certificate_paths() -> list[str]:
    """The certificates nginx is configured with (what the proxy role rendered)."""
    rc, out = run(["nginx", "-T"])
    paths = re.findall(r"^\s*ssl_certificate\s+([^;\s]+)\s*;", out, re.M) if rc == 0 else []
    return sorted(set(paths))


def check_certificates(min_days: float, now: float, facts: list[str], problems: list[str]) -> None:
    paths = certificate_paths()
    if not paths:
        problems.append("no certificate found in nginx's configuration (nginx -T)")
    for path in paths:
        rc, out = run(["openssl", "x509", "-enddate", "-noout", "-in", path])
        end = out.partition("=")[2].strip()
        if rc != 0 or not end:
            problems.append(f"certificate {path} unreadable ({out[-200:]})")
            continue
        rc, stamp = run(["date", "-d", end, "+%s"])
        days = (float(stamp) - now) / DAY if rc == 0 else -1.0
        facts.append(f"cert {days:.0f}d left")
        if days < min_days:
            problems.append(
                f"certificate {path} expires in {days:.1f} days"
                f" (< {min_days:g}, check_certificate_min_days)"
            )


def check_backup(cfg: dict, now: float, facts: list[str], problems: list[str]) -> None:
    max_age = float(cfg["max_age_hours"]) * 3600
    try:
        with open(os.path.join(cfg["dir"], "status.json")) as f:
            status = json.load(f)
    except (OSError, ValueError):
        status = {}
    if status.get("last_result") == "failed":
        error = status.get("last_error") or "no error recorded"
        problems.append(f"last backup run failed: {error}")
    last = status.get("last_success")
    if last:
        age = now - float(last)
        facts.append(f"backup {hours(age)} ago")
        if age > max_age:
            problems.append(
                f"last backup {hours(age)} old"
                f" (> {cfg['max_age_hours']}h, check_backup_max_age_hours)"
            )
        return
    # No backup yet: fine while the job is younger than the allowed age (a new site).
    try:
        installed = now - os.stat(cfg["job"]).st_mtime
    except OSError:
        problems.append(f"no backup yet and no backup job ({cfg['job']})")
        return
    facts.append("backup none yet")
    if installed > max_age:
        problems.append(f"no successful backup, the job was installed {hours(installed)} ago")


def check_drill(cfg: dict, now: float, facts: list[str], problems: list[str]) -> None:
    max_hours = float(cfg["max_age_hours"] or 0)
    try:
        with open(cfg["file"]) as f:
            text = f.read()
        written = os.stat(cfg["file"]).st_mtime
    except OSError:
        facts.append("drill none yet")
        if max_hours > 0:
            problems.append(
                f"no restore drill yet ({cfg['file']} missing, check_restore_drill_max_age_hours)"
            )
        return
    m = re.search(rf"^{re.escape(cfg['metric'])}(?:\{{[^}}]*\}})?\s+(\S+)", text, re.M)
    last = float(m.group(1)) if m else written
    if m and last <= 0:
        facts.append("drill never succeeded")
        if max_hours > 0:
            problems.append("the restore drill never succeeded")
        return
    age = now - last
    facts.append(f"drill {hours(age)} ago")
    if max_hours > 0 and age > max_hours * 3600:
        problems.append(
            f"last restore drill {hours(age)} old"
            f" (> {max_hours:g}h, check_restore_drill_max_age_hours)"
        )


def check_disk(paths: list[str], min_free: float, facts: list[str], problems: list[str]) -> None:
    seen: dict[int, str] = {}
    for path in paths:
        if not os.path.exists(path):
            continue
        device = os.stat(path).st_dev
        if device in seen:  # one filesystem, reported once
            continue
        seen[device] = path
        usage = shutil.disk_usage(path)
        free = 100.0 * usage.free / usage.total if usage.total else 0.0
        facts.append(f"disk {path} {free:.0f}% free")
        if free < min_free:
            problems.append(
                f"disk {path} {free:.1f}% free (< {min_free:g}%, check_disk_min_free_percent)"
            )


def main() -> int:
    cfg = json.loads(sys.argv[1])
    now = time.time()
    facts: list[str] = []
    problems: list[str] = []
    check_units(cfg.get("units", []), facts, problems)
    check_ready(cfg.get("ready", {}), problems)
    if cfg.get("version_command"):
        check_version(cfg["version_command"], facts, problems)
    if cfg.get("gpu"):
        check_gpu(facts, problems)
    if cfg.get("certificates"):
        check_certificates(float(cfg["certificate_min_days"]), now, facts, problems)
    if cfg.get("backup"):
        check_backup(cfg["backup"], now, facts, problems)
    if cfg.get("drill"):
        check_drill(cfg["drill"], now, facts, problems)
    check_disk(cfg.get("disk_paths", []), float(cfg["disk_min_free_percent"]), facts, problems)
    print(json.dumps({"facts": facts, "problems": problems}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
