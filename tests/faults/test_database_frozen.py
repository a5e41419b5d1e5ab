"""A PostgreSQL that stops answering (SIGSTOP) gives the same fast Persian 503 as one that is down.

The server is a private cluster started for the test, never the machine's shared one: freezing that would hang
every other test and engineer on the machine.
"""

import glob
import html
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from suggestions.choices import Province, Role
from tests.faults.conftest import ROOT, free_port, start_gunicorn

pytestmark = pytest.mark.fault

# Far above the few seconds the portal needs, far below the 30 s after which gunicorn kills a hung worker.
ANSWER_BOUND_SECONDS = 10


def postgresql_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def as_postgres(*command: str, **kwargs) -> subprocess.CompletedProcess:
    # initdb refuses to run as root; the cluster belongs to the postgres account.
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *command], check=True, capture_output=True, text=True, **kwargs)


class PrivatePostgres:
    def __init__(self, bindir: Path, workdir: Path, port: int):
        self.bindir, self.workdir, self.port = bindir, workdir, port
        self.data = workdir / "data"
        self.url = f"postgres://postgres@127.0.0.1:{port}/hamandishi"

    def start(self):
        as_postgres(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        as_postgres(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.workdir / "postgres.log"),
            "-o",
            f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 -c fsync=off",
            "-w",
            "start",
        )
        as_postgres(str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "hamandishi")

    def processes(self) -> list[int]:
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True).stdout.split()
        return [postmaster, *map(int, children)]

    def freeze(self):
        for pid in self.processes():
            os.kill(pid, signal.SIGSTOP)

    def thaw(self):
        for pid in self.processes():
            os.kill(pid, signal.SIGCONT)

    def stop(self):
        if (self.data / "postmaster.pid").exists():
            self.thaw()
            as_postgres(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")


def portal_env(database_url: str, var_dir: Path) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DATABASE", "REDIS", "CELERY"))}
    env.update(
        {
            "DATABASE_URL": database_url,
            "DJANGO_DEBUG": "true",
            "DATABASE_CONNECT_TIMEOUT": "2",
            "FORM_MIN_FILL_SECONDS": "0",
            "HAMANDISHI_VAR_DIR": str(var_dir),
        }
    )
    return env


@pytest.fixture(scope="module")
def private_postgres(tmp_path_factory):
    """A private cluster with the portal's schema, shared by this module's tests (each thaws it when done)."""
    bindir = postgresql_bin()
    if bindir is None or not shutil.which("runuser"):
        pytest.skip("PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are not installed")
    # Not pytest's tmp_path: the postgres account must be able to enter it.
    workdir = Path(tempfile.mkdtemp(prefix="hamandishi-frozen-pg-"))
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres")
    server = PrivatePostgres(bindir, workdir, free_port())
    try:
        server.start()
        env = portal_env(server.url, tmp_path_factory.mktemp("migrate-var"))
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input"], cwd=ROOT, env=env, check=True, capture_output=True
        )
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def portal_on(private_postgres, tmp_path):
    """The portal under gunicorn on the private cluster."""
    env = portal_env(private_postgres.url, tmp_path / "var")
    process, base = start_gunicorn(env, tmp_path / "web.log")
    try:
        yield base
    finally:
        # Thaw first: a worker stuck on the frozen server would otherwise ignore the TERM for 30 s.
        private_postgres.thaw()
        process.terminate()
        process.wait(timeout=30)


def fetch(url: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, str, dict, float]:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=40) as response:
            return response.status, response.read().decode(), dict(response.headers), time.monotonic() - started
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers), time.monotonic() - started


def blank_form(base: str) -> tuple[dict, str]:
    """Open the form as a citizen would: its hidden fields, and the CSRF cookie that goes with them."""
    status, page, headers, _ = fetch(f"{base}/suggest/")
    assert status == 200
    fields = {
        name: html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page)
    }
    topics = re.search(r'<select name="topic".*?</select>', page, re.DOTALL).group(0)
    fields["topic"] = re.findall(r'<option value="(\d+)"', topics)[0]
    fields.update(role=Role.CITIZEN, province=Province.TEHRAN)
    cookie = re.search(r"csrftoken=([^;]+)", headers.get("Set-Cookie", "")).group(1)
    return fields, cookie


def post_suggestion(base: str, fields: dict, cookie: str) -> tuple[int, str, float]:
    data = {
        **fields,
        "title": "نیمکت بیشتر در پارک محله",
        "body": "در پارک محلهٔ ما نیمکت کم است و سالمندان جایی برای نشستن ندارند؛ لطفاً چند نیمکت سایه‌دار بگذارید.",
    }
    status, page, _, seconds = fetch(
        f"{base}/suggest/",
        data=urllib.parse.urlencode(data).encode(),
        headers={
            "Cookie": f"csrftoken={cookie}",
            "Referer": f"{base}/suggest/",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    return status, page, seconds


def test_a_submission_while_postgresql_is_frozen_gets_a_fast_persian_503_and_no_receipt(
    private_postgres, portal_on, capsys
):
    fields, cookie = blank_form(portal_on)
    # The worker now holds a persistent connection, the one a frozen server leaves hanging.
    assert '"database": "ok"' in fetch(f"{portal_on}/healthz")[1]
    private_postgres.freeze()
    status, page, seconds = post_suggestion(portal_on, fields, cookie)
    with capsys.disabled():
        print(f"\n  database frozen: the submission answered {status} in {seconds:.2f} s")
    assert status == 503, re.findall(r'class="[^"]*(?:invalid|error|alert)[^"]*"[^>]*>([^<]+)', page)
    assert "ثبت <strong>نشد</strong>" in page
    assert "کد رهگیری" not in page
    assert seconds < ANSWER_BOUND_SECONDS


def test_healthz_says_a_frozen_database_is_down_without_hanging(private_postgres, portal_on, capsys):
    assert '"database": "ok"' in fetch(f"{portal_on}/healthz")[1]
    private_postgres.freeze()
    status, body, _, seconds = fetch(f"{portal_on}/healthz")
    with capsys.disabled():
        print(f"\n  database frozen: /healthz answered {status} in {seconds:.2f} s")
    assert status == 503
    assert '"database": "error"' in body
    assert seconds < ANSWER_BOUND_SECONDS


def test_a_submission_after_the_database_thaws_is_received(private_postgres, portal_on):
    fields, cookie = blank_form(portal_on)
    private_postgres.freeze()
    assert post_suggestion(portal_on, fields, cookie)[0] == 503
    private_postgres.thaw()
    fields, cookie = blank_form(portal_on)
    status, page, _ = post_suggestion(portal_on, fields, cookie)
    assert status == 200
    assert "کد رهگیری" in page
