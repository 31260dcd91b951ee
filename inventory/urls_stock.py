"""Stock pages: stock by product and warehouse with the ledger, receiving and adjusting,
transfers between warehouses, cycle counts. Included by inventory/urls.py (namespace
"inventory")."""

from django.urls import path

from . import views_stock as views

urlpatterns = [
    path("stock/", views.stock_list_page, name="stock_list"),
    path("stock/<int:product_id>/", views.stock_product_page, name="stock_product"),
    path("stock/<int:product_id>/receive/", views.stock_receive_page, name="stock_receive"),
    path("stock/<int:product_id>/adjust/", views.stock_adjust_page, name="stock_adjust"),
    path("transfers/", views.transfer_list_page, name="transfer_list"),
    path("transfers/new/", views.transfer_new_page, name="transfer_new"),
    path("transfers/<int:pk>/receive/", views.transfer_receive_page, name="transfer_receive"),
    path("counts/", views.count_list_page, name="count_list"),
    path("counts/new/", views.count_create_page, name="count_create"),
    path("counts/<int:pk>/", views.count_detail_page, name="count_detail"),
    path("counts/<int:pk>/enter/", views.count_enter_page, name="count_enter"),
    path("counts/<int:pk>/confirm/", views.count_confirm_page, name="count_confirm"),
    path("counts/<int:pk>/cancel/", views.count_cancel_page, name="count_cancel"),
]
