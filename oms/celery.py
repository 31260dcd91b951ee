"""The Celery application. Configuration comes from Django settings (CELERY_*)."""

import gc
import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")

app = Celery("oms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _ensure_filesystem_broker_folders() -> None:
    """kombu's filesystem transport expects its folders to exist."""
    options = app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder"):
        if options.get(key):
            os.makedirs(options[key], exist_ok=True)
    backend = str(app.conf.result_backend or "")
    if backend.startswith("file://"):
        os.makedirs(backend.removeprefix("file://"), exist_ok=True)


@app.on_after_configure.connect
def _prepare(sender: Celery, **kwargs: object) -> None:
    _ensure_filesystem_broker_folders()


@worker_process_init.connect
def _freeze_what_the_process_starts_with(**kwargs: object) -> None:
    """A worker's pool process keeps the objects it starts with (Django, the task modules)
    for life: frozen, the garbage collector's full collections no longer walk them, as in
    a web process (oms/warmup.py)."""
    gc.collect()
    gc.freeze()
