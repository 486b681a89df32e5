"""./run cert: a local certificate authority and a server certificate for the intranet names, offline."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import os
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 3650
SERVER_DAYS = 397
"""Apple platforms refuse TLS server certificates valid for longer than 825 days (and
browsers' public limit is 398): 397 days stays under both."""


@dataclass(frozen=True)
class CertFiles:
    """Where ``./run cert`` writes: the CA (kept, so phones install it once) and the server pair."""

    folder: Path

    @property
    def ca_cert(self) -> Path:
        return self.folder / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.folder / "ca.key"

    @property
    def cert(self) -> Path:
        return self.folder / "server.crt"

    @property
    def key(self) -> Path:
        return self.folder / "server.key"


def default_hosts() -> list[str]:
    """localhost, the loopback addresses, this machine's name and the addresses it resolves to."""
    hosts = ["localhost", "127.0.0.1", "::1"]
    name = socket.gethostname()
    hosts.append(name)
    try:  # /etc/hosts or the local resolver only: no query leaves a machine without DNS
        for info in socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP):
            hosts.append(str(info[4][0]))
    except OSError:
        pass
    return list(dict.fromkeys(hosts))


def _names(hosts: Iterable[str]) -> list[x509.GeneralName]:
    out: list[x509.GeneralName] = []
    for h in dict.fromkeys(h.strip() for h in hosts if h.strip()):
        try:
            out.append(x509.IPAddress(ipaddress.ip_address(h.strip("[]"))))
        except ValueError:
            if not all(part.isalnum() or "-" in part or part == "*" for part in h.split(".")):
                raise ValueError(f"--host 不是合法的主机名或 IP 地址：{h!r}") from None
            out.append(x509.DNSName(h.lower()))
    return out


def _write(path: Path, data: bytes, *, secret: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if secret else 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(path, 0o600 if secret else 0o644)


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _ca(files: CertFiles, now: dt.datetime, organisation: str
        ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey, bool]:
    """The existing CA if both files are there, else a new one; True when made now."""
    if files.ca_cert.exists() and files.ca_key.exists():
        cert = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
        key = serialization.load_pem_private_key(files.ca_key.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{files.ca_key} 不是本工具生成的 CA 私钥")
        return cert, key, False
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                      x509.NameAttribute(NameOID.COMMON_NAME, f"{organisation} 本地根证书")])
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(ski, critical=False)
            .sign(key, hashes.SHA256()))
    _write(files.ca_key, _pem_key(key), secret=True)
    _write(files.ca_cert, cert.public_bytes(serialization.Encoding.PEM))
    return cert, key, True


def make_certificates(folder: Path, hosts: Sequence[str], *, organisation: str = "枫桥指挥平台",
                      now: dt.datetime | None = None) -> tuple[CertFiles, bool]:
    """Write (or keep) the CA and issue a fresh server certificate for ``hosts``.

    Returns the files and whether the CA was made now (phones must then install it again)."""
    if not hosts:
        raise ValueError("至少需要一个主机名或 IP 地址（--host）")
    now = now or dt.datetime.now(dt.UTC)
    files = CertFiles(folder)
    ca_cert, ca_key, new_ca = _ca(files, now, organisation)
    key = ec.generate_private_key(ec.SECP256R1())
    names = _names(hosts)
    first = hosts[0].strip("[]")
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                                     x509.NameAttribute(NameOID.COMMON_NAME, first[:64])]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=SERVER_DAYS))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=False,
                                         crl_sign=False, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    _write(files.key, _pem_key(key), secret=True)
    # the chain: the server certificate, then the CA (harmless, and some clients want it)
    _write(files.cert, cert.public_bytes(serialization.Encoding.PEM)
           + ca_cert.public_bytes(serialization.Encoding.PEM))
    return files, new_ca


def spki_sha256(cert_pem: bytes) -> str:
    """Base64 SHA-256 of the first certificate's public key (Chromium's SPKI pin format)."""
    cert = x509.load_pem_x509_certificate(cert_pem)
    der = cert.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def fingerprint(cert_pem: bytes) -> str:
    """The SHA-256 fingerprint as phones and browsers show it (AA:BB:…)."""
    digest = x509.load_pem_x509_certificate(cert_pem).fingerprint(hashes.SHA256())
    return ":".join(f"{b:02X}" for b in digest)


def instructions(files: CertFiles, hosts: Sequence[str], *, new_ca: bool, port: int) -> str:
    """What to tell the IT department after ``./run cert`` (Chinese, as users read it)."""
    host = next((h for h in hosts if h not in ("localhost", "127.0.0.1", "::1")), hosts[0])
    fp = fingerprint(files.ca_cert.read_bytes())
    ca_note = "（新建：各终端须安装一次）" if new_ca else "（沿用原有 CA：已安装的终端无需重装）"
    return f"""\
服务器证书：{files.cert}
服务器私钥：{files.key}   （仅本机可读，勿外传）
根证书（CA）：{files.ca_cert}   {ca_note}
CA 私钥：{files.ca_key}   （妥善保管并备份；只用于签发新的服务器证书）
证书包含的地址：{', '.join(hosts)}
CA 指纹（SHA-256，安装时请核对）：
  {fp}

启用 HTTPS：
  export FQ_TLS_CERT={files.cert}
  export FQ_TLS_KEY={files.key}
  export FQ_HTTP_REDIRECT_PORT=8080   # 可选：该 HTTP 端口只把访问跳转到 HTTPS，
  export FQ_TLS_CA={files.ca_cert}   # 并在 http://{host}:8080/ca.crt 提供根证书下载
  ./run demo --port {port}            # 之后用 https://{host}:{port}/ 访问

在终端上安装根证书 {files.ca_cert.name}
（只装 CA，不要装 server.crt；把文件拷到设备，或用手机浏览器打开上面的 /ca.crt 下载，
  安装前务必核对上面的指纹）：
  安卓：设置 → 安全 → 加密与凭据 → 安装证书 → CA 证书 → 选择 ca.crt（不同厂商菜单名称略有不同）。
  iPhone/iPad：用“文件”或邮件打开 ca.crt → 设置 → 通用 → VPN 与设备管理 → 安装描述文件；
    再到 设置 → 通用 → 关于本机 → 证书信任设置，打开该根证书的“完全信任”。
  Windows：双击 ca.crt → 安装证书 → 本地计算机 → “受信任的根证书颁发机构”（Chrome/Edge 随系统生效）。
  macOS：钥匙串访问 → 系统 → 导入 ca.crt → 双击 → 信任 → “始终信任”。
  Linux（Debian/统信/麒麟）：sudo cp ca.crt /usr/local/share/ca-certificates/fengqiao-ca.crt
    && sudo update-ca-certificates；Chromium 另需：
    certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n fengqiao -i ca.crt
  Firefox：设置 → 隐私与安全 → 证书 → 查看证书 → 证书颁发机构 → 导入，勾选“信任由此证书颁发机构来标识网站”。
服务器证书有效期 {SERVER_DAYS} 天：到期前重新运行 ./run cert（沿用同一 CA，终端无需重装）并重启控制台。"""
