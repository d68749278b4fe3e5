"""The shared certificate role (roles proxy and registry call it) on this machine, in tmp_path: a
dry run on a fresh host changes nothing, the self-signed pair carries the caller's names and modes
and a second run changes nothing (no handler); a provided key that does not belong to its
certificate is refused naming the caller's variable, and nothing is copied; a matching pair is
copied with the caller's key mode, once."""

import json
import stat
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.roles.local_ansible import PLAYBOOK, isolated_env

pytestmark = pytest.mark.skipif(PLAYBOOK is None, reason="ansible-playbook not installed")


def run(tmp_path, *extra, check=False):
    play = tmp_path / "play.yml"
    play.write_text(
        "- hosts: localhost\n  gather_facts: false\n"
        "  handlers:\n    - name: Demo reload\n      ansible.builtin.debug: {msg: DEMO-RELOADED}\n"
        "  tasks:\n    - ansible.builtin.include_role: {name: certificate}\n"
    )
    variables = {
        "certificate_path": str(tmp_path / "tls" / "fullchain.pem"),
        "certificate_private_key_path": str(tmp_path / "tls" / "privkey.pem"),
        "certificate_common_name": "demo.test",
        "certificate_dns_names": ["alias.test", "demo.test"],
        "certificate_ip_addresses": ["192.0.2.7"],
        "certificate_private_key_mode": "0640",
        "certificate_notify": "Demo reload",
        "certificate_variable_prefix": "demo",
    }
    (tmp_path / "tls").mkdir(exist_ok=True)
    out = subprocess.run(
        [PLAYBOOK, "-i", "localhost,", "-c", "local", *(["--check"] if check else []),
         "-e", "ansible_python_interpreter={{ ansible_playbook_python }}",
         "-e", json.dumps(variables), *extra, str(play)],
        cwd=tmp_path, env=isolated_env(tmp_path), capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip
    return out.returncode, " ".join((out.stdout + out.stderr).split())


def test_selfsigned_dry_run_then_created_with_the_names_then_unchanged(tmp_path):
    rc, text = run(tmp_path, check=True)
    assert rc == 0, text
    assert not (tmp_path / "tls" / "privkey.pem").exists()

    rc, text = run(tmp_path)
    assert rc == 0 and "changed=2" in text and "DEMO-RELOADED" in text, text
    key = tmp_path / "tls" / "privkey.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o640
    cert = x509.load_pem_x509_certificate((tmp_path / "tls" / "fullchain.pem").read_bytes())
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["demo.test", "alias.test"]
    assert [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)] == ["192.0.2.7"]

    rc, text = run(tmp_path)
    assert rc == 0 and "changed=0" in text and "DEMO-RELOADED" not in text, text


def test_provided_pair_checked_then_copied(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    rc, text = run(src)  # a self-signed pair to stand for the operator's certificate
    assert rc == 0, text
    other = src / "other.key"
    other.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    rc, text = run(
        tmp_path, "-e", "certificate_mode=provided",
        "-e", f"certificate_provided_certificate={src / 'tls' / 'fullchain.pem'}",
        "-e", f"certificate_provided_private_key={other}",
    )  # fmt: skip
    assert rc != 0
    assert "demo_provided_private_key" in text and "does not belong to" in text
    assert "demo_provided_certificate" in text
    assert not (tmp_path / "tls" / "privkey.pem").exists()

    provided = (
        "-e", "certificate_mode=provided",
        "-e", f"certificate_provided_certificate={src / 'tls' / 'fullchain.pem'}",
        "-e", f"certificate_provided_private_key={src / 'tls' / 'privkey.pem'}",
    )  # fmt: skip
    rc, text = run(tmp_path, *provided)
    assert rc == 0 and "changed=2" in text and "DEMO-RELOADED" in text, text
    for name in ("fullchain.pem", "privkey.pem"):
        assert (tmp_path / "tls" / name).read_bytes() == (src / "tls" / name).read_bytes()
    assert stat.S_IMODE((tmp_path / "tls" / "privkey.pem").stat().st_mode) == 0o640
    rc, text = run(tmp_path, *provided)
    assert rc == 0 and "changed=0" in text, text


def test_selfsigned_drift_is_put_right(tmp_path):
    """A converge with nothing to do skips the request and the signing; each kind of drift it
    checks instead (the certificate's mode, a key it was not signed for, other names) still makes
    it sign again."""
    rc, text = run(tmp_path)
    assert rc == 0, text
    tls = tmp_path / "tls"
    cert_path = tls / "fullchain.pem"

    def cert():
        return x509.load_pem_x509_certificate(cert_path.read_bytes())

    cert_path.chmod(0o600)
    rc, text = run(tmp_path)
    assert rc == 0 and "changed=1" in text and "DEMO-RELOADED" in text, text
    assert stat.S_IMODE(cert_path.stat().st_mode) == 0o644

    key = ec.generate_private_key(ec.SECP256R1())
    (tls / "privkey.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    rc, text = run(tmp_path)
    assert rc == 0 and "DEMO-RELOADED" in text, text
    assert cert().public_key().public_numbers() == key.public_key().public_numbers()

    rc, text = run(tmp_path, "-e", '{"certificate_dns_names": ["other.test"]}')
    assert rc == 0 and "DEMO-RELOADED" in text, text
    sans = cert().extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["demo.test", "other.test"]

    rc, text = run(tmp_path, "-e", '{"certificate_dns_names": ["other.test"]}')
    assert rc == 0 and "changed=0" in text and "DEMO-RELOADED" not in text, text
