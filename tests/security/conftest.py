"""The security tests share one data set (world.py), built once for the package inside a
transaction that is rolled back after its last test; each test runs in a savepoint inside
it, as pytest-django's `db` does, so what a test changes is undone before the next.

Every test module here is marked `django_db`: pytest-django sets up the test database only
for a session with such tests."""

from __future__ import annotations

from collections.abc import Iterator
from unittest import mock

import pytest
from django.db import transaction
from django.test.utils import override_settings
from django.utils import translation

from oms.celery import app as celery_app

from .world import PDF, World, build_world


def fake_pdf(html: str) -> bytes:
    """Laying out a PDF takes about a second; these tests check who gets a document, so the
    "PDF" is the HTML it would show (which the leak checks read)."""
    return PDF + html.encode()


@pytest.fixture(scope="package")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    media = tmp_path_factory.mktemp("security-media")
    eager = celery_app.conf.task_always_eager
    with (django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media)), translation.override("en"),
          mock.patch("orders.documents.html_to_pdf", fake_pdf)):
        outer = transaction.atomic()
        # as Django's TestCase marks its own: the services' durable transactions run inside
        outer._from_testcase = True
        outer.__enter__()
        celery_app.conf.task_always_eager = True
        try:
            built = build_world()
            built.media_root = media
            yield built
        finally:
            celery_app.conf.task_always_eager = eager
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _media_root(request, settings, tmp_path_factory) -> None:
    """Replaces tests/conftest.py's: with the package's data set, its files stay readable."""
    if "world" in request.fixturenames:
        settings.MEDIA_ROOT = str(request.getfixturevalue("world").media_root)
    else:
        settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture(autouse=True)
def _fast_pdf(monkeypatch) -> None:
    monkeypatch.setattr("orders.documents.html_to_pdf", fake_pdf)
