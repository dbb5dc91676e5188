"""Opening the till's SQLite file: its layout (Alembic), the checks an open makes, the engine.

The tables themselves are in schema.py; this module opens, checks and migrates the file that
holds them (and may use the audit trail, which reads those tables).
"""

from __future__ import annotations

import ast
import contextlib
import functools
import logging
import os
import uuid
import weakref
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, delete, event, insert, select
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import NullPool

from . import sessions
from .errors import StorageUnavailable, describe, is_damage, storage_errors
from .schema import till_sessions


DB_FILE = "pos.sqlite3"
# The till's layout is Alembic's (migrations/, version table till_schema_version). Before Alembic it
# was numbered in PRAGMA user_version, 1 to 12; revision 0001 brings any of those up. Every file
# Alembic holds says 13 there, so a till from before Alembic (which knew up to 12) refuses it rather
# than half-understands it, and a number above 13 is a newer till's.
LAST_NUMBERED_LAYOUT = 12
SCHEMA_VERSION = 13
# The first layout whose audit trail covers every table that holds money, stock prices, settings or
# roles, and keeps a head file that must be there (adapters/db/audit.py).
AUDIT_LAYOUT = 11
MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "till_schema_version"
_SQLITE_HEADER = b"SQLite format 3\x00"
# The open session each engine this process opened for writing holds (close_engine deletes it).
_SESSIONS: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()
# Engines whose file a full check found damaged: their close keeps the session row, so the next
# start checks the whole file (and refuses it) rather than open it as sound after a clean close.
_DAMAGED: weakref.WeakSet[Engine] = weakref.WeakSet()
# Engines whose open ran the full check (after an unclean end) and found the file sound: `pos doctor`
# says that result instead of reading the whole file a second time (checked_in_full_at_open).
_CHECKED_AT_OPEN: weakref.WeakSet[Engine] = weakref.WeakSet()
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Layout:
    """What a file says of its layout: the old number (0: none, or a new file) and Alembic's revision;
    and the open sessions left by processes that are gone (cleared once the file passed the full check)."""

    number: int
    revision: str | None
    left_open: tuple[str, ...] = ()
    checked_in_full: bool = False  # the open ran SQLite's full check (and it passed)


@functools.cache
def known_revisions() -> dict[str, str | None]:
    """Each revision this till knows and the one it revises, read from the scripts' own module-level
    assignments once a process (parsed, not run: any formatting of `revision = "0011"`, wrapped in
    parentheses, split by a backslash, a prefixed string, two on a line, reads as Alembic reads it).
    Importing Alembic to ask costs ~0.3 s of every `pos` command's ~1 s start; a file at head needs
    only this, and Alembic is imported to migrate (tests check this against Alembic's reading)."""
    known: dict[str, str | None] = {}
    for script in sorted((MIGRATIONS / "versions").glob("*.py")):
        found = _assignments(script.read_text("utf-8"), ("revision", "down_revision"))
        revision, down = found.get("revision"), found.get("down_revision")
        if isinstance(revision, str):
            known[revision] = down if isinstance(down, str) else None
    return known


def _assignments(source: str, names: tuple[str, ...]) -> dict[str, object]:
    """The literal values a module assigns at its top level to `names` (plain or annotated)."""
    found: dict[str, object] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name) and target.id in names:
                try:
                    found[target.id] = ast.literal_eval(value)
                except ValueError:
                    pass  # not a literal: Alembic would run it; this till's scripts never do that
    return found


def head_revision() -> str:
    """The revision no other revises (the chain is linear: one head)."""
    revised = set(known_revisions().values())
    heads = [revision for revision in known_revisions() if revision not in revised]
    assert len(heads) == 1, heads
    return heads[0]


def alembic_config(conn):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    return config


def migrate(conn, revision: str = "head") -> None:
    """Run the till's migrations up to `revision` on conn, inside its transaction (foreign keys off)."""
    from alembic import command

    command.upgrade(alembic_config(conn), revision)


def prepare_data_dir(data_dir: Path) -> None:
    """The data folder exists and is a folder, or StorageUnavailable in a cashier's words."""
    if data_dir.exists() and not data_dir.is_dir():
        raise StorageUnavailable(
            f"The till's data folder {data_dir} is a file, not a folder. Move that file "
            "away, or start the till with --data-dir set to a folder."
        )
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageUnavailable(f"The till cannot create its data folder {data_dir}: {exc.strerror}.") from None
    if os.name == "posix":
        try:
            os.chmod(data_dir, 0o700)
        except OSError:
            pass  # e.g. a read-only mount: the write check below says what matters


def _damaged(path: Path, detail: str) -> StorageUnavailable:
    detail = " ".join(detail.split())  # SQLite's report spans lines; the cashier gets one
    detail = detail if len(detail) <= 120 else detail[:119] + "…"
    # The whole folder, not the file: the audit trail's head is beside the file, and a new file under
    # the old head reads as the old trail cut (the new till's `pos audit verify`: BROKEN). So is an
    # older backup of the file under today's head: a backup goes back with the head kept beside it.
    from .audit import HEAD_FILE

    said = f"The till's database {path} is damaged ({detail}). The till will not take payments with it."
    if not os.access(path.parent, os.W_OK):  # a read-only drive or folder: nothing can be renamed there
        return StorageUnavailable(
            f"{said} Its folder cannot be written (a read-only drive or folder): first copy the whole folder "
            f"{path.parent} to a drive that can be written, then there restore the last backup of the whole "
            f"folder (the database with its {HEAD_FILE} file), or rename the copy (keep it for support) and "
            "start again: the till starts a new database and audit trail."
        )
    return StorageUnavailable(
        f"{said} Restore the last backup of the whole folder (the database with its {HEAD_FILE} file), or "
        f"rename the whole folder {path.parent} (keep it for support) and start again: the till starts a new "
        "database and audit trail."
    )


def check_storage(engine: Engine, path: Path) -> Layout:
    """Before anything is written: the file is a database, and its layout is one this till knows (an
    older one is migrated by prove_writable). SQLite's full quick_check, which reads the whole file
    (1.6 s at 1,000,000 receipts), runs only when the last process that had the file open did not close
    it (a session row left behind) or the file is of a layout from before sessions; after a clean
    close the header, the layout and prove_writable's committed write are the checks, and the full
    one runs in the background (StorageWatch) and on `pos doctor`."""
    existed = path.exists() and path.stat().st_size > 0
    if existed:
        _check_header(path)
    elif path.exists():
        _not_emptied(path)
    else:
        _not_moved_alone(path)
    try:
        with engine.connect() as conn:
            number = int(conn.exec_driver_sql("PRAGMA user_version").scalar() or 0)
            tables = {row[0] for row in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")}
            revisions: list[str] = []
            if VERSION_TABLE in tables:
                query = f"SELECT version_num FROM {VERSION_TABLE} ORDER BY version_num"  # noqa: S608
                revisions = [row[0] for row in conn.exec_driver_sql(query)]
            left_open: tuple[str, ...] = ()
            gone = []
            if "till_sessions" in tables:
                rows = conn.execute(select(till_sessions.c.id, till_sessions.c.process)).all()
                gone = [row for row in rows if sessions.is_gone(row.id, row.process)]
                left_open = tuple(row.id for row in gone if sessions.clearable(row.process))
            reason: str | None = None
            if gone:
                reason = "the last process that had it open did not close it"
            elif existed and "till_sessions" not in tables:
                reason = "its layout is older than the record of open sessions"
            if reason is not None:
                problem = _quick_check(conn)
                log.info("storage: full check of %s (%s): %s", path, reason, problem or "ok")
                if problem is not None:
                    raise _damaged(path, f"SQLite's check found: {problem}")
            elif existed:
                log.info("storage: %s was closed cleanly: header, layout and a test write only", path)
            else:
                log.info("storage: %s is new", path)
    except StorageUnavailable:
        raise
    except (OperationalError, DBAPIError) as exc:
        if is_damage(str(exc.orig)):
            raise _damaged(path, str(exc.orig)) from None
        raise StorageUnavailable(describe(exc)) from None
    if len(revisions) > 1:
        # The till's history is one line: Alembic would take the rows for branches and upgrade one.
        raise _edited(path, f"its {VERSION_TABLE} table records more than one layout ({', '.join(revisions)})")
    revision = revisions[0] if revisions else None
    if revision is not None and number < SCHEMA_VERSION:
        # Alembic's files say 13 in user_version (written with the revision, in one transaction): a
        # smaller number was edited in, and a till from before Alembic would read 0 as a new file.
        said = f"it says layout number {number} beside revision {revision}, where {SCHEMA_VERSION} belongs"
        raise _edited(path, said)
    if number == SCHEMA_VERSION and revision is None:
        # Only Alembic writes 13 there, always with its version row: without the row, the upgrade
        # would run again over tables that are already there and fail half way through.
        raise StorageUnavailable(
            f"The till's database {path} has lost the record of its layout (its {VERSION_TABLE} table "
            "is missing or empty). Nothing was changed. Restore the last backup of the whole data folder, or call "
            "support."
        )
    known = revision is None or _known(revision)
    if number > SCHEMA_VERSION or not known:
        said = f"layout {revision}" if revision is not None and number <= SCHEMA_VERSION else f"layout {number}"
        raise StorageUnavailable(
            f"The till's database {path} was written by a newer version of the till ({said}; this "
            f"till knows up to {head_revision()}). Update the till to use it. Nothing was changed."
        )
    return Layout(number, revision, left_open, checked_in_full=reason is not None)


def _not_emptied(path: Path) -> None:
    """A file of no bytes is what SQLite makes new (a first start stopped before its first commit
    leaves one, its audit head at event 0). Beside an audit head that names events, it is the till's
    file emptied (a copy cut short, a disk or a program that zeroed it): refused, as damage is, not
    opened as a new till that sells from receipt 1 again while `pos doctor` calls it sound. Pages in
    its -wal do not save it: SQLite deletes the log of a database of no pages at open (pager.c,
    pagerOpenWalIfPresent), so the refusal comes before any open and the log stays for support."""
    written = _events_the_head_names(path)
    if written:
        raise _damaged(path, f"it is empty, though the till had written {written} audit events to it")


def _not_moved_alone(path: Path) -> None:
    """No file, beside an audit head that names events: the file was moved aside (or deleted) and its
    head left behind. A new file under that head would start a trail that reads as the old one cut,
    for good (`pos audit verify` BROKEN on the new till, the old trail's head gone from beside it):
    refused before anything is created, saying to keep the two together. The documented fresh start
    is the whole folder renamed (_damaged's advice): no head there, so a new trail that verifies.
    So is a -wal with pages left behind (a till killed, its file moved without its log): its last
    commits are there, and SQLite deletes the log of the new file of no pages at open."""
    from .audit import HEAD_FILE

    written = _events_the_head_names(path)
    wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
    logged = wal.exists() and wal.stat().st_size > 0
    if not written and not logged:
        return
    rest = [HEAD_FILE] * bool(written) + [wal.name] * logged + [shm.name] * (logged and shm.exists())
    had = (
        f"the till had written {written} audit events to one there"
        if written
        else f"its last changes are still in {wal.name} there"
    )
    raise StorageUnavailable(
        f"The till's database is missing from {path.parent}, though {had}. To start again, move the rest of "
        f"that folder ({', '.join(rest)}) to where the database went, keeping them together (`pos --data-dir "
        "THAT-FOLDER audit verify` checks its trail), then start again; otherwise put back the last backup of the "
        f"database together with the {HEAD_FILE} file backed up with it. Nothing was created."
    )


def _events_the_head_names(path: Path) -> int:
    """How many events the audit head beside the file says the trail had (0: none, or no head)."""
    from . import audit  # only for a file of no bytes or none: the usual open needs none of it

    head = audit.read_head(path.parent / audit.HEAD_FILE)
    return head.seq if head is not None else 0


def _check_header(path: Path) -> None:
    """The first 100 bytes: SQLite's magic, a page size it allows, and a file at least as long as
    the pages the header counts (a truncated file shows here without reading the rest)."""
    with open(path, "rb") as handle:
        header = handle.read(100)
    if header[: len(_SQLITE_HEADER)] != _SQLITE_HEADER:
        raise _damaged(path, "it is not a SQLite database")
    if len(header) < 100:
        raise _damaged(path, "its header is cut short")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        raise _damaged(path, f"its header names a page size of {page_size}")
    pages = int.from_bytes(header[28:32], "big")
    # The page count is SQLite's own only while the change counter matches version-valid-for.
    if pages and header[24:28] == header[92:96] and path.stat().st_size < pages * page_size:
        raise _damaged(path, "the file is shorter than its header says: it was cut off")


def _quick_check(conn) -> str | None:
    """SQLite's quick_check over the whole file: None if it is sound, else the first problem found."""
    result = conn.exec_driver_sql("PRAGMA quick_check").fetchall()
    return None if [r[0] for r in result] == ["ok"] else str(result[0][0])


def full_check(engine: Engine) -> str | None:
    """The whole file checked on a connection of its own (a read: it takes no write lock, so a sale
    is saved while it runs): None if sound, else the problem in SQLite's words (the caller logs it:
    the window's log, or `pos doctor`'s one line)."""
    # A connection of its own, opened for this check and closed after it: not one of the pool's,
    # whose page cache could hold a page as it was before the disk changed under it.
    own = create_engine(engine.url, poolclass=NullPool)
    try:
        with own.connect() as conn:
            problem = _quick_check(conn)
    except (OperationalError, DBAPIError) as exc:
        problem = " ".join(str(exc.orig).split())
        if not is_damage(problem):
            raise StorageUnavailable(describe(exc)) from None
    finally:
        own.dispose()
    if problem is not None:
        _DAMAGED.add(engine)
    return problem


def checked_in_full_at_open(engine: Engine) -> bool:
    """Whether this engine's open already read the whole file (an unclean end before it) and found it
    sound: what `pos doctor` says then, without running the same check again."""
    return engine in _CHECKED_AT_OPEN


def _edited(path: Path, what: str) -> StorageUnavailable:
    return StorageUnavailable(
        f"The till's database {path} does not agree with itself about its layout: {what}. It was edited "
        "by hand or by another program. Nothing was changed. Restore the last backup of the whole data folder, or "
        "call support."
    )


def _known(revision: str) -> bool:
    return revision in known_revisions()


def prove_writable(engine: Engine, layout: Layout, data_dir: Path | None = None) -> None:
    """Migrate an older layout, then commit a write: a full disk, a read-only mount or a locked
    file shows here, at start, not after a card was charged."""
    head_file = None
    # The audit head file is required from layout 11 on: a new file and one from before it get one.
    # (The audit trail is imported only then: a file at head, every command's open, needs none of it.)
    if data_dir is not None and layout.revision is None and layout.number < AUDIT_LAYOUT:
        from . import audit

        head_file = data_dir / audit.HEAD_FILE
    try:
        if layout.revision != head_revision():
            if head_file is not None and audit.read_head(head_file) is None:
                # Until the upgrade commits, the empty head (holds for any trail) stands, so a crash
                # in between leaves no missing head behind.
                _write_head(head_file, audit.Head(0, audit.GENESIS))
            with engine.connect() as conn:
                # Rebuilding a table needs foreign keys off, and SQLite only turns them off outside a
                # transaction: on this connection, before BEGIN, back on whatever happens.
                driver = conn.connection.dbapi_connection
                assert driver is not None
                driver.execute("PRAGMA foreign_keys = OFF")
                try:
                    # BEGIN IMMEDIATE: another process opening the same older file at once (a CLI
                    # command beside a starting till) waits for this upgrade, then finds it done,
                    # instead of failing "busy" when its read turns into a write.
                    conn.execution_options(sqlite_immediate=True)
                    with conn.begin():  # the whole upgrade, every revision, or none of it
                        _upgrade(conn, engine)
                        problems = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                        if problems:
                            raise StorageUnavailable(
                                f"The till's records do not hold together ({problems[0]}); nothing was changed."
                            )
                        conn.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")
                finally:
                    driver.execute("PRAGMA foreign_keys = ON")
            if head_file is not None:
                with engine.connect() as conn:
                    kept = audit.read_head(head_file)
                    # An older till's head moves to the upgraded trail only if the trail still holds it.
                    if kept is None or audit.head_holds(conn, kept):
                        _write_head(head_file, audit.tail(conn))
        session_id = uuid.uuid4().hex
        # Held before its row commits: another open in this process (another thread) that reads the
        # row between the commit and the hold would take it for a disposed engine's and delete it.
        sessions.hold(session_id)
        with _released_on_failure(session_id), engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT OR REPLACE INTO settings (key, value) VALUES ('storage_checked_at', "
                "strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"
            )
            # The committed test write also records this process as having the file open, and
            # clears the rows of gone processes once check_storage has checked the whole file.
            if layout.left_open:
                conn.execute(delete(till_sessions).where(till_sessions.c.id.in_(layout.left_open)))
            conn.execute(
                insert(till_sessions).values(
                    id=session_id, process=sessions.this_process(), opened_at=datetime.now(timezone.utc).isoformat()
                )
            )
        _SESSIONS[engine] = session_id
        # Disposed without close_engine (a failed start, a test's stop): the row stays and no longer
        # stands for an open engine, so the next open checks the whole file.
        event.listen(engine, "engine_disposed", lambda _engine: sessions.release(session_id))
    except (OperationalError, DBAPIError) as exc:
        raise StorageUnavailable(describe(exc)) from None


@contextlib.contextmanager
def _released_on_failure(session_id: str):
    try:
        yield
    except BaseException:
        sessions.release(session_id)  # its row did not commit
        raise


def _upgrade(conn, engine: Engine) -> None:
    """migrate, with a revision that cannot run on what the file holds (its version row edited
    back, a table already there) said as that, not as a save that may work if tried again."""
    try:
        migrate(conn)
    except (OperationalError, DBAPIError) as exc:
        if describe(exc) != describe(Exception()):
            raise  # full, read-only, busy: storage_errors says which
        detail = " ".join(str(exc.orig).split())[:120]
        raise StorageUnavailable(
            f"The till could not bring its database {engine.url.database} up to date ({detail}). Nothing was "
            "changed. Restore the last backup of the whole data folder, or call support."
        ) from None


def _write_head(head_file: Path, head) -> None:
    from . import audit

    try:
        audit.write_head(head_file, head)
    except OSError as exc:
        raise StorageUnavailable(
            f"The till cannot write its audit trail's head file {head_file}: {exc.strerror}."
        ) from None


def open_engine(data_dir: Path, *, busy_timeout_ms: int = 5000, read_only: bool = False) -> Engine:
    """The engine for the till's database in data_dir, created and migrated if new, and checked
    (check_storage) before it is handed out. read_only: every write is refused (PRAGMA query_only)."""
    prepare_data_dir(data_dir)
    path = data_dir / DB_FILE
    if path.is_dir():  # said in the owner's words, not the system's "Is a directory", at every door
        raise StorageUnavailable(
            f"The till's database {path} is a folder, not a file. The till will not take payments with it. "
            "Move that folder away (keep it for support), or start the till with --data-dir set to the "
            "till's own data folder."
        )
    if read_only and not path.exists():
        raise StorageUnavailable(f"There is no till database in {data_dir} to open.")
    # A folder that cannot be written is read in place (SQLite's mode=ro); elsewhere a reader opens the
    # file as a writer does, with writes refused (query_only), so its close tidies the log away as
    # the last connection's does (a mode=ro connection leaves an empty -wal and -shm behind).
    in_place = read_only and not os.access(data_dir, os.W_OK)
    url = _reading_url(path) if in_place else f"sqlite:///{path}"
    engine = create_engine(url, connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's begin event own transactions instead of the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not in_place:  # read in place, the file's journal stays as the till that wrote it set it
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        if read_only:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get("sqlite_immediate")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    try:
        layout = check_storage(engine, path)  # refuse damaged or newer files before touching them
        if layout.checked_in_full:
            _CHECKED_AT_OPEN.add(engine)
        if not read_only:
            with storage_errors():
                prove_writable(engine, layout, data_dir)
    except BaseException:
        engine.dispose()
        raise
    if os.name == "posix" and not read_only:
        for suffix in ("", "-wal", "-shm"):
            target = Path(f"{path}{suffix}")
            if target.exists():
                try:
                    os.chmod(target, 0o600)
                except OSError:
                    pass  # not ours to change (another user's file, or a read-only mount)
    return engine


def _reading_url(path: Path) -> URL:
    """The file in a folder that cannot be written (a read-only drive, a backup mounted read-only)
    opened for reading only (SQLite's `mode=ro`), so it is read, not refused as "cannot open for
    writing". SQLite's reader of a write-ahead-logged file needs its -shm file, which it cannot
    create there; with no log beside the file, every page is in the file itself and nothing can
    write it, which is what `immutable` says. A log with pages in it and no -shm cannot be read there."""
    query = {"mode": "ro", "uri": "true"}
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        if not Path(f"{path}-shm").exists():
            raise StorageUnavailable(
                f"The till's database {path} cannot be read where it is: its last changes are still in "
                f"{wal.name} beside it, and the folder is read-only. Copy the whole folder to a drive that "
                "can be written, and run `pos --data-dir COPY doctor` on the copy."
            )
    else:
        query["immutable"] = "1"
    # A URI: the path percent-encoded (a '?' or '#' in a folder's name is the folder's, not SQLite's).
    return URL.create("sqlite", database=path.resolve().as_uri(), query=query)


def can_sell_from(data_dir: Path) -> bool:
    """Whether the till could write its data folder and database there (`pos doctor` says so when not:
    a read-only drive or folder, a database file that cannot be written)."""
    path = data_dir / DB_FILE
    return os.access(data_dir, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))


def close_engine(engine: Engine) -> None:
    """A clean close: this process's open session is deleted (so the next open need not read the whole
    file), then the engine disposed. If the row cannot be deleted, the next open checks it all."""
    session_id = _SESSIONS.pop(engine, None)
    if session_id is not None and engine in _DAMAGED:
        log.warning("storage: the till's database was found damaged: its open session is kept for the next start")
    elif session_id is not None:
        try:
            with engine.begin() as conn:
                conn.execute(delete(till_sessions).where(till_sessions.c.id == session_id))
        except (OperationalError, DBAPIError) as exc:
            log.warning("storage: the till's open session could not be closed (%s)", describe(exc))
    engine.dispose()
