from celery import shared_task

from . import idempotency
from .health import record_worker_heartbeat


@shared_task(acks_late=True)
def heartbeat() -> str:
    """Beat sends this every 30 s; the health page shows when a worker last ran one."""
    return record_worker_heartbeat()


@shared_task(acks_late=True)
def idempotency_keys_purge() -> int:
    """Beat sends this every hour: Idempotency-Keys older than 24 hours are forgotten."""
    return idempotency.idempotency_keys_purge()


@shared_task(acks_late=True)
def webhooks_dispatch(subscription_id: int) -> int:
    """Deliver a webhook subscription's due events in order (safe to run twice: a lease
    lets one run at a time deliver a subscription)."""
    from . import webhooks

    return webhooks.webhooks_dispatch(subscription_id)


@shared_task(acks_late=True)
def webhooks_dispatch_due() -> int:
    """Beat sends this every 30 s: dispatch every subscription whose next delivery is due
    (retries after backoff, and events whose enqueueing was lost)."""
    from . import webhooks

    ids = webhooks.subscriptions_due()
    for subscription_id in ids:
        webhooks_dispatch.delay(subscription_id)
    return len(ids)
