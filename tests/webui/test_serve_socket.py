"""`semantik serve` on a listening socket it inherits (systemd socket activation).

This test holds the listening socket the way semantik-webui.socket does and runs the real
`semantik serve webui` on it twice: a request sent before the service is up waits in the backlog
and is answered; a restart under a request loop (SIGTERM, then a new process on the same socket)
fails no request. Without an inherited socket `semantik serve` binds host:port itself (the other
tests and `make run`).
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

pytestmark = pytest.mark.slow

# bash (dash takes one-digit fds only) moves the socket to fd 3 and sets LISTEN_PID to its own
# pid, which exec keeps: exactly what
# systemd hands a socket-activated service.
WRAPPER = 'exec 3<&"$SOCK_FD"{close}; LISTEN_PID=$$ LISTEN_FDS=1 exec "$@"'


@pytest.fixture
def listener():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    yield sock
    sock.close()


def start(listener, tmp_path, name: str) -> subprocess.Popen:
    fd = listener.fileno()
    env = {
        **os.environ,
        "SOCK_FD": str(fd),
        "SEMANTIK_DATA_DIR": str(tmp_path / "data"),
        "SEMANTIK_DOCUMENTS_ROOT": str(tmp_path),
        "SEMANTIK_JWT_SECRET": "j" * 48,
        "SEMANTIK_INTERNAL_API_KEY": "k" * 48,
        # A port nothing listens on: the service must not bind it, it has its socket.
        "SEMANTIK_WEBUI_PORT": "1",
    }
    log = (tmp_path / f"{name}.log").open("w")
    wrapper = WRAPPER.format(close=f" {fd}<&-" if fd != 3 else "")
    return subprocess.Popen(
        ["bash", "-c", wrapper, "bash", sys.executable, "-m", "semantik.cli", "serve", "webui"],
        env=env, pass_fds=[fd], stdout=log, stderr=subprocess.STDOUT,
    )


def get(port: int, path: str = "/livez", timeout: float = 60) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    finally:
        conn.close()


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)


def test_a_request_sent_before_start_waits_and_is_answered(listener, tmp_path):
    port = listener.getsockname()[1]
    result = {}
    early = threading.Thread(target=lambda: result.setdefault("status", get(port)))
    early.start()  # connects now: nothing accepts yet, the kernel queues it
    time.sleep(0.5)
    proc = start(listener, tmp_path, "first")
    try:
        early.join(timeout=60)
        assert result.get("status") == 200, (tmp_path / "first.log").read_text()
        assert "running on socket" in (tmp_path / "first.log").read_text()
    finally:
        stop(proc)


def test_restart_on_the_same_socket_fails_no_request(listener, tmp_path):
    port = listener.getsockname()[1]
    proc = start(listener, tmp_path, "first")
    assert get(port) == 200
    statuses: list[object] = []
    done = threading.Event()

    def loop() -> None:
        while not done.is_set():
            try:
                statuses.append(get(port, timeout=60))
            except OSError as exc:  # a refused or reset connection would land here
                statuses.append(repr(exc))

    clients = [threading.Thread(target=loop) for _ in range(3)]
    for c in clients:
        c.start()
    time.sleep(1)
    before = len(statuses)
    stop(proc)  # the socket stays open in this process, as in systemd
    proc = start(listener, tmp_path, "second")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "Application startup complete" not in (
            tmp_path / "second.log"
        ).read_text():
            time.sleep(0.2)
        time.sleep(1)
    finally:
        done.set()
        for c in clients:
            c.join(timeout=90)
        stop(proc)
    assert before > 0 and len(statuses) > before
    failed = [s for s in statuses if s != 200]
    print(f"restart on a held socket: {len(statuses)} requests, {len(failed)} failed")
    assert failed == [], failed


def test_several_workers_share_the_inherited_socket(listener, tmp_path, monkeypatch):
    # SEMANTIK_WORKERS > 1 runs gunicorn on the same socket (fd://3); it must not also read
    # LISTEN_FDS, or it opens the socket twice and fails to start (EBADF).
    monkeypatch.setenv("SEMANTIK_WORKERS", "2")
    port = listener.getsockname()[1]
    proc = start(listener, tmp_path, "workers")
    try:
        assert [get(port) for _ in range(10)] == [200] * 10, (tmp_path / "workers.log").read_text()
        log = (tmp_path / "workers.log").read_text()
        assert log.count("Booting worker") == 2, log
    finally:
        stop(proc)
