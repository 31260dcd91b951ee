"""Shared fixtures. Tests run on the engines in DATABASE_URL / REDIS_URL (PostgreSQL and
Redis under `make test`); in CI anything else is refused rather than silently replaced."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings

from oms.celery import app as celery_app

from .factories import make_user


def _engines() -> tuple[str, str]:
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    db = f"{engine} ({settings.DATABASES['default'].get('HOST') or settings.DATABASES['default']['NAME']})"
    broker = settings.CELERY_BROKER_URL.split("@")[-1]
    return db, broker


def pytest_report_header(config) -> list[str]:
    db, broker = _engines()
    return [f"OMS test engines: database={db}; broker/cache={broker}"]


def pytest_configure(config) -> None:
    # Hashing passwords properly costs ~0.25 s a user; tests create hundreds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Pages render without `collectstatic` having run (the manifest is a deployment step).
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    Path(settings.STATIC_ROOT).mkdir(exist_ok=True)  # whitenoise warns when it is missing
    if os.environ.get("CI", "").lower() == "true":
        engine = settings.DATABASES["default"]["ENGINE"]
        if engine != "django.db.backends.postgresql":
            raise pytest.UsageError(f"CI must run on PostgreSQL, but DATABASE_URL gives {engine}.")
        if not settings.REDIS_URL:
            raise pytest.UsageError("CI must run with Redis, but REDIS_URL is not set.")


def pytest_terminal_summary(terminalreporter) -> None:
    db, broker = _engines()
    terminalreporter.write_line(f"Ran on: database={db}; broker/cache={broker}")


@pytest.fixture(autouse=True)
def _eager_celery():
    """Unit tests run tasks in-process; the worker test starts a real worker instead."""
    from celery.result import _set_task_join_will_block

    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous
    # Eager tasks run from several threads at once (the threaded tests) can leave Celery's
    # process-wide "inside a task" flag set: its save-and-restore is not thread-safe.
    _set_task_join_will_block(False)


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path_factory):
    """Uploaded and generated files go to a temporary folder, never into the checkout."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture
def users(db):
    """One user per role, keyed by role name."""
    from oms.roles import ROLE_PERMISSIONS

    return {role: make_user(role) for role in ROLE_PERMISSIONS}


@pytest.fixture(scope="session", autouse=True)
def _compiled_translations():
    """Pages are tested in both languages, so the catalogues must be compiled."""
    from django.core.management import call_command

    call_command("compiletranslations", verbosity=0)
