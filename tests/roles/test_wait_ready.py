"""roles/semantik/files/semantik-wait-ready (the units' ExecStartPost=): ready when /readyz answers
200; a main process that exits first ($MAINPID gone) fails the start at once, not after the timeout.
"""

import http.server
import os
import subprocess
import sys
import threading
import time

from tests.roles.local_ansible import REPO

SCRIPT = REPO / "roles" / "semantik" / "files" / "semantik-wait-ready"


def wait_ready(url: str, timeout: int, main_pid: int | None) -> tuple[int, str, float]:
    env = {k: v for k, v in os.environ.items() if k != "MAINPID"}
    if main_pid is not None:
        env["MAINPID"] = str(main_pid)
    started = time.monotonic()
    result = subprocess.run([sys.executable, str(SCRIPT), url, str(timeout)], env=env,
                            capture_output=True, text=True, timeout=timeout + 30, check=False)
    return result.returncode, result.stderr, time.monotonic() - started


def test_a_main_process_that_exited_fails_the_start_at_once():
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    # Nothing listens on port 9 of loopback: without the check this would wait the full 60 s.
    rc, err, seconds = wait_ready("http://127.0.0.1:9/readyz", 60, gone.pid)
    assert rc == 1 and f"the main process {gone.pid} exited" in err, err
    assert seconds < 10


def test_ready_when_readyz_answers_while_the_main_process_lives():
    class Ready(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Ready)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/readyz"
        rc, err, _ = wait_ready(url, 30, os.getpid())
        assert rc == 0, err
    finally:
        server.shutdown()


def test_without_mainpid_it_waits_for_the_timeout():
    rc, err, seconds = wait_ready("http://127.0.0.1:9/readyz", 2, None)
    assert rc == 1 and "not ready after 2s" in err, err
    assert seconds >= 2
