from django.apps import AppConfig


class CatalogConfig(AppConfig):
    """The product catalogue and price lists (产品与价格) that quotes take their prices from."""

    name = "salesflow.catalog"
    label = "catalog"
    verbose_name = "Catalog"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from salesflow.catalog import selectors
        from salesflow.catalog.models import PriceList, Product
        from salesflow.catalog.permissions import can_read_catalog, hidden_product_fields
        from salesflow.core import records
        from salesflow.core.context_processors import SettingsTab, register_settings_tab
        from salesflow.core.labels import register_event_labels, register_key_labels

        records.register(
            "product",
            Product,
            visible_to=selectors.products_visible_to,
            label="产品",
            detail_url_name="product-detail",
            owner_of=lambda record: None,
            hidden_fields_for=hidden_product_fields,
        )
        records.register(
            "price_list",
            PriceList,
            visible_to=selectors.price_lists_visible_to,
            label="价格表",
            detail_url_name="price-list-detail",
            owner_of=lambda record: None,
        )
        register_settings_tab(
            SettingsTab(
                key="catalog",
                label=_("产品与价格"),
                url_name="product-list",
                order=30,
                purpose=_("产品目录、目录价与按大区或客户等级的价格表；报价按此取价。"),
                icon="ti-package",
                allowed=can_read_catalog,
            )
        )
        register_event_labels(
            {
                "product.created": "新建产品",
                "product.updated": "修改产品",
                "price_list.created": "新建价格表",
                "price_list.updated": "修改价格表",
                "price_list.price_set": "设置价格",
                "price_list.price_removed": "移除价格",
            }
        )
        register_key_labels({"sku": _("型号"), "price": _("价格"), "old": _("原价格")})
