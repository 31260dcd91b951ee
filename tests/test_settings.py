"""Settings come from the environment: embedded defaults with nothing set, PostgreSQL and
Redis when told, and a clean `check --deploy` with production values."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'engine': settings.DATABASES['default']['ENGINE'], "
    "'broker': settings.CELERY_BROKER_URL, 'cache': settings.CACHES['default']['BACKEND'], "
    "'debug': settings.DEBUG, 'secure_cookies': settings.SESSION_COOKIE_SECURE}))"
)


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "CI"}}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env={**base, "DJANGO_SETTINGS_MODULE": "oms.settings",
                                                                  **env}, capture_output=True, text=True, timeout=120)


def _settings(env: dict[str, str]) -> dict:
    result = _run(env, "-c", PROBE)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_embedded_defaults_with_nothing_set(tmp_path):
    found = _settings({"OMS_VAR_DIR": str(tmp_path)})
    assert found["engine"] == "django.db.backends.sqlite3"
    assert found["broker"] == "filesystem://"
    assert found["cache"].endswith("FileBasedCache")
    assert found["debug"] is False and found["secure_cookies"] is True


def test_postgres_and_redis_from_the_environment():
    found = _settings({"DATABASE_URL": "postgres://u:p@db.internal:5432/oms", "REDIS_URL": "redis://cache:6379/0"})
    assert found["engine"] == "django.db.backends.postgresql"
    assert found["broker"] == "redis://cache:6379/0"
    assert found["cache"].endswith("RedisCache")


def test_check_deploy_is_clean_with_production_settings():
    result = _run({
        "SECRET_KEY": secrets.token_urlsafe(50), "DEBUG": "0", "ALLOWED_HOSTS": "oms.example.com",
        "SECURE_HSTS_SECONDS": "31536000", "SECURE_SSL_REDIRECT": "1",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres", "REDIS_URL": "redis://127.0.0.1:6379/1",
    }, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
