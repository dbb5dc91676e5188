"""Every bench runs at its smallest in the test command, so none breaks unseen (issue 27 item 6).

bench/receipts.py's seed failed for weeks (`NOT NULL constraint failed: sales.cart_discount_minor`)
because nothing ran it. Each script here runs as its own process with small flags, must exit 0 and
print the lines that carry its figures against their baseline. The figures themselves are not
checked (tests never assert times); the scripts are the measure (docs/performance.md).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
LIBRARIES = {"stats.py", "commits.py", "plain.py"}  # imported by the benches, not run

NUMBER = r"[0-9][0-9,.]*"
# script, its smallest flags, the lines it must print (regular expressions, each matched in the output).
CASES = {
    "catalog.py": (
        [
            "--search-size",
            "1000",
            "--barcode-size",
            "1000",
            "--baseline-size",
            "100",
            "--queries",
            "20",
            "--window-runs",
            "1",
        ],
        [rf"search-as-you-type .*\| +{NUMBER}$", rf"barcode lookup .*\| +{NUMBER}$", r"^targets: "],
    ),
    "checkout.py": (
        ["--rounds", "3", "--warmup", "1"],
        [
            rf"^ratio card/bare \(median\): {NUMBER}",
            rf"^ratio cash/bare \(median\): {NUMBER}",
            rf"^ratio split/bare \(median\): {NUMBER}",
            rf"^durable commits per card sale: {NUMBER}",
        ],
    ),
    "core_vs_raw.py": (["--rounds", "3"], [rf"^Core over plain: .* x{NUMBER}$"]),
    "open.py": (
        ["--receipts", "2000", "--repeat", "2", "--unclean"],
        [
            r"^open, empty till \(baseline\) .*\| +1\.00 +1\.00$",
            rf"^open, big till .*\| +{NUMBER} +{NUMBER}$",
            rf"^pos report, big till .*\| +{NUMBER} +{NUMBER}$",
            rf"^pos report, big, after unclean end .*\| +{NUMBER} +{NUMBER}$",
            rf"^python -c pass \(floor\) .*\| report/floor {NUMBER} wall, {NUMBER} CPU",
            rf"^pos --version \(floor\) .*\| report/floor {NUMBER} wall, {NUMBER} CPU",
        ],
    ),
    "reader.py": (["--rounds", "2"], [rf"^ratio whole/bare \(median\): {NUMBER}"]),
    "receipts.py": (
        ["--receipts", "2000", "--baseline", "1000", "--repeat", "2"],
        [rf"^first page .*\| +{NUMBER}$", rf"^open \+ storage checks \(start\) .*\| +{NUMBER}$", r"^targets: "],
    ),
    "sandbox.py": (["--stored", "100", "--rounds", "5"], [rf"^sqlite +100 .* {NUMBER} +\(", r"^targets "]),
    "startup.py": (
        ["--from-source", "--runs", "1"],
        [rf"^exec to first paint .*ms +{NUMBER} +<= 1.3$", rf"^CPU to first paint .*ms +{NUMBER}$", r"^load average "],
    ),
    "stock.py": (
        [
            "--movements",
            "2000",
            "--products",
            "200",
            "--baseline-movements",
            "1000",
            "--baseline-products",
            "100",
            "--queries",
            "5",
            "--lists",
            "2",
        ],  # fmt: skip
        [rf"p95 ratio on-hand {NUMBER}, low list {NUMBER}$", r"^targets: "],
    ),
    "sync.py": (
        ["--receipts", "20", "--total", "2000", "--rounds", "1", "--history", "500"],
        [
            rf"^sync: 60 receipts from 3 tills at once .* = {NUMBER} receipts/s",
            rf"^ratio sync/floor: {NUMBER} ",
            rf"^ratio shop/single-till: {NUMBER}$",
        ],
    ),
}


def run_bench(script: str, *args: str, tmp_path: Path, env: dict[str, str] | None = None, stderr: bool = False) -> str:
    """The bench's output (stdout, and its stderr after it when `stderr`), run with `env` added."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT), **(env or {})}
    extra = ["--work", str(tmp_path / "startup")] if script == "startup.py" else []
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args, *extra],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=900,
    )
    assert done.returncode == 0, f"{script} failed:\n{done.stdout}\n{done.stderr[-3000:]}"
    return done.stdout + done.stderr if stderr else done.stdout


def test_every_bench_is_run_here():
    scripts = {path.name for path in BENCH.glob("*.py")} - LIBRARIES
    assert scripts == set(CASES), "a bench without a small run here would rot unseen"


@pytest.mark.parametrize("script", sorted(CASES))
def test_the_bench_runs_at_its_smallest_and_prints_its_ratios(script, tmp_path):
    args, expected = CASES[script]
    out = run_bench(script, *args, tmp_path=tmp_path)
    for pattern in expected:
        assert re.search(pattern, out, re.M), f"{script} printed no line matching {pattern!r}:\n{out}"


def test_the_sync_bench_prints_its_figures_without_keyring_noise_where_no_keyring_works(tmp_path):
    """Outside a desktop session (no keyring: the fail backend stands for it) each till process of
    the sync bench logged that the keyring could not be read, ten lines among its figures. The
    bench's tills take the password from its server's .pgpass file, as the shop tests' do."""
    out = run_bench(
        "sync.py",
        *CASES["sync.py"][0],
        tmp_path=tmp_path,
        env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"},
        stderr=True,
    )
    assert "keyring" not in out.lower(), out
    assert re.search(rf"^ratio sync/floor: {NUMBER} ", out, re.M), out


@pytest.mark.parametrize("path", ["card", "cash", "split"])
def test_checkout_runs_one_path_alone_and_counts_its_commits(path, tmp_path):
    out = run_bench("checkout.py", "--path", path, "--rounds", "3", "--warmup", "1", tmp_path=tmp_path)
    counted = re.findall(rf"^durable commits per (\w+) sale: ({NUMBER}) ", out, re.M)
    assert [name for name, _ in counted] == [path], out  # that path, and no other, ran
    # Issue 27 item 1: a card sale commits twice, cash once, the split (cash, then a card part) three times.
    assert float(counted[0][1]) == {"card": 2, "cash": 1, "split": 3}[path], out
    assert f"ratio {path}/bare (median): " in out


def test_checkout_with_latency_delays_every_request_of_the_bare_calls_and_the_sale(tmp_path):
    """--latency: a Stripe across a network. Each round is the bare create+confirm, the lean bare one and
    one card sale, two requests each, so three rounds (two timed, one warm-up) are 18 delayed requests."""
    out = run_bench(
        "checkout.py", "--path", "card", "--rounds", "2", "--warmup", "1", "--latency", "1", tmp_path=tmp_path
    )
    assert re.search(r"^latency 1 ms before each API request: 18 requests delayed \(3 rounds\)$", out, re.M), out
    assert "ratio card/bare (median): " in out


def test_checkout_profiles_its_sales(tmp_path):
    out = run_bench(
        "checkout.py", "--path", "cash", "--rounds", "2", "--warmup", "1", "--profile", "2", tmp_path=tmp_path
    )
    assert re.search(r"^cProfile of 2 sales of each path \(cash\): by own time", out, re.M), out
    assert "function calls" in out


def test_the_commit_counter_counts_commits_that_wrote(tmp_path):
    """bench/commits.py, the counter checkout.py prints: a write transaction is one durable commit, a
    write outside any transaction is one, a read or a rolled back write none."""
    sys.path.insert(0, str(BENCH))
    try:
        from commits import CommitCounter
    finally:
        sys.path.remove(str(BENCH))
    counter = CommitCounter.install()
    engine = create_engine(f"sqlite:///{tmp_path / 'c.sqlite3'}")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        start = counter.count
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
            conn.execute(text("INSERT INTO t VALUES (2)"))
        assert counter.count - start == 1
        with engine.begin() as conn:
            conn.execute(text("SELECT count(*) FROM t")).scalar()
        assert counter.count - start == 1
        with engine.connect() as conn:
            conn.execute(text("DELETE FROM t"))
            conn.rollback()
        assert counter.count - start == 1
        driver = engine.raw_connection()
        try:
            driver.driver_connection.isolation_level = None  # autocommit: each write its own transaction
            driver.driver_connection.execute("UPDATE t SET x = 3")
        finally:
            driver.close()
        assert counter.count - start == 2
    finally:
        counter.remove()
        engine.dispose()
