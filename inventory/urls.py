from django.urls import include, path

app_name = "inventory"

urlpatterns = [
    # planners: work orders, purchase orders and requisitions, the exceptions board
    path("", include("inventory.urls_supply")),
    # stock by product / warehouse / batch with its ledger, transfers, cycle counts
    path("", include("inventory.urls_stock")),
]
