"""Products: created and changed by managers and integrations."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from oms.services import require_perm, save_validated, service_transaction

from ..models import Product


def product_create(*, by: Any, **fields: Any) -> Product:
    require_perm(by, "inventory.add_product", _("You are not allowed to create products."))
    with service_transaction():
        return save_validated(Product(), **fields)


def product_update(*, product: Product, by: Any, **fields: Any) -> Product:
    require_perm(by, "inventory.change_product", _("You are not allowed to change products."))
    with service_transaction():
        return save_validated(product, **fields)
