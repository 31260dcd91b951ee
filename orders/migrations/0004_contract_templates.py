"""The standard contract templates, in English and Simplified Chinese, and the default
quotation policy. Both can be changed in the admin afterwards."""

from django.db import migrations

CLAUSES = {
    "en": ("Standard sales contract", [
        ("goods", "Goods, quantities and prices",
         "The Seller sells and {{customer}} (the Buyer) buys the goods listed in the schedule of this "
         "contract, as quoted in {{quotation}}, for a total of {{currency}} {{total}}."),
        ("delivery", "Delivery",
         "The Seller delivers the goods to the Buyer's delivery address by {{delivery_date}} "
         "({{lead_time_days}} days' lead time). Partial deliveries are allowed unless agreed otherwise."),
        ("payment", "Payment",
         "The Buyer pays the contract price on the terms: {{payment_terms}}. Late payments bear interest "
         "at the statutory rate."),
        ("warranty", "Quality and warranty",
         "The goods conform to the agreed specification. Warranty: {{warranty_terms}}"),
        ("liability", "Liability",
         "Neither party is liable for indirect or consequential loss. The Seller's total liability under "
         "this contract is limited to the contract price."),
        ("disputes", "Dispute resolution",
         "This contract is governed by the laws of the People's Republic of China. Disputes that cannot be "
         "settled by negotiation are submitted to the Shanghai International Arbitration Centre."),
    ]),
    "zh-hans": ("标准销售合同", [
        ("goods", "货物、数量及价格",
         "卖方向买方（{{customer}}）出售本合同附表所列货物，依据报价单 {{quotation}}，合同总价为 "
         "{{currency}} {{total}}。"),
        ("delivery", "交货",
         "卖方应于 {{delivery_date}} 前将货物交付至买方指定的收货地址（交货期 {{lead_time_days}} 天）。"
         "除另有约定外，允许分批交货。"),
        ("payment", "付款",
         "买方按以下付款条件支付合同价款：{{payment_terms}}。逾期付款按法定利率计收利息。"),
        ("warranty", "质量及质保",
         "货物应符合双方约定的规格。质保条款：{{warranty_terms}}"),
        ("liability", "责任",
         "任何一方均不对间接损失或后果性损失承担责任。卖方在本合同项下的全部责任以合同总价为限。"),
        ("disputes", "争议解决",
         "本合同适用中华人民共和国法律。协商不成的争议，提交上海国际仲裁中心仲裁。"),
    ]),
}


def create_templates(apps, schema_editor):
    ContractTemplate = apps.get_model("orders", "ContractTemplate")
    ContractTemplateClause = apps.get_model("orders", "ContractTemplateClause")
    QuotationPolicy = apps.get_model("orders", "QuotationPolicy")
    QuotationPolicy.objects.get_or_create(pk=1)
    for language, (name, clauses) in CLAUSES.items():
        if ContractTemplate.objects.filter(language=language, is_default=True).exists():
            continue
        template = ContractTemplate.objects.create(name=name, language=language, is_default=True)
        ContractTemplateClause.objects.bulk_create([
            ContractTemplateClause(template=template, position=index + 1, key=key, title=title, body=body)
            for index, (key, title, body) in enumerate(clauses)
        ])


class Migration(migrations.Migration):
    dependencies = [("orders", "0003_preorder")]

    operations = [migrations.RunPython(create_templates, migrations.RunPython.noop)]
