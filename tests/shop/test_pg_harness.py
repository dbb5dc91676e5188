"""The test PostgreSQL under pytest-xdist: each worker starts its own cluster (tests/shop/conftest.py,
a session fixture, so one per worker process) on a port of its own, even when the port it found free
is taken before the server binds it (another worker's sandbox or cluster got there first)."""

from __future__ import annotations

import socket

from tests.helpers import pg


def test_a_port_taken_before_the_server_binds_it_is_traded_for_another(monkeypatch):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        ports = iter([busy])
        real = pg._free_port
        monkeypatch.setattr(pg, "_free_port", lambda: next(ports, None) or real())
        server = pg.PgServer(tls=False)
        try:
            assert server.port != busy
            assert f":{server.port}:" in server.pgpass.read_text()  # the tills' password file follows it
            with server.admin() as conn:
                assert conn.execute("SELECT 1").fetchone() == (1,)
        finally:
            server.destroy()
