"""The OMS Celery app for a test worker that must find messages a killed worker held
(tests/processes.py `start_worker(visibility_timeout=…)`): the broker transport options
come from OMS_TEST_BROKER_TRANSPORT_OPTIONS (JSON). Start it with `celery -A tests.celery_app`."""

import json
import os

from oms.celery import app

_options = os.environ.get("OMS_TEST_BROKER_TRANSPORT_OPTIONS")
if _options:
    app.conf.broker_transport_options = json.loads(_options)

__all__ = ["app"]
