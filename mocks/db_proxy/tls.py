"""A throwaway self-signed certificate, made at start with the openssl CLI, and its server context."""
from __future__ import annotations

import shutil
import ssl
import subprocess
import tempfile
from pathlib import Path

SUBJECT_NAMES = "DNS:db-proxy,DNS:db,DNS:localhost,IP:127.0.0.1"


class TLSSetupError(RuntimeError):
    """The certificate could not be made (openssl missing or failing)."""


def self_signed_context(common_name: str = "db-proxy") -> ssl.SSLContext:
    """Make a fresh EC key and certificate and return a server SSLContext that uses them.

    Clients with sslmode=require do not verify certificates, as with Neon's; verify-full would
    need this certificate's file, which is deliberately not kept.
    """
    openssl = shutil.which("openssl")
    if openssl is None:
        raise TLSSetupError("DB_PROXY_TLS=require needs the openssl command (apt-get install openssl)")
    with tempfile.TemporaryDirectory(prefix="db-proxy-tls-") as tmp:
        key, cert = Path(tmp) / "key.pem", Path(tmp) / "cert.pem"
        result = subprocess.run(
            [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "3650",
             "-subj", f"/CN={common_name}", "-addext", f"subjectAltName={SUBJECT_NAMES}"],
            capture_output=True, text=True, timeout=30)
        if result.returncode != 0:
            raise TLSSetupError(f"openssl could not make a certificate: {result.stderr.strip()}")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(cert, key)  # read now: the files go with the temp dir
    return context
