"""Products: created and changed by managers and integrations."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from oms.services import require_perm, save_validated

from ..models import Product


def product_create(*, by: Any, **fields: Any) -> Product:
    require_perm(by, "inventory.add_product", _("You are not allowed to create products."))
    with transaction.atomic(durable=True):
        return save_validated(Product(), **fields)


def product_update(*, product: Product, by: Any, **fields: Any) -> Product:
    require_perm(by, "inventory.change_product", _("You are not allowed to change products."))
    with transaction.atomic(durable=True):
        return save_validated(product, **fields)
