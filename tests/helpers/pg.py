"""A throwaway PostgreSQL cluster for the tests: Debian's server binaries, a data folder and a
socket in a temp dir, a free TCP port on loopback. Run as the `postgres` user when the tests run
as root (PostgreSQL refuses root). TCP connections need TLS and a password (scram-sha-256), as a
shop's server should be set up: `ssl=on` with a server certificate for localhost/127.0.0.1 signed by
a throwaway CA made here with `openssl` (`ca`, which the tests' tills keep with `pos shop set-ca`),
and pg_hba `hostssl` only, so the server refuses a plaintext connection too. The password comes
from a .pgpass file (PGPASSFILE) or the keyring, as a shop's tills would; the harness itself talks
over the socket, trusted. `PgServer(tls=False)` is a server with TLS off (a shop that never set it
up), for the test that shows a till refusing a plaintext link.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg

PASSWORD = "shop-" + uuid.uuid4().hex[:12]  # this run's; never a real one


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


def make_ca(folder: Path, name: str) -> tuple[Path, Path]:
    """A throwaway certificate authority: (its certificate, its key), PEM, in `folder`."""
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    _openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", f"/CN={name}",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    return cert, key


def make_server_cert(folder: Path, ca: tuple[Path, Path], days: int = 2) -> tuple[Path, Path]:
    """A server certificate for localhost and 127.0.0.1 signed by `ca`: (certificate, key), PEM; valid
    for `days` from now (a negative number: one that expired that long ago)."""
    cert, key, request = folder / "server.crt", folder / "server.key", folder / "server.csr"
    extensions = folder / "server.ext"
    extensions.write_text(
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
    )
    _openssl(
        "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", str(key), "-out", str(request), "-subj", "/CN=localhost",
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", str(request), "-CA", str(ca[0]), "-CAkey", str(ca[1]), "-CAcreateserial",
        "-out", str(cert), "-days", str(days), "-extfile", str(extensions),
    )  # fmt: skip
    os.chmod(key, 0o600)  # PostgreSQL refuses a key others can read
    return cert, key


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self, *, tls: bool = True, cert_days: int = 2) -> None:
        bindir = _bindir()
        if bindir is None:
            raise RuntimeError("PostgreSQL's server is not installed: run scripts/setup --test (Debian's postgresql)")
        self.bin = bindir
        self.root = Path(tempfile.mkdtemp(prefix="pos-pg-"))
        os.chmod(self.root, 0o755)
        self.data = self.root / "data"
        self.port = _free_port()
        self._as: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]
        pwfile = self.root / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if self._as:
            shutil.chown(pwfile, "postgres", "postgres")
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            f"--pwfile={pwfile}",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        pwfile.unlink()
        self.tls = tls
        self.ca: Path | None = None
        if tls:
            tls_dir = self.root / "tls"
            tls_dir.mkdir()
            authority = make_ca(tls_dir, "pos-test-shop-ca")
            self.ca = authority[0]
            self._server_cert = make_server_cert(tls_dir, authority, cert_days)
            if self._as:
                for path in self._server_cert:
                    shutil.chown(path, "postgres", "postgres")
            # TCP only over TLS: a plaintext connection is refused by the server itself.
            (self.data / "pg_hba.conf").write_text(
                "local all all trust\n"
                "hostssl all all 127.0.0.1/32 scram-sha-256\n"
                "hostssl all all ::1/128 scram-sha-256\n"
            )
        self.pgpass = self.root / "pgpass"  # the tills' password file, as libpq reads it
        self._first_start()

    def _first_start(self) -> None:
        """Start on a free port. The port is found free, then closed, then bound by the server: under
        pytest-xdist another worker's sandbox or cluster can take it in between, so a port found taken
        is traded for another (only now: a restart keeps its port, the URL the tills were given)."""
        for _ in range(5):
            self.pgpass.write_text(f"127.0.0.1:{self.port}:*:postgres:{PASSWORD}\n")
            os.chmod(self.pgpass, 0o600)
            try:
                return self.start()
            except subprocess.CalledProcessError:
                log = self.root / "log"
                if "already in use" not in (log.read_text(errors="replace") if log.exists() else ""):
                    raise
                log.unlink()
                self.port = _free_port()
        raise RuntimeError("no free port for the test PostgreSQL after 5 tries")

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self._as, str(self.bin / tool), *args], check=True, capture_output=True, cwd=self.root)

    def start(self) -> None:
        # fsync off: a test cluster, thrown away; the tills' own SQLite keeps synchronous=FULL.
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        if self.tls:
            cert, key = self._server_cert
            options += f" -c ssl=on -c ssl_cert_file={cert} -c ssl_key_file={key}"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start")

    def stop(self) -> None:
        """Like the shop's server going away mid-day: every connection is cut."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def destroy(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server's processes have spent so far, from /proc: the
        postmaster and its children (backends, WAL writer, checkpointer), and the children it has
        reaped (a backend that ended: the postmaster's cutime and cstime). What the benches take the
        difference of, to say what the server spent on a sync beside a bare COPY."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        ticks = 0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # ended meanwhile
            if int(entry.name) == postmaster:
                ticks += sum(int(n) for n in fields[11:15])  # utime, stime, cutime, cstime
            elif int(fields[1]) == postmaster:
                ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(host=str(self.root), port=self.port, user="postgres", dbname="postgres", autocommit=True)

    def new_database(self) -> str:
        """A fresh, empty shop database; its URL carries no password (PGPASSFILE has it)."""
        name = "shop_" + uuid.uuid4().hex[:10]
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def url(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def query(self, name: str, sql: str, *args) -> list[tuple]:
        with psycopg.connect(host=str(self.root), port=self.port, user="postgres", dbname=name) as conn:
            cursor = conn.execute(sql, args)
            return cursor.fetchall() if cursor.description else []
