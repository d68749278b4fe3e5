#!/usr/bin/env python3
"""webui idle memory: start `semantik serve webui` as an operator would, exercise the API a little
(login, users, collections, jobs, about), let it idle, and print its resident set size.

Target: <= 150 MB RSS. Also reports whether torch got into the process (it must not: only vecpipe
loads the model). vecpipe need not run; /api/about then reports it unreachable.

    python bench/bench_webui.py [--idle-seconds 3] [--port 18181]
Exit status 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

TARGET_MB = 150.0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def loaded_libraries(pid: int) -> str:
    return Path(f"/proc/{pid}/maps").read_text()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle-seconds", type=float, default=3.0)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    port = args.port or free_port()
    semantik = Path(sys.executable).with_name("semantik")
    with tempfile.TemporaryDirectory(prefix="bench-webui-") as tmp:
        root = Path(tmp)
        (root / "documents" / "docs").mkdir(parents=True)
        password = secrets.token_urlsafe(12)
        env = {
            **os.environ,
            "SEMANTIK_DATA_DIR": str(root / "data"),
            "SEMANTIK_DOCUMENTS_ROOT": str(root / "documents"),
            "SEMANTIK_JWT_SECRET": secrets.token_urlsafe(48),
            "SEMANTIK_WEBUI_PORT": str(port),
            "SEMANTIK_VECPIPE_URL": "http://127.0.0.1:9",
            "SEMANTIK_LOG_LEVEL": "warning",
        }
        subprocess.run(
            [semantik, "users", "create", "admin", "--admin", "--password-stdin"],
            input=password + "\n", text=True, env=env, check=True, capture_output=True,
        )
        started = time.perf_counter()
        server = subprocess.Popen([semantik, "serve", "webui"], env=env)
        try:
            base = f"http://127.0.0.1:{port}"
            while True:
                try:
                    if httpx.get(f"{base}/livez", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if server.poll() is not None or time.perf_counter() - started > 60:
                    print("webui did not start", file=sys.stderr)
                    return 2
                time.sleep(0.05)
            startup_s = time.perf_counter() - started
            at_start = rss_mb(server.pid)
            with httpx.Client(base_url=base, timeout=10) as client:
                token = client.post(
                    "/api/auth/login", json={"username": "admin", "password": password}
                ).json()["access_token"]
                client.headers["Authorization"] = f"Bearer {token}"
                for _ in range(20):
                    for path in ("/api/auth/me", "/api/users", "/api/collections", "/api/jobs",
                                 "/api/sources", "/api/about", "/readyz", "/metrics", "/"):
                        client.get(path)
            time.sleep(args.idle_seconds)
            idle = rss_mb(server.pid)
            torch_loaded = "libtorch" in loaded_libraries(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=20)
    ok = idle <= TARGET_MB and not torch_loaded
    print(f"webui startup to /livez: {startup_s:.2f} s")
    print(f"webui RSS after start: {at_start:.1f} MB")
    print(f"webui idle RSS after {20 * 9} API requests: {idle:.1f} MB "
          f"(target <= {TARGET_MB:.0f} MB)"
          f" {'OK' if idle <= TARGET_MB else 'OVER TARGET'}")
    print(f"torch loaded in webui: {'yes (must not be)' if torch_loaded else 'no'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
