import os
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.faults.conftest import free_port, start_gunicorn

pytestmark = pytest.mark.fault

CSRF_SECRET = "a" * 32


@pytest.fixture
def portal_without_database(tmp_path):
    """The portal under gunicorn with PostgreSQL unreachable (nothing listens on the port)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DATABASE", "REDIS"))}
    env.update(
        {
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{free_port()}/hamandishi",
            "DJANGO_DEBUG": "true",
            "DATABASE_CONNECT_TIMEOUT": "2",
        }
    )
    process, base = start_gunicorn(env, tmp_path / "web.log")
    yield base
    process.terminate()
    process.wait(timeout=20)


def post_suggestion(base: str) -> tuple[int, str, float]:
    data = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": CSRF_SECRET,
            "title": "عنوانی برای آزمون خرابی",
            "body": "متنی که نباید رسید دروغین بگیرد چون پایگاه داده در دسترس نیست.",
        }
    ).encode()
    request = urllib.request.Request(
        f"{base}/suggest/",
        data=data,
        method="POST",
        headers={
            "Cookie": f"csrftoken={CSRF_SECRET}",
            "Referer": f"{base}/suggest/",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode(), time.monotonic() - started
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), time.monotonic() - started


def test_a_submission_while_postgresql_is_down_gets_a_persian_503_and_no_receipt(portal_without_database, capsys):
    status, page, seconds = post_suggestion(portal_without_database)
    with capsys.disabled():
        print(f"\n  database down: answered {status} in {seconds:.2f} s")
    assert status == 503
    assert "ثبت <strong>نشد</strong>" in page
    assert "کد رهگیری" not in page


def test_healthz_says_the_database_is_down(portal_without_database):
    try:
        urllib.request.urlopen(f"{portal_without_database}/healthz", timeout=30)
        status, body = 200, ""
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read().decode()
    assert status == 503
    assert '"database": "error"' in body
