"""Fixtures for the web app's tests: databases (SQLite files and a real PostgreSQL server), inputs, clients,
a live uvicorn server and Debian's Chromium.

PostgreSQL: ``COMMONGROUND_TEST_PG_URL`` (a server URL whose user may CREATE DATABASE) is used when set.
Otherwise Debian's ``postgresql`` server binaries are used, and a throw-away cluster is started on 127.0.0.1
at a free port (as the ``postgres`` user when running as root), then stopped. These fixtures install
nothing: ``make test`` runs ``.ci/setup-system.sh`` first, which installs postgresql and chromium and adds
the ``postgres`` user when they are missing. When they are missing anyway, the tests that need them skip
with the reason, or fail under CI (``CI`` set), where a skip would hide a broken setup.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from commonground.scenarios import get_scenario

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")


# -- helpers -------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def is_root() -> bool:
    return os.geteuid() == 0


def missing(what: str) -> None:
    """Skip (fail under CI) because a system package the test needs is not installed."""
    message = f"{what}; run `bash .ci/setup-system.sh` as root (make test does) or install it"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


# -- PostgreSQL ----------------------------------------------------------------------------------------
def pg_bindir() -> Path | None:
    """Debian keeps initdb/pg_ctl in /usr/lib/postgresql/<version>/bin (newest first), else look on PATH."""
    def version(p: str) -> float:
        try:
            return float(Path(p).parent.name)
        except ValueError:
            return 0.0

    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True):
        if (Path(d) / "initdb").exists() and (Path(d) / "pg_ctl").exists():
            return Path(d)
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    return None


class PostgresCluster:
    """A throw-away cluster: initdb into a temp dir, pg_ctl start on 127.0.0.1:<free port>, stop, delete."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="cg-pg-"))
        self.data = self.dir / "data"
        self.user: str | None = None
        if is_root():  # postgres refuses to run as root: hand the directory to the postgres user
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                shutil.rmtree(self.dir, ignore_errors=True)
                missing("running as root, but there is no 'postgres' user to run the PostgreSQL server")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self.user = "postgres"

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=self.dir)

    def start(self) -> None:
        res = self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                        "--no-sync", "--locale=C")
        if res.returncode:
            raise RuntimeError(f"initdb failed: {res.stderr[-2000:]}")
        opts = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100")
        res = self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "server.log"), "-w", "-t", "60",
                        "-o", opts, "start")
        if res.returncode:
            log = (self.dir / "server.log").read_text(errors="replace")[-2000:] if (self.dir / "server.log").exists() \
                else ""
            raise RuntimeError(f"pg_ctl start failed: {res.stderr[-1000:]}\n{log}")

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "-t", "30", "stop", timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """URL of a PostgreSQL server's maintenance database (the user can create databases)."""
    given = os.environ.get("COMMONGROUND_TEST_PG_URL")
    if given:
        yield given
        return
    bindir = pg_bindir()
    if bindir is None:
        missing("PostgreSQL server binaries (initdb, pg_ctl) not found (Debian's postgresql; or set "
                "COMMONGROUND_TEST_PG_URL)")
    cluster = PostgresCluster(bindir)
    try:
        cluster.start()
    except Exception:
        cluster.stop()
        raise
    try:
        yield cluster.url
    finally:
        cluster.stop()


def _pg_admin_url(server_url: str) -> str:
    return server_url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextlib.contextmanager
def pg_database(server_url: str) -> Iterator[str]:
    """A fresh, empty database on the server; dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"cg_test_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin_url(server_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(server_url.replace("postgresql://", "postgresql+psycopg://", 1)
                   if server_url.startswith("postgresql://") else server_url).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, then a database on the real PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'commonground.sqlite'}"
    else:
        with pg_database(request.getfixturevalue("postgres_server")) as url:
            yield url


# -- inputs --------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def bto_inputs(tmp_path_factory) -> Path:
    """The built-in sg-bto scenario as files: flats.csv (2,390 flats, 800 vacant), households.csv (3,200),
    preferences.csv, policy.toml."""
    return get_scenario("sg-bto").write_inputs(tmp_path_factory.mktemp("bto"))


TINY_FLATS = """flat_id,block_id,neighbourhood_id,flat_type,floor,occupant_ethnicity
A-1,A,N1,4-room,1,Chinese
A-2,A,N1,4-room,2,Chinese
A-3,A,N1,4-room,3,
A-4,A,N1,4-room,4,
B-1,B,N1,3-room,1,Malay
B-2,B,N1,3-room,2,
B-3,B,N1,3-room,3,
B-4,B,N1,3-room,4,
"""
TINY_HOUSEHOLDS = """household_id,ethnicity,priority
h1,Chinese,FT
h2,Chinese,FT
h3,Malay,
h4,Indian,
h5,Chinese,
h6,Malay,FT
h7,Chinese,
"""
TINY_PREFERENCES = """household_id,block_id,rank
h1,A,1
h1,B,2
h2,A,1
h3,B,1
h3,A,2
h4,A,1
h5,B,1
h6,A,1
h7,A,1
h7,B,2
"""


@pytest.fixture(scope="session")
def tiny_inputs(tmp_path_factory) -> Path:
    """A hand-sized development (2 blocks, 8 flats, 5 vacant) and 7 applicants with ranked blocks."""
    d = tmp_path_factory.mktemp("tiny")
    (d / "flats.csv").write_text(TINY_FLATS)
    (d / "households.csv").write_text(TINY_HOUSEHOLDS)
    (d / "preferences.csv").write_text(TINY_PREFERENCES)
    return d


# -- apps and clients ----------------------------------------------------------------------------------
@pytest.fixture
def service(db_url):
    """(app, database, admin token) on a fresh database."""
    from commonground.service import Settings, auth, create_app

    app = create_app(Settings(db_url=db_url, run_workers=2))
    _, token = auth.create_token(app.state.db, "admin", label="tests")
    yield app, app.state.db, token
    app.state.queue.shutdown()
    app.state.db.dispose()


# -- a live server and a browser -----------------------------------------------------------------------
def cli_command(*args: str) -> list[str]:
    """The ``commonground`` command run by this interpreter (no reliance on PATH)."""
    return [sys.executable, "-c", "from commonground.cli import main; main()", *args]


class LiveServer:
    def __init__(self, db_url: str, hdb_file: Path | None, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = ["serve", "--db", db_url, "--host", "127.0.0.1", "--port", str(self.port)]
        if hdb_file is not None:
            args += ["--hdb-file", str(hdb_file)]
        self.log = log.open("w")
        self.proc = subprocess.Popen(cli_command(*args), stdout=self.log, stderr=subprocess.STDOUT, cwd=REPO)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {log.read_text()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/api/health", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not answer within 90 s: {log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=20)
        self.log.close()


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium at /usr/bin/chromium."""
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} not found (Debian's chromium)")
    return CHROMIUM


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
