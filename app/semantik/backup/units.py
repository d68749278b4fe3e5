"""Stopping the writers before a restore and proving they came back.

Under systemd the units are stopped and started with systemctl; elsewhere (a local dev setup) the
caller stops them and the restore refuses to run while vecpipe or webui still answer.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import httpx

from semantik.backup.errors import BackupError, Locked, UnhealthyAfterRestore
from semantik.backup.vectors import vecpipe_client
from semantik.shared.settings import Settings

ServiceMode = Literal["auto", "systemd", "none"]
# The sockets too: a socket left listening would start its service again on the next request,
# in the middle of the restore.
DEFAULT_UNITS = (
    "semantik-webui.socket", "semantik-webui.service",
    "semantik-vecpipe.socket", "semantik-vecpipe.service",
)


@contextmanager
def exclusive_lock(directory: Path) -> Iterator[None]:
    """One backup or restore at a time per backup directory."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with (directory / ".lock").open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise Locked(f"another backup or restore is running (lock {directory}/.lock)") from exc
        yield


def _systemctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["systemctl", *args], capture_output=True, text=True, check=False)


class Services:
    def __init__(self, settings: Settings, mode: ServiceMode, units: tuple[str, ...]) -> None:
        self.settings = settings
        if mode == "auto":
            mode = "systemd" if self._systemd_has(units) else "none"
        self.mode = mode
        self.units = units

    @staticmethod
    def _systemd_has(units: tuple[str, ...]) -> bool:
        if not Path("/run/systemd/system").is_dir() or not shutil.which("systemctl"):
            return False
        return any(_systemctl("cat", unit).returncode == 0 for unit in units)

    def _answers(self, url: str) -> bool:
        try:
            return httpx.get(url.rstrip("/") + "/livez", timeout=3).status_code < 500
        except httpx.TransportError:
            return False

    def stop(self) -> None:
        if self.mode == "systemd":
            if os.geteuid() != 0:
                raise BackupError("restore under systemd must run as root (it stops the units)")
            result = _systemctl("stop", *self.units)
            if result.returncode != 0:
                raise BackupError(f"systemctl stop failed: {result.stderr.strip()}")
            return
        urls = (self.settings.vecpipe_url, self.settings.webui_url)
        running = [u for u in urls if self._answers(u)]
        if running:
            raise BackupError(
                f"services still answer at {', '.join(running)}: stop them first "
                "(no systemd units found to stop)"
            )

    def start(self) -> None:
        if self.mode != "systemd":
            return
        result = _systemctl("start", *reversed(self.units))
        if result.returncode != 0:
            raise UnhealthyAfterRestore(f"systemctl start failed: {result.stderr.strip()}")

    def wait_healthy(self, expected_points: dict[str, int], timeout: float) -> None:
        """Both services ready, and every collection back with its archived point count."""
        if self.mode != "systemd":
            return
        deadline = time.monotonic() + timeout
        pending = [self.settings.vecpipe_url, self.settings.webui_url]
        while pending:
            url = pending[0]
            try:
                if httpx.get(url.rstrip("/") + "/readyz", timeout=5).status_code == 200:
                    pending.pop(0)
                    continue
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise UnhealthyAfterRestore(f"{url}/readyz not ready {timeout:.0f}s after restore")
            time.sleep(1)
        with vecpipe_client(self.settings, timeout=30) as client:
            response = client.get("/collections")
            response.raise_for_status()
            found = {c["name"]: c["points_count"] for c in response.json()}
        wrong = {n: (p, found.get(n)) for n, p in expected_points.items() if found.get(n) != p}
        if wrong:
            name, (want, got) = sorted(wrong.items())[0]
            raise UnhealthyAfterRestore(
                f"after restore collection {name} has {got} points, the archive had {want}"
            )
