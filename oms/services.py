"""Shared bits for services."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models
from django.utils.translation import gettext as _

from .errors import PermissionDenied, ValidationFailed


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
