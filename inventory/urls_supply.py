"""The planners' pages (inventory/views_supply/), under /inventory/."""

from django.urls import path

from . import views_supply as views

urlpatterns = [
    path("exceptions/", views.exceptions_board_page, name="exceptions_board"),
    path("exceptions/<int:pk>/resolve/", views.exception_resolve_page, name="exception_resolve"),
    path("exceptions/lines/<int:line_id>/raise-supply/", views.waiting_line_raise_supply_page,
         name="waiting_line_raise_supply"),
    path("work-orders/", views.work_order_list_page, name="work_order_list"),
    path("work-orders/new/", views.work_order_new_page, name="work_order_new"),
    path("work-orders/<int:pk>/", views.work_order_detail_page, name="work_order_detail"),
    path("work-orders/<int:pk>/block/", views.work_order_block_page, name="work_order_block"),
    path("work-orders/<int:pk>/complete/", views.work_order_complete_page, name="work_order_complete"),
    path("work-orders/<int:pk>/<slug:name>/", views.work_order_step_page, name="work_order_step"),
    path("purchase-orders/", views.purchase_order_list_page, name="purchase_order_list"),
    path("purchase-orders/new/", views.purchase_order_new_page, name="purchase_order_new"),
    path("purchase-orders/<int:pk>/", views.purchase_order_detail_page, name="purchase_order_detail"),
    path("purchase-orders/<int:pk>/delay/", views.purchase_order_delay_page, name="purchase_order_delay"),
    path("purchase-orders/<int:pk>/receive/", views.purchase_order_receive_page, name="purchase_order_receive"),
    path("purchase-orders/<int:pk>/<slug:name>/", views.purchase_order_step_page, name="purchase_order_step"),
    path("requisitions/", views.requisition_list_page, name="requisition_list"),
    path("requisitions/new/", views.requisition_new_page, name="requisition_new"),
    path("requisitions/<int:pk>/cancel/", views.requisition_cancel_page, name="requisition_cancel"),
]
