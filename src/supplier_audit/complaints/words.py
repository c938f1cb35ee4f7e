"""Every word the complaint desk writes (open_complaints.csv, the evidence index), zh and en.

The workbook's headers and sheet names are in :mod:`supplier_audit.reporting.labels`; these
are the words inside the cells.
"""

from __future__ import annotations

from typing import Final

WORDS: Final[dict[str, dict[str, str]]] = {
    # what a pack needs
    "requirement.brand_authorization": {"zh": "品牌授权书", "en": "brand authorization"},
    "requirement.purchase_proof": {"zh": "进货凭证", "en": "purchase proof"},
    "requirement.customs_declaration": {"zh": "进口报关单", "en": "customs declaration"},
    "requirement.test_report": {"zh": "检测报告", "en": "test report"},
    # how a need stands
    "status.on_file": {"zh": "已备", "en": "on file"},
    "status.missing": {"zh": "缺失", "en": "missing"},
    "status.expired": {"zh": "已过期", "en": "expired"},
    "status.short": {"zh": "数量不足", "en": "too few units"},
    "status.not_required": {"zh": "可选", "en": "optional"},
    # document types
    "doc.brand_authorization": {"zh": "品牌授权书", "en": "brand authorization"},
    "doc.purchase_invoice": {"zh": "进货发票", "en": "purchase invoice"},
    "doc.purchase_contract": {"zh": "采购合同", "en": "purchase contract"},
    "doc.delivery_note": {"zh": "送货单", "en": "delivery note"},
    "doc.customs_declaration": {"zh": "报关单", "en": "customs declaration"},
    "doc.test_report": {"zh": "检测报告", "en": "test report"},
    "doc.retail_receipt": {"zh": "购物小票", "en": "retail receipt"},
    "doc.platform_order_record": {"zh": "平台订单记录", "en": "platform order record"},
    # phrases
    "missing_item": {
        "zh": "{requirement}{status}（{lot}）",
        "en": "{requirement} {status} ({lot})",
    },
    "short_item": {
        "zh": "{requirement}只覆盖{covered}件，该批次已售{needed}件（{lot}）",
        "en": "{requirement} covers {covered} units, {needed} sold from the lot ({lot})",
    },
    "short_item_received": {
        "zh": "{requirement}只覆盖{covered}件，该批次入库{needed}件（{lot}）",
        "en": "{requirement} covers {covered} units of the {needed} received in the lot ({lot})",
    },
    "no_lot": {
        "zh": "无法确定批次：该商品在窗口期内无入库记录",
        "en": "lot unknown: no lot of this SKU was received in the window",
    },
    "inferred": {"zh": "推测", "en": "inferred"},
    "earlier_complaints": {
        "zh": "该买家此前投诉{n}次，其中{rejected}次被驳回或撤销",
        "en": "{n} earlier complaints by this buyer, {rejected} rejected or withdrawn",
    },
    "repeat_orders": {
        "zh": "该买家下单同一商品{n}次",
        "en": "this buyer ordered this SKU {n} times",
    },
    "burst": {
        "zh": "{days}天内该商品有{n}起假货投诉",
        "en": "{n} counterfeit complaints on this SKU within {days} days",
    },
    "chase": {"zh": "向{supplier}索取", "en": "ask {supplier}"},
    "upload": {"zh": "上传", "en": "upload"},
    "separator": {"zh": "；", "en": "; "},
    "lot_separator": {"zh": "、", "en": ", "},
    "yes": {"zh": "是", "en": "yes"},
    "no": {"zh": "否", "en": "no"},
}


def word(key: str, language: str) -> str:
    """The desk's word for ``key`` in ``language`` (English when the language is unknown)."""
    entry = WORDS[key]
    return entry.get(language, entry["en"])
