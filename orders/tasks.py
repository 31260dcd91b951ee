"""Celery tasks: thin, idempotent, each calls one service."""

import datetime

from celery import shared_task
from django.db import OperationalError

from . import services


@shared_task(bind=True, acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True,
             retry_backoff_max=300, max_retries=8)
def order_checks_run(self, order_id: int) -> str:
    """Credit and stock checks of a submitted order (safe to run twice)."""
    return services.order_run_checks(order_id=order_id)


@shared_task(acks_late=True)
def order_checks_sweep() -> int:
    """Re-enqueue checks that never ran (e.g. the broker was down at submit time)."""
    ids = services.orders_awaiting_checks(older_than=datetime.timedelta(minutes=2))
    for order_id in ids:
        order_checks_run.delay(order_id)
    return len(ids)


@shared_task(bind=True, acks_late=True, autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600,
             max_retries=10)
def quotation_email(self, quotation_id: int, attachment_id: int) -> bool:
    """E-mail a sent quotation's PDF to the customer (once, however often it runs)."""
    from . import notifications

    return notifications.quotation_email(quotation_id, attachment_id)


@shared_task(acks_late=True)
def quotations_expiry_sweep() -> dict[str, int]:
    """Daily: expire quotations past their validity date, remind owners of those about to expire."""
    return {"expired": services.quotations_expire(), "reminded": services.quotations_remind_expiring()}


@shared_task(bind=True, acks_late=True, autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600,
             max_retries=10)
def order_confirmation_email(self, order_id: int) -> bool:
    """E-mail the customer's contact the confirmation of an approved order (once)."""
    from . import notifications

    return notifications.order_confirmation(order_id)


@shared_task(acks_late=True)
def verbal_orders_reminders() -> dict[str, int]:
    """Remind the order desk of written confirmations of verbal orders due and overdue."""
    return services.verbal_orders_remind()


@shared_task(acks_late=True)
def orders_priority_refresh() -> int:
    """Every 6 hours: refresh the due-date part of open orders' priority scores."""
    return services.orders_priority_refresh()


@shared_task(bind=True, acks_late=True, autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600,
             max_retries=10)
def promise_dates_changed_email(self, order_id: int, reason: str) -> bool:
    """Tell an order's owner that its promise dates moved, and why."""
    from . import notifications

    return notifications.promise_dates_changed(order_id, reason)
