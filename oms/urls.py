import os

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import APIRootView, DefaultRouter

from customers.api import CustomerViewSet
from inventory.api import ProductViewSet, StockLevelViewSet, WarehouseViewSet
from inventory.api_stock import (
    CycleCountViewSet,
    StockAdjustmentViewSet,
    StockMoveViewSet,
    StockQuantViewSet,
    StockReceiptViewSet,
    TransferViewSet,
)
from inventory.api_supply import (
    PurchaseOrderViewSet,
    PurchaseRequisitionViewSet,
    SupplierViewSet,
    SupplyExceptionViewSet,
    WorkOrderViewSet,
)
from logistics.api import register_routes as register_shipping_routes
from orders.api import OrderViewSet
from orders.api_intake import OrderIntakeViewSet, OrderReviewViewSet
from orders.api_preorder import (
    AttachmentViewSet,
    ContractViewSet,
    InquiryViewSet,
    OrderPreorderViewSet,
    QuotationViewSet,
)

from . import login, views
from .api_events import EventFeedViewSet
from .api_webhooks import WebhookViewSet


class ApiRootView(APIRootView):
    """The list of resources: open to every valid token, whatever its scopes."""

    api_scope = None


admin.site.login_form = login.ThrottledAdminAuthenticationForm

router = DefaultRouter()
router.APIRootView = ApiRootView
router.register("customers", CustomerViewSet, basename="customer")
router.register("products", ProductViewSet, basename="product")
router.register("warehouses", WarehouseViewSet, basename="warehouse")
router.register("stock", StockLevelViewSet, basename="stock")
router.register("stock-moves", StockMoveViewSet, basename="stock-move")
router.register("stock-quants", StockQuantViewSet, basename="stock-quant")
router.register("stock-receipts", StockReceiptViewSet, basename="stock-receipt")
router.register("stock-adjustments", StockAdjustmentViewSet, basename="stock-adjustment")
router.register("transfers", TransferViewSet, basename="transfer")
router.register("cycle-counts", CycleCountViewSet, basename="cycle-count")
router.register("suppliers", SupplierViewSet, basename="supplier")
router.register("purchase-requisitions", PurchaseRequisitionViewSet, basename="purchase-requisition")
router.register("purchase-orders", PurchaseOrderViewSet, basename="purchase-order")
router.register("work-orders", WorkOrderViewSet, basename="work-order")
router.register("supply-exceptions", SupplyExceptionViewSet, basename="supply-exception")
# only /orders/{id}/notes/ and /needs/; registered first so the API root keeps linking the orders list
router.register("orders", OrderPreorderViewSet, basename="order-preorder")
# /orders/import/, /orders/review-queue/ and /orders/{id}/confirmation/, /checks/…: before the
# order detail route, which would otherwise take `import` and `review-queue` for an id
router.register("orders", OrderIntakeViewSet, basename="order-intake")
router.register("orders", OrderReviewViewSet, basename="order-review")
router.register("orders", OrderViewSet, basename="order")
router.register("inquiries", InquiryViewSet, basename="inquiry")
router.register("quotations", QuotationViewSet, basename="quotation")
router.register("contracts", ContractViewSet, basename="contract")
router.register("attachments", AttachmentViewSet, basename="attachment")
register_shipping_routes(router)
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register("events", EventFeedViewSet, basename="event")

api_patterns = [
    path("", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("accounts/login/", login.LoginView.as_view(), name="login"),  # throttled after repeated failures
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("orders/", include("orders.urls")),
    path("customers/", include("customers.urls")),
    path("inventory/", include("inventory.urls")),
    path("shipping/", include("logistics.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_patterns)),
]

if os.environ.get("OMS_BENCH") == "1":  # bench/run.py only: the bare-SQL baseline of the intake benchmark
    from bench.bare_view import urlpatterns as bench_patterns

    urlpatterns += bench_patterns

handler404 = "oms.errors.api_aware_404"
handler500 = "oms.errors.api_aware_500"
