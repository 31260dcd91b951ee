"""Records that are written once and never changed: the audit trail (an order's events,
the stock ledger).

A model takes `AppendOnlyModel` before `models.Model` and `objects =
AppendOnlyQuerySet.as_manager()`: creating rows works as always; saving a row again,
deleting it, and the queryset's `update()`, `bulk_update()` and `delete()` raise
`AppendOnlyError`. What this cannot stop: raw SQL, and the cascade when the row a record
belongs to is deleted (Django deletes those without the queryset); no service deletes
orders, and the admin may not."""

from __future__ import annotations

from typing import Any

from django.db import models


class AppendOnlyError(RuntimeError):
    """Code tried to change or remove a record of the audit trail."""


def _refuse(model: type[models.Model], what: str) -> AppendOnlyError:
    return AppendOnlyError(f"{model._meta.label} is append-only: its rows are never {what}.")


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise _refuse(self.model, "updated")

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        raise _refuse(self.model, "updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise _refuse(self.model, "deleted")

    delete.queryset_only = True  # as QuerySet.delete: not on the manager


class AppendOnlyModel:
    """Mixin for a model whose rows are only ever inserted."""

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise _refuse(type(self), "changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise _refuse(type(self), "deleted")
