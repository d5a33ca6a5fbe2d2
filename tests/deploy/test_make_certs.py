"""deploy/make-certs.sh: one command makes the campus CA and the broker's certificate; gates'
client certificates are signed by the same CA, which is made once and kept."""

from __future__ import annotations

import subprocess
from pathlib import Path

from cryptography import x509

from tests.deploy.deployed import DEPLOY

SCRIPT = str(DEPLOY / "make-certs.sh")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SCRIPT, *args], capture_output=True, text=True, timeout=60, check=False)


def _verify(ca: Path, cert: Path, purpose: str) -> bool:
    done = subprocess.run(
        ["openssl", "verify", "-x509_strict", "-purpose", purpose, "-CAfile", str(ca), str(cert)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return done.returncode == 0


def test_server_and_client_certificates_from_one_ca(tmp_path: Path) -> None:
    certs = tmp_path / "certs"
    assert _run("server", str(certs), "broker.campus.example", "10.0.0.5").returncode == 0
    ca_before = (certs / "ca.crt").read_bytes()
    assert _run("client", str(certs), "wucheng-north").returncode == 0
    assert (certs / "ca.crt").read_bytes() == ca_before  # the CA is made once, never replaced

    server = x509.load_pem_x509_certificate((certs / "server.crt").read_bytes())
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["broker.campus.example"]
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["10.0.0.5"]
    assert _verify(certs / "ca.crt", certs / "server.crt", "sslserver")
    assert not _verify(certs / "ca.crt", certs / "server.crt", "sslclient")

    client = x509.load_pem_x509_certificate((certs / "wucheng-north.crt").read_bytes())
    assert client.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == "wucheng-north"
    assert _verify(certs / "ca.crt", certs / "wucheng-north.crt", "sslclient")
    for key in ("ca.key", "server.key", "wucheng-north.key"):
        assert (certs / key).stat().st_mode & 0o077 == 0, f"{key} is readable by others"


def test_wrong_arguments_print_the_usage(tmp_path: Path) -> None:
    done = _run("server", str(tmp_path))
    assert done.returncode == 2 and "usage:" in done.stderr
