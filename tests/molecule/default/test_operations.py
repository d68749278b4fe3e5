"""Operations on the running site (default scenario), seen from the client through nginx:

- searches keep working while semantik-vecpipe and semantik-webui are restarted and while webui
  is killed with SIGKILL: systemd holds the listening sockets (semantik-*.socket), so requests wait
  for the new process instead of being refused, and nginx retries a search that failed on a dying
  process. Before this the probe counted 30 of 50 searches failing with nginx's HTML 502 page;
- when webui is down for good nginx answers a JSON 503 with Retry-After, never an HTML 502;
- no host runs a mail server (cron used to pull in exim4 through its Recommends).
Figures (searches, failures, gap) are printed.
"""

import time

import pytest

from tests.molecule.helpers import (
    group_host,
    https,
    report_searches,
    searches_around,
    wait_ready,
)

testinfra_hosts = ["clients"]


def test_restarting_vecpipe_and_webui_fails_no_search(
    host, web, vecpipe, app_ip, trusted, searchable
):
    def restart():
        with vecpipe.sudo(), web.sudo():
            vecpipe.run_expect([0], "systemctl restart semantik-vecpipe.service")
            web.run_expect([0], "systemctl restart semantik-webui.service")

    results = searches_around(host, app_ip, trusted, searchable, restart)
    gaps, failed = report_searches("systemctl restart vecpipe, then webui", results)
    assert len(results) >= 10
    assert failed == [] and gaps == [], (failed + gaps)[:5]


def test_kill_9_of_webui_fails_no_search(host, web, app_ip, trusted, searchable):
    def kill():
        with web.sudo():
            pid = web.check_output("systemctl show -p MainPID --value semantik-webui.service")
            web.run_expect([0], f"kill -9 {pid}")
            deadline = time.monotonic() + 120
            while web.check_output(
                "systemctl show -p MainPID --value semantik-webui.service"
            ) in ("0", pid):
                assert time.monotonic() < deadline, "webui was not restarted"
                time.sleep(0.5)
        wait_ready(web, 8080)

    results = searches_around(host, app_ip, trusted, searchable, kill)
    gaps, failed = report_searches("kill -9 of webui", results)
    assert len(results) >= 10
    # A search the killed process was answering is retried by nginx on the held socket; if one
    # still cannot be answered it must be the JSON 503, never an HTML page. The one exception is
    # a response the process was already writing when it died: nginx has begun forwarding it and
    # can neither retry nor replace it, so the client sees the connection cut (status 0). That
    # window is a few milliseconds: allow at most one, reported above.
    cut = [r for r in failed if r["status"] == 0]
    assert [r for r in failed if r["status"] != 0] == [], failed[:5]
    assert len(cut) <= 1, cut[:5]
    assert len(gaps) == 0, gaps[:5]


def test_webui_down_gives_a_json_503_with_retry_after(host, web, app_ip, trusted):
    with web.sudo():
        web.run_expect([0], "systemctl stop semantik-webui.socket semantik-webui.service")
    try:
        status, payload, headers = https(host, app_ip, trusted, "GET", "/api/collections")
        assert status == 503, payload
        assert headers["content-type"] == "application/json", headers.pairs
        assert set(payload) == {"detail"}, payload
        assert int(headers["retry-after"]) > 0
        assert headers.all("strict-transport-security") and headers["cache-control"] == "no-store"
    finally:
        with web.sudo():
            web.run_expect([0], "systemctl start semantik-webui.socket semantik-webui.service")
        wait_ready(web, 8080)


@pytest.mark.parametrize("group", ["proxy", "webui", "vecpipe"])
def test_no_mail_server(group):
    app = group_host(group)
    installed = app.check_output(
        "dpkg-query -W -f '${Package} ${db:Status-Status}\\n' | awk '$2 == \"installed\"{print $1}'"
    ).split()
    mta = [p for p in installed if p.startswith(("exim4", "postfix", "bsd-mailx", "sendmail",
                                                 "nullmailer", "msmtp", "opensmtpd"))]
    assert mta == [], mta
    with app.sudo():
        listening = app.check_output("ss -Hltn")
    smtp = [line for line in listening.splitlines() if line.split()[3].endswith(":25")]
    assert smtp == [], listening
