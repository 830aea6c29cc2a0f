from django.urls import path

from salesflow.catalog import views

urlpatterns = [
    path("settings/products/", views.product_list, name="product-list"),
    path("settings/products/new/", views.product_create, name="product-create"),
    path("settings/products/<int:product_id>/", views.product_detail, name="product-detail"),
    path("settings/price-lists/", views.price_list_list, name="price-list-list"),
    path("settings/price-lists/<int:price_list_id>/", views.price_list_detail, name="price-list-detail"),
]
