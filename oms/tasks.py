from celery import shared_task

from .health import record_worker_heartbeat


@shared_task(acks_late=True)
def heartbeat() -> str:
    """Beat sends this every 30 s; the health page shows when a worker last ran one."""
    return record_worker_heartbeat()
