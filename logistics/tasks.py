"""Celery tasks: thin, idempotent, each calls one service."""

from celery import shared_task
from django.db import OperationalError

from . import services


@shared_task(acks_late=True)
def shipments_track() -> dict[str, int]:
    """Every 5 minutes: poll the carriers of under-way shipments whose next poll is due."""
    return services.tracking_poll_due()


@shared_task(bind=True, acks_late=True, autoretry_for=(OperationalError, OSError), retry_backoff=True,
             retry_backoff_max=300, max_retries=8)
def shipment_documents_render(self, shipment_id: int) -> int:
    """Render and attach a packed or shipped shipment's documents (replacing older ones)."""
    return len(services.shipment_documents_render(shipment_id=shipment_id))


@shared_task(bind=True, acks_late=True, autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600,
             max_retries=10)
def shipment_tracking_email(self, shipment_id: int) -> bool:
    """E-mail the customer the carrier and tracking number of a shipped shipment (once)."""
    from . import notifications

    return notifications.tracking_email(shipment_id)


@shared_task(bind=True, acks_late=True, autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600,
             max_retries=10)
def shipment_exception_email(self, shipment_id: int) -> bool:
    """Tell the order's owner about a delivery exception."""
    from . import notifications

    return notifications.exception_email(shipment_id)
