"""Shared bits for services."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from .errors import PermissionDenied, ValidationFailed

#: True while an outer transaction that a service may join is open (an idempotent API
#: request claims its key in the same transaction as the work: oms/idempotency.py).
_joinable = ContextVar("oms_joinable_transaction", default=False)


def service_transaction() -> transaction.Atomic:
    """The transaction of a top-level service: durable, so nesting one in another by
    mistake fails loudly; inside `joinable_transaction()` it joins the outer one."""
    return transaction.atomic(durable=not _joinable.get())


@contextmanager
def joinable_transaction() -> Iterator[None]:
    """One transaction that the services run inside join (as savepoints): what they do
    commits or rolls back with whatever the caller writes in it."""
    token = _joinable.set(True)
    try:
        with transaction.atomic():
            yield
    finally:
        _joinable.reset(token)


def require_perm(user: Any, perm: str, message: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied(message)


def save_validated(instance: models.Model, **fields: Any) -> models.Model:
    """Assign `fields`, run the model's validation (field rules, constraints, uniqueness)
    and save; a validation failure becomes `ValidationFailed` with field errors."""
    for name, value in fields.items():
        setattr(instance, name, value)
    try:
        instance.full_clean()
    except DjangoValidationError as exc:
        raise ValidationFailed(errors={k: [str(m) for m in v] for k, v in exc.message_dict.items()}) from None
    try:
        instance.save()
    except IntegrityError:  # lost a race against a concurrent write of the same key
        raise ValidationFailed(_("This conflicts with a record saved at the same time; please retry.")) from None
    return instance
