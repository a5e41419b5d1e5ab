"""Production settings are checked in a fresh interpreter: settings are read once per process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "x" * 60 + "-production-like-secret-for-a-check",
    "ALLOWED_HOSTS": "hamandishi.example.ir",
    "IP_HASH_SALT": "a-separate-salt-for-address-hashes",
}


def run_django(args: list[str], **overrides) -> subprocess.CompletedProcess:
    # Only what production would set: the test process has read .env into its own environment.
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    env.update({key: value for key, value in overrides.items() if value is not None})
    env["DJANGO_READ_DOT_ENV"] = "false"
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run_django(["check"], **{**PRODUCTION, "DJANGO_SECRET_KEY": None})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = run_django(["check"], **{**PRODUCTION, "ALLOWED_HOSTS": None})
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_production_settings_pass_the_deployment_check():
    result = run_django(["check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_seed_demo_is_refused_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="development only"):
        call_command("seed_demo")
