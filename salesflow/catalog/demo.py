"""The demo company's catalogue: orthopaedic implants and instruments across the pack's product
lines, and a few price lists (tier, region, both), written through the catalogue services."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from salesflow.catalog import services
from salesflow.core import clock
from salesflow.core.demo import COUNT_LABELS, DemoContext, demo_part
from salesflow.org.choices import Role, TeamKind
from salesflow.org.models import Team, User

COUNT_LABELS.setdefault("products", "产品")
COUNT_LABELS.setdefault("price_lists", "价格表")

# (SKU, name, product line, unit, list price ¥, cost as a share of the list price)
CATALOGUE: list[tuple[str, str, str, str, int, str]] = [
    ("JT-HIP-TI52", "全髋关节假体 钛合金髋臼杯 52mm", "joint", "套", 36800, "0.46"),
    ("JT-HIP-TI56", "全髋关节假体 钛合金髋臼杯 56mm", "joint", "套", 37800, "0.46"),
    ("JT-HIP-CER", "陶瓷对陶瓷股骨头 36mm", "joint", "个", 15800, "0.52"),
    ("JT-HIP-STEM", "生物型股骨柄 锥形", "joint", "个", 12600, "0.44"),
    ("JT-KNEE-PS3", "后稳定型膝关节假体 3 号", "joint", "套", 42800, "0.48"),
    ("JT-KNEE-CR4", "十字韧带保留型膝关节假体 4 号", "joint", "套", 39800, "0.48"),
    ("JT-KNEE-UNI", "单髁膝关节假体", "joint", "套", 28600, "0.50"),
    ("JT-SHLD-REV", "反肩关节置换系统", "joint", "套", 58800, "0.45"),
    ("SP-PED-6.5", "椎弓根螺钉 6.5×45mm", "spine", "枚", 1680, "0.35"),
    ("SP-PED-5.5", "椎弓根螺钉 5.5×40mm", "spine", "枚", 1580, "0.35"),
    ("SP-ROD-TI", "钛合金连接棒 500mm", "spine", "根", 1280, "0.30"),
    ("SP-CAGE-PEEK", "PEEK 椎间融合器 腰椎", "spine", "个", 8800, "0.40"),
    ("SP-CAGE-CERV", "颈椎融合器 零切迹", "spine", "个", 9600, "0.42"),
    ("SP-PLATE-ACP", "颈前路钛板 2 节段", "spine", "块", 7800, "0.38"),
    ("SP-KYPHO", "椎体后凸成形球囊系统", "spine", "套", 16800, "0.47"),
    ("SP-VERT-CEM", "骨水泥 40g（椎体成形用）", "spine", "盒", 2600, "0.33"),
    ("TR-LCP-8", "锁定加压钢板 8 孔", "trauma", "块", 3680, "0.36"),
    ("TR-LCP-12", "锁定加压钢板 12 孔", "trauma", "块", 4980, "0.36"),
    ("TR-NAIL-FEM", "股骨髓内钉 PFNA", "trauma", "套", 12800, "0.41"),
    ("TR-NAIL-TIB", "胫骨髓内钉 交锁", "trauma", "套", 9800, "0.41"),
    ("TR-SCREW-CAN", "空心加压螺钉 6.5mm", "trauma", "枚", 980, "0.30"),
    ("TR-EXFIX", "外固定支架 单边", "trauma", "套", 6800, "0.44"),
    ("TR-RADIUS", "桡骨远端掌侧锁定板", "trauma", "块", 5600, "0.37"),
    ("SM-ANCHOR-5", "带线锚钉 5.0mm", "sports", "枚", 4800, "0.40"),
    ("SM-ANCHOR-KN", "全缝线锚钉 无结", "sports", "枚", 5600, "0.42"),
    ("SM-ACL-BTN", "前交叉韧带重建 悬吊钢板", "sports", "套", 7600, "0.43"),
    ("SM-MENISCUS", "半月板缝合器 全内", "sports", "套", 6900, "0.45"),
    ("SM-SHAVER", "关节镜刨削刀头（一次性）", "sports", "个", 1200, "0.28"),
    ("SM-RF-WAND", "射频等离子刀头", "sports", "个", 3800, "0.35"),
    ("SM-INTERF", "可吸收挤压螺钉", "sports", "枚", 3200, "0.38"),
]


@demo_part(order=45, label="产品与价格")
def generate_catalogue(ctx: DemoContext) -> None:
    """About thirty products and three price lists, made by finance."""
    finance = User.objects.filter(role=Role.FINANCE, is_active=True).order_by("id").first()
    actor = finance or ctx.made.get("admin")
    now = ctx.now
    products = {}
    for index, (sku, name, line, unit, yuan, cost_share) in enumerate(CATALOGUE):
        list_price = Decimal(yuan)
        products[sku] = services.product_create(
            sku=sku,
            name=name,
            product_line=line,
            unit=unit,
            list_price=list_price,
            standard_cost=(list_price * Decimal(cost_share)).quantize(Decimal("1")),
            # One discontinued model, so the list's 停售 filter shows something.
            active=index != 6,
            actor=actor,
            now=now,
        )
    ctx.count("products", len(products))
    year_start = date(clock.to_local(now).year, 1, 1)
    region = Team.objects.filter(kind=TeamKind.REGION).order_by("id").first()
    lists: list[tuple[str, dict[str, Any], Decimal, list[str]]] = [
        ("三甲医院协议价", {"customer_tier": "tier3a"}, Decimal("0.92"), ["JT-", "SP-"]),
        ("民营医院价", {"customer_tier": "private"}, Decimal("1.03"), ["JT-", "TR-", "SM-"]),
    ]
    if region is not None:
        lists += [
            (f"{region.name}促销价", {"region": region}, Decimal("0.95"), ["TR-", "SM-"]),
            (
                f"{region.name}三甲集采价",
                {"region": region, "customer_tier": "tier3a"},
                Decimal("0.85"),
                ["JT-KNEE"],
            ),
        ]
    for name, scope, factor, prefixes in lists:
        price_list = services.price_list_create(
            name=name, valid_from=year_start, actor=actor, now=now, note="演示数据", **scope
        )
        for sku, product in products.items():
            if any(sku.startswith(p) for p in prefixes):
                price = (product.list_price * factor).quantize(Decimal("1"))
                services.price_set(price_list=price_list, product=product, price=price, actor=actor, now=now)
    ctx.count("price_lists", len(lists))
    ctx.made["products"] = list(products.values())
