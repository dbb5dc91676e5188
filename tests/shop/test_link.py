"""The link to the shop database is TLS, verified (issue 23, finding 10).

The shop tests' PostgreSQL takes TCP connections over TLS only (tests/helpers/pg.py: a throwaway CA
and a server certificate made with `openssl`, `ssl=on`, pg_hba `hostssl`), and the tests' tills keep
its CA in their data folders, so every shop test runs with verify-full. Here: what the tills check,
a server signed by another CA refused, a server without TLS refused, and the owner's recorded
opt-out. Everything is real: PostgreSQL servers, `pos` run as a command, the data folders.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from pos.adapters.shop.connect import ca_file, link_security, parse_url
from pos.app import open_back_office
from pos.services.shop import ShopRefused
from tests.helpers.pg import PASSWORD, PgServer, make_ca
from tests.helpers.shop import pos, till

UNSIGNED = "not signed by the CA this till trusts"
NO_TLS = "offers no TLS"


def one_line_error(result) -> str:
    """A refused command: exit 1 and one error line, never a traceback (a keyring warning may come
    first where no Secret Service runs)."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.strip().splitlines() if not line.startswith("WARNING: The keyring")]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def shop_link_events(folder: Path, kind: str = "shop_link_changed") -> list[dict]:
    # Read as `pos audit export` does (the command itself needs `--as` once cashiers exist).
    office = open_back_office(folder)
    try:
        events = [e for e in office.audit.export(None, None) if e["kind"] == kind]
    finally:
        office.close()
    for event in events:  # each carries the digest of the flag's row as written (issue 23, finding 4)
        assert set(event["payload"].pop("covers")["setting"]) == {"shop_link_plaintext"}
    return events


def test_the_tills_reach_the_shop_over_tls_with_the_certificate_checked(pg, shop_db, tmp_path, sandbox, api_key):
    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    try:
        assert t1.shop.round().complete
        # The server's side: the till's sessions (still in its pool) are encrypted.
        sessions = pg.query(
            "postgres",
            "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'pos-till'",
        )
        assert sessions and all(ssl for (ssl,) in sessions)
    finally:
        t1.close()
    assert ca_file(tmp_path / "T1").read_bytes() == pg.ca.read_bytes()  # kept as `pos shop set-ca` keeps it
    shown = pos("settings", "show", data_dir=tmp_path / "T1", shop_db=shop_db)
    assert "shop link = TLS, the certificate checked with the CA from `pos shop set-ca`" in shown.stdout
    # A plaintext session is refused by the server too (pg_hba: hostssl only).
    with pytest.raises(psycopg.OperationalError, match="no encryption"):
        psycopg.connect(host="127.0.0.1", port=pg.port, user="postgres", password=PASSWORD, sslmode="disable")


def test_a_till_refuses_a_server_its_ca_did_not_sign(pg, shop_db, tmp_path):
    other_ca, _key = make_ca(tmp_path, "another-ca")  # a CA that did not sign the shop server's certificate
    kept = pos("shop", "set-ca", str(other_ca), data_dir=tmp_path / "T1", shop_db=shop_db)
    assert kept.returncode == 0, kept.stderr
    refused = pos("sync", data_dir=tmp_path / "T1", shop_db=shop_db)
    assert UNSIGNED in one_line_error(refused)
    assert pg.query(shop_db.rsplit("/", 1)[1], "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [
        (0,)
    ]  # nothing reached it, not even the migrations
    # Signed by the right CA but for another name than the one dialled (hostaddr: the same server).
    assert pos("shop", "set-ca", str(pg.ca), data_dir=tmp_path / "T1", shop_db=shop_db).returncode == 0
    elsewhere = shop_db.replace("@127.0.0.1:", "@till-server.example:") + "?hostaddr=127.0.0.1"
    assert "for another host name" in one_line_error(pos("sync", data_dir=tmp_path / "T1", shop_db=elsewhere))
    # The right CA and the right name: the same till syncs.
    synced = pos("sync", data_dir=tmp_path / "T1", shop_db=shop_db)
    assert synced.returncode == 0, synced.stderr


def test_a_till_refuses_a_server_whose_certificate_expired_and_says_it_may_have(tmp_path):
    """Hostile-tester finding: a server whose certificate expired yesterday was refused (good) as "not
    signed by the CA this till trusts", so the owner ran set-ca again with the right CA and it still
    failed; libpq gives no reason beyond "certificate verify failed", so the till names each cause."""
    server = PgServer(cert_days=-1)
    try:
        shop_db = server.new_database()
        folder = tmp_path / "T1"
        assert pos("shop", "set-ca", str(server.ca), data_dir=folder, shop_db=shop_db).returncode == 0
        refused = one_line_error(pos("sync", data_dir=folder, shop_db=shop_db, PGPASSFILE=str(server.pgpass)))
        assert UNSIGNED in refused and "has expired" in refused and "renew the server's certificate" in refused
        assert server.query(
            shop_db.rsplit("/", 1)[1], "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        ) == [(0,)]
    finally:
        server.destroy()


@pytest.fixture
def plain_server():
    """A PostgreSQL with TLS off: a shop that never set it up."""
    server = PgServer(tls=False)
    try:
        yield server
    finally:
        server.destroy()


def test_a_till_refuses_a_plaintext_link_unless_the_owner_allows_it_and_that_is_recorded(pg, plain_server, tmp_path):
    shop_db = plain_server.new_database()
    folder = tmp_path / "T1"
    password = {"PGPASSFILE": str(plain_server.pgpass)}
    assert pos("shop", "set-ca", str(pg.ca), data_dir=folder, shop_db=shop_db).returncode == 0
    refused = pos("sync", data_dir=folder, shop_db=shop_db, **password)
    assert NO_TLS in one_line_error(refused) and "pos shop allow-plaintext" in refused.stderr

    # Once cashiers exist the opt-out is the owner's alone: not anyone's, not a manager's.
    added = pos("cashiers", "add", "Olive", "--role", "owner", data_dir=folder, shop_db="", stdin="2468\n2468\n")
    assert added.returncode == 0, added.stderr
    added = pos(
        "--as", "Olive", "cashiers", "add", "Max", "--role", "manager", data_dir=folder, shop_db="",
        stdin="2468\n1357\n1357\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "run it as one who may" in one_line_error(pos("shop", "allow-plaintext", data_dir=folder, shop_db=shop_db))
    manager = pos("--as", "Max", "shop", "allow-plaintext", data_dir=folder, shop_db=shop_db, stdin="1357\n")
    assert "may not change how the till reaches the shop database" in one_line_error(manager)
    wrong = pos("--as", "Olive", "shop", "allow-plaintext", data_dir=folder, shop_db=shop_db, stdin="0000\n")
    assert "Wrong PIN" in one_line_error(wrong)
    not_a_ca = tmp_path / "not-a-ca.pem"
    not_a_ca.write_text("hello")
    bad = pos("--as", "Olive", "shop", "set-ca", str(not_a_ca), data_dir=folder, shop_db=shop_db, stdin="2468\n")
    assert "is not a CA certificate" in one_line_error(bad)
    # Only the CA kept before there were cashiers is on record: nothing was allowed.
    assert [(e["subject"], e["approved_by"]) for e in shop_link_events(folder)] == [("ca", "")]
    assert NO_TLS in one_line_error(pos("sync", data_dir=folder, shop_db=shop_db, **password))

    allowed = pos("--as", "Olive", "shop", "allow-plaintext", data_dir=folder, shop_db=shop_db, stdin="2468\n")
    assert allowed.returncode == 0, allowed.stderr
    synced = pos("sync", data_dir=folder, shop_db=shop_db, **password)
    assert synced.returncode == 0, synced.stderr
    shown = pos("settings", "show", data_dir=folder, shop_db=shop_db)
    assert "shop link = plaintext allowed by the owner" in shown.stdout
    opted_out = shop_link_events(folder)[-1]
    assert (opted_out["subject"], opted_out["approved_by"]) == ("plaintext", "Olive")
    assert opted_out["payload"] == {"plaintext_allowed": True}
    assert pos("audit", "verify", data_dir=folder, shop_db="").returncode == 0

    # Withdrawn (or a CA kept again): verified TLS only, recorded too.
    off = pos("--as", "Olive", "shop", "allow-plaintext", "--off", data_dir=folder, shop_db=shop_db, stdin="2468\n")
    assert off.returncode == 0, off.stderr
    assert shop_link_events(folder)[-1]["payload"] == {"plaintext_allowed": False}
    assert NO_TLS in one_line_error(pos("sync", data_dir=folder, shop_db=shop_db, **password))


def test_set_ca_refuses_what_is_not_a_ca_certificate_in_one_line(tmp_path):
    folder = tmp_path / "T1"
    not_pem = tmp_path / "notes.pem"
    not_pem.write_text("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
    key_only = tmp_path / "ca.key"
    make_ca(tmp_path, "ca")
    for given, says in (
        (tmp_path / "missing.pem", "There is no file"),
        (tmp_path, "is a folder"),
        (not_pem / "ca.pem", "cannot be read"),  # under a file: unreadable even for root, who reads all else
        (not_pem, "is not a CA certificate"),
        (key_only, "is not a CA certificate"),  # a private key, PEM too, is not what libpq checks with
    ):
        result = pos("shop", "set-ca", str(given), data_dir=folder, shop_db="")
        assert says in one_line_error(result), result.stderr
    assert not ca_file(folder).exists()
    # A bundle as distributions ship them, with UTF-8 comments around the certificate, is taken whole.
    ca_pem, _key = make_ca(tmp_path, "bundle-ca")
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes("# Issuer: CN=Zürich shop CA\n".encode() + ca_pem.read_bytes())
    assert pos("shop", "set-ca", str(bundle), data_dir=folder, shop_db="").returncode == 0
    assert ca_file(folder).read_bytes() == bundle.read_bytes()
    assert "ssl settings" in one_line_error(
        pos("sync", data_dir=folder, shop_db="postgresql://postgres@127.0.0.1:5/shop?sslmode=disable")
    )


@pytest.mark.parametrize("kind", ["huge", "device"])
def test_set_ca_refuses_a_device_or_a_huge_file_without_reading_it_all(tmp_path, kind):
    """Hostile-tester finding: `pos shop set-ca /dev/zero` read for ever (memory until the kernel
    stepped in), a pipe waited for ever; a CA file is a regular file of at most a few MB."""
    given = tmp_path / "huge.pem"
    if kind == "huge":
        ca_pem, _key = make_ca(tmp_path, "ca")
        given.write_bytes(b"# padding\n" * 500_000 + ca_pem.read_bytes())  # 5 MB around one certificate
    else:
        given = Path("/dev/zero")
    result = pos("shop", "set-ca", str(given), data_dir=tmp_path / "T1", shop_db="")
    says = "larger than a CA certificate file" if kind == "huge" else "is not a file"
    assert says in one_line_error(result), result.stderr
    assert not ca_file(tmp_path / "T1").exists()


@pytest.mark.parametrize(
    ("address", "sslmode", "roots"),
    [
        ("postgresql://till@shop.example/shop", "verify-full", "system"),
        ("postgresql://till@10.0.0.5:5433/shop", "verify-full", "system"),
        ("postgresql://till@/shop?host=10.0.0.5", "verify-full", "system"),  # the host given in the query
        ("postgresql://till@localhost,10.0.0.5/shop", "verify-full", "system"),  # any host off this machine
        ("postgresql://till@shop.example/shop?hostaddr=127.0.0.1", "verify-full", "system"),
        ("postgresql://till@127.0.0.1/shop", "prefer", None),  # nothing crosses a network
        ("postgresql://till@[::1]/shop", "prefer", None),
        ("postgresql://till@/shop?host=/run/postgresql", "prefer", None),  # a Unix socket
    ],
)
def test_any_host_but_this_machine_is_reached_with_verify_full(tmp_path, address, sslmode, roots):
    security = link_security(parse_url(address), tmp_path)
    assert security.sslmode == sslmode
    if roots == "system":
        assert security.rootcert and security.rootcert != str(ca_file(tmp_path))
    else:
        assert security.rootcert is None
    # A CA kept in the data folder is checked whatever the host; the owner's opt-out is the only way down.
    ca_file(tmp_path).write_text("kept by set-ca")
    assert link_security(parse_url(address), tmp_path).connect_args() == {
        "sslmode": "verify-full",
        "sslrootcert": str(ca_file(tmp_path)),
    }
    assert link_security(parse_url(address), tmp_path, plaintext_allowed=True).connect_args() == {"sslmode": "prefer"}


@pytest.mark.parametrize(
    ("address", "env"),
    [
        ("postgresql://till@127.0.0.1/shop", {"PGHOSTADDR": "10.0.0.5"}),  # libpq dials PGHOSTADDR instead
        ("postgresql://till@localhost/shop", {"PGHOSTADDR": "127.0.0.1,10.0.0.5"}),
        ("postgresql://till@/shop", {"PGHOSTADDR": "10.0.0.5"}),
        ("postgresql://till@/shop", {"PGSERVICE": "shop"}),  # the service file may name any host
        ("postgresql://till@/shop?service=shop", {}),
    ],
)
def test_the_environment_cannot_take_a_local_looking_address_off_this_machine(tmp_path, monkeypatch, address, env):
    """Hostile-tester finding: libpq reads PGHOSTADDR and PGSERVICE (pg_service.conf: host=, hostaddr=)
    from the environment; with them an address that looked local was dialled elsewhere with
    sslmode=prefer, plaintext and unchecked."""
    service_file = tmp_path / "pg_service.conf"
    service_file.write_text("[shop]\nhost=shop.example\n")
    monkeypatch.setenv("PGSERVICEFILE", str(service_file))
    for name in ("PGHOSTADDR", "PGSERVICE", "PGHOST"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert link_security(parse_url(address), tmp_path).sslmode == "verify-full"


def test_a_local_address_stays_local_when_the_environment_agrees(tmp_path, monkeypatch):
    monkeypatch.setenv("PGHOSTADDR", "127.0.0.1")
    monkeypatch.delenv("PGSERVICE", raising=False)
    assert link_security(parse_url("postgresql://till@localhost/shop"), tmp_path).sslmode == "prefer"
    # An address naming its own hostaddr is dialled there, whatever the environment says.
    monkeypatch.setenv("PGHOSTADDR", "10.0.0.5")
    assert link_security(parse_url("postgresql://till@/shop?hostaddr=127.0.0.1"), tmp_path).sslmode == "prefer"


@pytest.mark.parametrize("query", ["sslmode=disable", "sslmode=require", "sslrootcert=/tmp/x.pem", "requiressl=0"])
def test_the_address_cannot_weaken_the_link(query):
    with pytest.raises(ShopRefused, match="ssl settings"):
        parse_url(f"postgresql://till@shop.example/shop?{query}")


def test_an_address_with_a_port_that_is_no_number_is_refused_in_the_owners_words():
    with pytest.raises(ShopRefused, match="not one the till understands"):
        parse_url("postgresql://till@h1:5432,h2:5433/shop")
