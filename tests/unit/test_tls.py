"""TLS settings from the environment and the local CA: checked before anything starts."""

from __future__ import annotations

import pytest
from cryptography import x509

from console.ops.certs import make_certificates, spki_sha256
from console.tls import TlsSettings


def test_tls_settings_refuse_half_a_pair_and_a_redirect_without_tls(tmp_path):
    assert not TlsSettings.from_env({}).enabled
    with pytest.raises(ValueError, match="FQ_TLS_KEY"):
        TlsSettings.from_env({"FQ_TLS_CERT": str(tmp_path / "a.crt")})
    with pytest.raises(ValueError, match="FQ_HTTP_REDIRECT_PORT"):
        TlsSettings.from_env({"FQ_HTTP_REDIRECT_PORT": "8080"})
    files, _ = make_certificates(tmp_path, ["fq.example"])
    env = {"FQ_TLS_CERT": str(files.cert), "FQ_TLS_KEY": str(files.key)}
    with pytest.raises(ValueError, match="端口号"):
        TlsSettings.from_env({**env, "FQ_HTTP_REDIRECT_PORT": "http"})
    tls = TlsSettings.from_env({**env, "FQ_HTTP_REDIRECT_PORT": "8080"})
    assert tls.enabled and tls.redirect_port == 8080
    with pytest.raises(ValueError, match="无法加载证书"):  # a key that is not the certificate's
        TlsSettings.from_env({**env, "FQ_TLS_KEY": str(files.ca_key)})


def test_the_ca_is_kept_and_the_server_certificate_names_every_host(tmp_path):
    files, new = make_certificates(tmp_path, ["fq.centre.local", "10.1.2.3"])
    ca_pin = spki_sha256(files.ca_cert.read_bytes())
    files, again = make_certificates(tmp_path, ["10.9.9.9"])
    assert new and not again and spki_sha256(files.ca_cert.read_bytes()) == ca_pin
    leaf = x509.load_pem_x509_certificates(files.cert.read_bytes())[0]
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["10.9.9.9"]
    assert (files.key.stat().st_mode & 0o777) == 0o600 and (files.ca_key.stat().st_mode & 0o777) == 0o600
    with pytest.raises(ValueError, match="--host"):
        make_certificates(tmp_path, ["bad host!"])
