import time
from decimal import Decimal

from orders import services
from orders.documents import render_contract_pdf, render_quotation_pdf

from ..factories import CustomerFactory, ProductFactory
from .test_documents import CHINESE_CUSTOMER, accept, make_quotation

NAMES_ZH = ["深沟球轴承 6204-2RS", "行星减速机 GB-100", "液压油 46号", "不锈钢法兰 DN50", "伺服电机 1.5kW",
            "同步带轮 HTD-5M", "直线导轨 HGR20 (1200 mm)", "联轴器 梅花形 D40", "气缸 SC63x100", "控制柜（定制）"]
NAMES_EN = ["Deep groove ball bearing 6204-2RS", "Planetary gearbox GB-100", "Hydraulic oil ISO VG 46",
            "Stainless flange DN50", "Servo motor 1.5 kW", "Timing pulley HTD-5M", "Linear guide HGR20 (1200 mm)",
            "Jaw coupling D40", "Pneumatic cylinder SC63x100", "Control cabinet (custom build)"]


def lines(names, prefix):
    units = ["pcs", "set", "l", "pcs", "set", "pcs", "m", "pcs", "pcs", "set"]
    return [(ProductFactory(sku=f"{prefix}-{i:03d}", name=n, unit=units[i]), Decimal([1250, 4, "37.5", 20, 6, 48, 12, 30, 16, 1][i]),
             Decimal(["18.60", "12800", "23.40", "145.00", "4380", "36.5", "612.00", "88.8", "265", "48600"][i]),
             Decimal([5, 0, "2.5", 0, 8, 0, 0, 10, 0, 3][i])) for i, n in enumerate(names)]


def test_scratch(users):
    zh = CustomerFactory(owner=users["sales"], name=CHINESE_CUSTOMER, language="zh-hans")
    en = CustomerFactory(owner=users["sales"], name="Harbour Automation Pte. Ltd.", language="en")
    qz = make_quotation(users, customer=zh, lines=lines(NAMES_ZH, "ZH"), lead_time_days=45,
                        warranty_terms="整机质保十二个月，易损件除外。", notes="价格含13%增值税及运费。\n交货地点：买方工厂。")
    qe = make_quotation(users, customer=en, lines=lines(NAMES_EN, "EN"), lead_time_days=30,
                        warranty_terms="12 months from delivery, wear parts excluded.", notes="Prices include VAT and freight.\nDelivery to the buyer's plant.")
    render_quotation_pdf(qz)
    for q, name in ((qz, "qzh"), (qe, "qen")):
        t = time.perf_counter(); pdf = render_quotation_pdf(q); dt = time.perf_counter() - t
        print(name, f"{dt:.2f}s", len(pdf))
        open(f"/tmp/{name}.pdf", "wb").write(pdf)
    for q, name in ((qz, "czh"), (qe, "cen")):
        q = accept(q, users)
        c = services.contract_create(quotation_id=q.pk, by=users["sales"])
        t = time.perf_counter(); pdf = render_contract_pdf(c); dt = time.perf_counter() - t
        print(name, f"{dt:.2f}s", len(pdf))
        open(f"/tmp/{name}.pdf", "wb").write(pdf)
