"""The hall's private CA: one certificate per terminal, one for the broker, and a CRL.

The secured broker takes a client's identity from its certificate (its common name becomes
username and client id), so issuing a certificate *is* creating an account and revoking it
is how one is locked out. This drives the `openssl` CLI because `openssl ca` already keeps
what a CA must remember (issued serials, revocations, the CRL number) in plain files:

    DIR/ca.key ca.crt ca.cnf index.txt serial crlnumber crl.pem newcerts/<SERIAL>.pem
    DIR/certs/<name>.crt <name>.key      the newest certificate of each name

`SecureHall` lays out a broker directory for config/mosquitto/onetrip-secure.conf and gives
each identity its `MqttSettings` (demo and tests).

    python -m mqtt.pki init DIR | issue DIR NAME [--server --host H…] | revoke DIR NAME [--keep-current] | crl DIR
"""
from __future__ import annotations

import argparse
import ipaddress
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Literal

from core.config import MqttSettings
from core.errors import OneTripError
from core.paths import CONFIG_DIR
from mqtt.broker import Broker
from mqtt.contract import NAME

CA_DAYS = 3650
CERT_DAYS = 825
# The CRL is a local file the broker reads, not fetched by anyone, so freshness comes from
# regenerating it on every revocation; an expired CRL would lock the whole hall out.
CRL_DAYS = CA_DAYS
SERVER_HOSTS = ("127.0.0.1", "localhost")
BROKER_NAME = "broker"  # the server certificate; never a client (its key usage is serverAuth only)

Kind = Literal["client", "server"]

_CA_CNF = """\
# Written by mqtt/pki.py; paths are relative to this directory (openssl runs here).
[ca]
default_ca = hall

[hall]
database = index.txt
new_certs_dir = newcerts
certificate = ca.crt
private_key = ca.key
serial = serial
crlnumber = crlnumber
default_md = sha256
default_days = {cert_days}
default_crl_days = {crl_days}
policy = by_name
unique_subject = no
copy_extensions = none
crl_extensions = crl_ext

[by_name]
commonName = supplied

[crl_ext]
authorityKeyIdentifier = keyid:always

[req]
distinguished_name = dn
prompt = no

[dn]
CN = OneTrip

[ca_ext]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
"""

_EXTENSIONS: dict[Kind, str] = {
    "client": "extendedKeyUsage = clientAuth\n",
    "server": "extendedKeyUsage = serverAuth\n",
}
_COMMON_EXTENSIONS = """\
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""
_NEW_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-utf8"]


class PkiError(OneTripError):
    """A CA operation was refused (no CA, CA already there, bad name, openssl failed)."""


@dataclass(frozen=True)
class Issued:
    name: str
    cert: Path
    key: Path
    serial: str


def cert_path(ca_dir: Path, name: str) -> Path:
    return Path(ca_dir) / "certs" / f"{name}.crt"


def key_path(ca_dir: Path, name: str) -> Path:
    return Path(ca_dir) / "certs" / f"{name}.key"


def make_ca(ca_dir: Path, common_name: str = "OneTrip hall CA", days: int = CA_DAYS) -> Path:
    """Create the CA (key, self-signed certificate, empty index, first CRL); never overwrites one."""
    ca_dir = Path(ca_dir)
    if (ca_dir / "ca.key").exists():
        raise PkiError(f"a CA already exists in {ca_dir}")
    (ca_dir / "certs").mkdir(parents=True, exist_ok=True)
    (ca_dir / "newcerts").mkdir(exist_ok=True)
    (ca_dir / "ca.cnf").write_text(_CA_CNF.format(cert_days=CERT_DAYS, crl_days=CRL_DAYS))
    (ca_dir / "index.txt").write_text("")
    (ca_dir / "crlnumber").write_text("01\n")
    subject = "/CN=" + common_name.replace("/", "\\/")
    _openssl(ca_dir, "req", "-config", "ca.cnf", "-x509", *_NEW_KEY, "-keyout", "ca.key", "-out", "ca.crt",
             "-days", str(days), "-subj", subject, "-extensions", "ca_ext", "-set_serial", "1", secret=True)
    (ca_dir / "ca.crt").chmod(0o644)
    (ca_dir / "serial").write_text("1000\n")
    refresh_crl(ca_dir)
    return ca_dir / "ca.crt"


def issue(ca_dir: Path, name: str, kind: Kind = "client", hosts: Iterable[str] = (),
          days: int = CERT_DAYS) -> Issued:
    """A new key and certificate for `name` (a terminal id, `center`, `dashboard` or the broker).

    Issuing a name again (rotation) replaces certs/<name>.* ; the older certificate stays
    valid until `revoke(…, keep_current=True)`, so the terminal can switch without a gap.
    """
    ca_dir = _existing_ca(ca_dir)
    if not re.fullmatch(NAME, name):
        raise PkiError(f"certificate name {name!r} is not a valid terminal id ({NAME})")
    hosts = list(hosts)
    if kind == "server" and not hosts:
        raise PkiError("a server certificate needs at least one host name or address")
    extensions = _COMMON_EXTENSIONS + _EXTENSIONS[kind]
    if hosts:
        extensions += "subjectAltName = " + ", ".join(map(_alt_name, hosts)) + "\n"
    with tempfile.TemporaryDirectory(dir=ca_dir) as tmp:
        key, csr, crt, ext = (Path(tmp) / f for f in ("new.key", "new.csr", "new.crt", "ext.cnf"))
        ext.write_text(extensions)
        _openssl(ca_dir, "req", "-config", "ca.cnf", "-new", *_NEW_KEY, "-keyout", str(key), "-out", str(csr),
                 "-subj", f"/CN={name}", secret=True)
        _openssl(ca_dir, "ca", "-batch", "-config", "ca.cnf", "-notext", "-days", str(days),
                 "-extfile", str(ext), "-in", str(csr), "-out", str(crt))
        key.replace(key_path(ca_dir, name))
        crt.replace(cert_path(ca_dir, name))
    return Issued(name, cert_path(ca_dir, name), key_path(ca_dir, name), _serial(ca_dir, cert_path(ca_dir, name)))


def _alt_name(host: str) -> str:
    try:
        return f"IP:{ipaddress.ip_address(host)}"
    except ValueError:
        return f"DNS:{host}"


def revoke(ca_dir: Path, name: str, keep_current: bool = False) -> list[str]:
    """Revoke every valid certificate of `name` (all but the newest with `keep_current`);
    regenerates the CRL and returns the revoked serials. Mosquitto rereads it on SIGHUP."""
    ca_dir = _existing_ca(ca_dir)
    keep = _serial(ca_dir, cert_path(ca_dir, name)) if keep_current else None
    serials = [s for s in valid_serials(ca_dir, name) if s != keep]
    for serial in serials:
        _openssl(ca_dir, "ca", "-config", "ca.cnf", "-revoke", f"newcerts/{serial}.pem",
                 "-crl_reason", "superseded" if keep_current else "cessationOfOperation")
    refresh_crl(ca_dir)
    return serials


def refresh_crl(ca_dir: Path) -> Path:
    _openssl(Path(ca_dir), "ca", "-config", "ca.cnf", "-gencrl", "-out", "crl.pem")
    return Path(ca_dir) / "crl.pem"


def valid_serials(ca_dir: Path, name: str) -> list[str]:
    """Serials of `name`'s certificates not revoked (status V in index.txt; expiry aside)."""
    serials = []
    for line in (Path(ca_dir) / "index.txt").read_text().splitlines():
        status, _expiry, _revoked, serial, _file, subject = line.split("\t")
        if status == "V" and subject == f"/CN={name}":
            serials.append(serial)
    return serials


def _serial(ca_dir: Path, cert: Path) -> str:
    if not cert.exists():
        raise PkiError(f"no certificate {cert.name} in {ca_dir}")
    out = _openssl(ca_dir, "x509", "-noout", "-serial", "-in", str(cert))
    return out.strip().partition("=")[2]


def _existing_ca(ca_dir: Path) -> Path:
    ca_dir = Path(ca_dir)
    if not (ca_dir / "ca.key").exists():
        raise PkiError(f"no CA in {ca_dir} (python -m mqtt.pki init {ca_dir})")
    return ca_dir


def _openssl(ca_dir: Path, *args: str, secret: bool = False) -> str:
    """Run openssl in the CA directory; what a `secret` call writes is readable by its owner only."""
    exe = shutil.which("openssl") or "/usr/bin/openssl"
    proc = subprocess.run([exe, *args], cwd=ca_dir, capture_output=True, text=True,
                          umask=0o077 if secret else 0o022)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        raise PkiError(f"openssl {args[0]} failed: {last[:200]}")
    return proc.stdout


# ---- the secured broker profile (demo, tests) ---------------------------------------------
SECURE_CONF = CONFIG_DIR / "mosquitto" / "onetrip-secure.conf"
ACL_FILE = CONFIG_DIR / "mosquitto" / "acl"


def hall_acl(hall: str) -> str:
    """The shipped ACL pinned to one hall: every `onetrip/+/` becomes `onetrip/{hall}/`, so a
    terminal's certificate grants nothing under another hall's topics on the same broker."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", hall):
        raise PkiError(f"hall name {hall!r} cannot be a single MQTT topic level")
    return ACL_FILE.read_text(encoding="utf-8").replace("onetrip/+/", f"onetrip/{hall}/")


class SecureHall:
    """A broker directory for onetrip-secure.conf: `pki/` (CA, broker certificate, one
    certificate per identity, CRL) and the ACL; `settings(name)` connects as that identity."""

    def __init__(self, workdir: Path, identities: Iterable[str], *, hall: str = "demo",
                 port: int | None = None, hosts: Iterable[str] = SERVER_HOSTS) -> None:
        self.dir = Path(workdir)
        self.pki = self.dir / "pki"
        self.hall = hall
        if not (self.pki / "ca.key").exists():
            make_ca(self.pki)
        if not cert_path(self.pki, BROKER_NAME).exists():
            issue(self.pki, BROKER_NAME, "server", hosts)
        for name in identities:
            if not cert_path(self.pki, name).exists():
                issue(self.pki, name)
        (self.dir / "acl").write_text(hall_acl(hall), encoding="utf-8")
        self.broker = Broker(port=port, config=SECURE_CONF, workdir=self.dir)

    def settings(self, name: str, **overrides: object) -> MqttSettings:
        if not cert_path(self.pki, name).exists():
            raise PkiError(f"no certificate for {name!r} in {self.pki}")
        values: dict[str, object] = dict(host="127.0.0.1", port=self.broker.port, hall=self.hall,
                                         ca_file=self.pki / "ca.crt", cert_file=cert_path(self.pki, name),
                                         key_file=key_path(self.pki, name))
        return MqttSettings.model_validate({**values, **overrides})


# ---- command line ---------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mqtt.pki", description="the hall's private CA")
    sub = parser.add_subparsers(dest="action", required=True)
    p = sub.add_parser("init", help="create the CA")
    p.add_argument("dir", type=Path)
    p.add_argument("--name", default="OneTrip hall CA", help="the CA's common name")
    p = sub.add_parser("issue", help="issue (or rotate) a certificate")
    p.add_argument("dir", type=Path)
    p.add_argument("name")
    p.add_argument("--server", action="store_true", help="a broker certificate (needs --host)")
    p.add_argument("--host", action="append", default=[], help="address or DNS name of the broker")
    p.add_argument("--days", type=int, default=CERT_DAYS)
    p = sub.add_parser("revoke", help="revoke a name's certificates and rewrite the CRL")
    p.add_argument("dir", type=Path)
    p.add_argument("name")
    p.add_argument("--keep-current", action="store_true", help="revoke only older ones (rotation)")
    p = sub.add_parser("crl", help="rewrite the CRL")
    p.add_argument("dir", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.action == "init":
            print(make_ca(args.dir, args.name))
        elif args.action == "issue":
            issued = issue(args.dir, args.name, "server" if args.server else "client", args.host, args.days)
            print(f"{issued.cert}\n{issued.key}\nserial {issued.serial}")
        elif args.action == "revoke":
            serials = revoke(args.dir, args.name, args.keep_current)
            print(f"revoked {', '.join(serials) or 'nothing'}; CRL {args.dir / 'crl.pem'}")
        else:
            print(refresh_crl(args.dir))
    except PkiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
