from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("", views.order_list_page, name="list"),
    path("<int:pk>/", views.order_detail_page, name="detail"),
    path("<int:pk>/transitions/<slug:name>/", views.order_transition_page, name="transition"),
    path("<int:pk>/payments/", views.order_payment_page, name="payment"),
]
