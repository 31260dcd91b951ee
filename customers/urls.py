from django.urls import path

from orders.views_preorder import inquiries

from . import views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list_page, name="list"),
    path("<int:pk>/", views.customer_detail_page, name="detail"),
    path("<int:pk>/inquiry/", inquiries.inquiry_create_page, name="inquiry"),
]
