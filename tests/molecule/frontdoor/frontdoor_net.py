"""Network probes shared by the front-door tests (frontdoor and default scenarios): ports, TLS."""

from __future__ import annotations

import contextlib
import json

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


def s_client(host, target: str, server_name: str, *flags: str):
    """openssl s_client from `host` to target:443; returns the run result (output in stdout)."""
    return host.run(
        f"openssl s_client -connect {target}:443 -servername {server_name} {' '.join(flags)} "
        "</dev/null 2>&1"
    )


# Flags that let this client offer TLS 1.0/1.1 at all (OpenSSL 3's default level forbids them).
LEGACY_CLIENT_FLAGS = "-cipher DEFAULT@SECLEVEL=0"


@contextlib.contextmanager
def legacy_tls_server(host, port: int = 4433):
    """An openssl s_server on `host` that speaks TLS 1.0/1.1, so a test can show that its client
    flags do negotiate those versions and a refusal by the proxy is the proxy's doing."""
    host.run_expect(
        [0],
        "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=legacy -days 1 "
        "-keyout /tmp/legacy.key -out /tmp/legacy.crt 2>/dev/null",
    )
    host.run(
        f"nohup openssl s_server -accept {port} -cert /tmp/legacy.crt -key /tmp/legacy.key "
        f"{LEGACY_CLIENT_FLAGS} -www >/dev/null 2>&1 & echo $! > /tmp/legacy.pid"
    )
    host.run(
        f"for i in $(seq 50); do (echo > /dev/tcp/127.0.0.1/{port}) 2>/dev/null && break; "
        "sleep 0.1; done"
    )
    try:
        yield port
    finally:
        host.run("kill $(cat /tmp/legacy.pid)")


def assert_legacy_tls_refused(host, target: str, server_name: str, flag: str, name: str):
    with legacy_tls_server(host) as port:
        control = host.run(
            f"openssl s_client -connect 127.0.0.1:{port} {flag} {LEGACY_CLIENT_FLAGS} "
            "</dev/null 2>&1"
        )
    assert control.rc == 0 and f"Protocol  : {name}" in control.stdout, control.stdout
    out = s_client(host, target, server_name, flag, LEGACY_CLIENT_FLAGS)
    assert out.rc != 0, out.stdout
    assert "Cipher is (NONE)" in out.stdout or "alert protocol version" in out.stdout, out.stdout


def served_fingerprint(host, server_name: str = "localhost") -> str:
    """SHA-256 fingerprint of the certificate nginx on `host` serves on 127.0.0.1:443."""
    return host.check_output(
        f"openssl s_client -connect 127.0.0.1:443 -servername {server_name} </dev/null 2>/dev/null"
        " | openssl x509 -noout -fingerprint -sha256"
    )

