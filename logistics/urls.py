"""Pages of the warehouse and logistics: shipments, pick lists, packing, tracking."""

from django.urls import path  # noqa: F401

app_name = "logistics"

urlpatterns: list = []
