"""A throwaway PostgreSQL cluster for the tests: Debian's server binaries, a data folder and a
socket in a temp dir, a free TCP port on loopback. Run as the `postgres` user when the tests run
as root (PostgreSQL refuses root). TCP connections need a password (scram-sha-256), which the
tests give through a .pgpass file (PGPASSFILE) or the keyring, as a shop's tills would; the
harness itself talks over the socket, trusted.
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self) -> None:
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
        self.pgpass = self.root / "pgpass"  # the tills' password file, as libpq reads it
        self.pgpass.write_text(f"127.0.0.1:{self.port}:*:postgres:{PASSWORD}\n")
        os.chmod(self.pgpass, 0o600)
        self.start()

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self._as, str(self.bin / tool), *args], check=True, capture_output=True, cwd=self.root)

    def start(self) -> None:
        # fsync off: a test cluster, thrown away; the tills' own SQLite keeps synchronous=FULL.
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
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
