"""The words a purchaser reads: reasons behind each score, in Chinese and English."""

from __future__ import annotations

from typing import Final

LANGUAGES: Final = ("zh", "en")

# One template per score component; fields are filled from the supplier's components.
REASONS: Final[dict[str, dict[str, str]]] = {
    "counterfeit_reviews": {
        "en": "{k} of {n} reviews ({rate}) suspect counterfeit vs {base} across suppliers{sig}",
        "zh": "{n}评价中{k}（{rate}）疑似假货，全体供应商基准为{base}{sig}",
    },
    "counterfeit_complaints": {
        "en": "{upheld} upheld and {settled} settled counterfeit complaints, {paid} paid out",
        "zh": "假货投诉成立{upheld}、和解{settled}，已赔付{paid}",
    },
    "counterfeit_units": {
        "en": "QA confirmed {units} counterfeit units in {fake_lots} of {lots} inspected lots"
        "{suspected}",
        "zh": "质检在{lots}个已检批次中的{fake_lots}个批次确认{units}件假货{suspected}",
    },
    "counterfeit_units_suspected": {
        "en": "QA suspects {units} counterfeit units in {fake_lots} of {lots} inspected lots, "
        "awaiting authentication",
        "zh": "质检在{lots}个已检批次中的{fake_lots}个批次发现{units}件疑似假货，待鉴定",
    },
    "evidence_gaps": {
        "en": "{requirement} {status} for {brand} covering {units} units received "
        "(evidence readiness {readiness})",
        "zh": "{brand}的{requirement}{status}，涉及入库{units}件（举证材料完备率{readiness}）",
    },
    "price_anomaly": {
        "en": "branded goods bought {below} below what other suppliers charge for the same SKU",
        "zh": "品牌商品进价比同款其他供应商低{below}",
    },
    "sourcing": {
        "en": "channel {channel}{dropship}",
        "zh": "渠道：{channel}{dropship}",
    },
    "quality_reviews": {
        "en": "{k} of {n} reviews ({rate}) report quality problems vs {base} across suppliers{sig}",
        "zh": "{n}评价中{k}（{rate}）反映质量问题，全体供应商基准为{base}{sig}",
    },
    "quality_complaints": {
        "en": "{upheld} upheld and {settled} settled quality complaints{sig}",
        "zh": "质量投诉成立{upheld}、和解{settled}{sig}",
    },
    "defect_rate": {
        "en": "{k} critical/major defects in {n} sampled units ({rate}, 95 % CI {low}–{high}) "
        "vs {base}{sig}",
        "zh": "抽检{n}件中致命/严重缺陷{k}件（{rate}，95%置信区间{low}–{high}），基准{base}{sig}",
    },
    "critical_defects": {
        "en": "{k} critical (hazardous) defects in {n} sampled units ({rate}) vs {base}{sig}",
        "zh": "抽检{n}件中发现{k}个致命缺陷（{rate}），基准{base}{sig}",
    },
    "lots_rejected": {
        "en": "{rejected} of {lots} inspected lots rejected",
        "zh": "{lots}个已检批次中{rejected}个判定不合格",
    },
    "switching": {
        "en": "inspection is {severity} under the switching rules",
        "zh": "按转移规则当前为{severity}",
    },
}

# The reason printed after each recommended action (see scoring/actions.py).
ACTION_REASONS: Final[dict[str, dict[str, str]]] = {
    "critical_confirmed": {
        "en": "QA confirmed {units} counterfeit units in {lots} of {inspected} inspected lots",
        "zh": "质检在{inspected}个已检批次中的{lots}个批次确认{units}件假货",
    },
    "counterfeit_score": {"en": "counterfeit risk {risk}/100", "zh": "假货风险{risk}/100"},
    "quality_score": {"en": "quality risk {risk}/100", "zh": "质量风险{risk}/100"},
    "discontinued": {
        "en": "inspection discontinued under the switching rules: {rejected} of {lots} "
        "inspected lots rejected",
        "zh": "按转移规则已暂停检验：{lots}个已检批次中{rejected}个不合格",
    },
    "authenticate": {
        "en": "{units} suspected counterfeit units in lot {lots}, sample kept, not yet "
        "authenticated",
        "zh": "批次{lots}中{units}件疑似假货已留样，尚未鉴定",
    },
    "hold_listings": {
        "en": "defensibility {share}: these lots lack proof the platform accepts today",
        "zh": "举证完备度{share}：这些批次缺少平台目前认可的举证材料",
    },
    "collect_documents": {
        "en": "missing or expired for {lots} branded lots, {units} units",
        "zh": "{lots}个品牌批次共{units}件缺失或已过期",
    },
    "goods_in_warning": {
        "en": "{lots} branded lots arrived with no brand authorization in force",
        "zh": "{lots}个品牌批次入库时没有有效的品牌授权书",
    },
}
ACTION_WITH_REASON: Final = {"en": "{action} ({reason})", "zh": "{action}（{reason}）"}
REASON_OPEN: Final = {"en": " (", "zh": "（"}
STEP_SEPARATOR: Final = {"en": "; ", "zh": "；"}
LIST_SEPARATOR: Final = {"en": ", ", "zh": "、"}
AND_MORE: Final = {"en": " and {n} more", "zh": "等{total}个"}
BRANDS: Final = {"en": "{label} for {brands}{more}", "zh": "{brands}{more}的{label}"}
MORE_BRANDS: Final = {"en": " and others ({n} brands)", "zh": "等{n}个品牌"}
# When no component reaches the reason threshold but some evidence exists.
BELOW_TIER: Final = {
    "en": " (below the level that changes the tier)",
    "zh": "（未达到影响风险等级的程度）",
}
NOT_SIGNIFICANT: Final = {
    "en": " (small sample, not yet significant)",
    "zh": "（样本少，尚不显著）",
}
NO_SIGNAL: Final = {"en": "no risk signal in the window", "zh": "窗口期内无风险信号"}
REQUIREMENT_LABELS: Final = {
    "brand_authorization": {"en": "brand authorization", "zh": "品牌授权书"},
    "purchase_invoice_or_contract": {"en": "purchase invoice or contract", "zh": "进货发票或合同"},
    "customs_declaration": {"en": "customs declaration", "zh": "进口报关单"},
    "test_report": {"en": "test report", "zh": "检测报告"},
}
GAP_STATUS: Final = {
    "missing": {"en": "never on file", "zh": "缺失"},
    "expired": {"en": "expired", "zh": "已过期"},
}
DROPSHIP_SHARE: Final = {
    "en": "; {share} of units drop-shipped",
    "zh": "；代发占入库数量的{share}",
}
UNBRANDED: Final = {"en": "unbranded goods", "zh": "无品牌商品"}
CHANNELS: Final = {
    "manufacturer": {"en": "manufacturer", "zh": "生产厂家"},
    "brand_owner": {"en": "brand owner", "zh": "品牌方"},
    "authorized_distributor": {"en": "authorized distributor", "zh": "授权经销商"},
    "wholesaler": {"en": "wholesaler", "zh": "批发商"},
    "dropship": {"en": "drop-shipper", "zh": "代发"},
    "marketplace": {"en": "marketplace shop", "zh": "平台采购"},
    "other": {"en": "other", "zh": "其他"},
}
SEVERITIES: Final = {
    "normal": {"en": "normal", "zh": "正常检验"},
    "tightened": {"en": "tightened", "zh": "加严检验"},
    "reduced": {"en": "reduced", "zh": "放宽检验"},
    "discontinued": {"en": "discontinued", "zh": "暂停检验"},
}
REASON_SEPARATOR: Final = {"en": "; ", "zh": "；"}


def label(table: dict[str, dict[str, str]], key: str, language: str) -> str:
    """The label of ``key`` in ``language``, else the key itself."""
    return table.get(key, {}).get(language, key)


# Units of the counts in Chinese (English templates carry their nouns).
UNITS: Final = {"reviews": "条", "complaints": "起", "units": "件", "lots": "个"}
SUSPECTED_TOO: Final = {
    "en": ", and {units} more suspected in {lots} lots, awaiting authentication",
    "zh": "，另有{lots}个批次{units}件疑似假货待鉴定",
}
# Said after a reason whose counts hold shares of items (attribution by SKU share).
SHARED_NOTE: Final = {
    "en": " (about: items naming no supplier are shared among the SKU's suppliers by units "
    "delivered)",
    "zh": "（约数：未注明供应商的按同款SKU各供应商供货数量份额分摊）",
}


def count_text(value: float) -> str:
    """A count of things as a whole number: 3, 1,200."""
    return f"{round(value):,}"


def is_shared(value: float) -> bool:
    """Whether a count holds a share of an item (attribution by SKU share)."""
    return abs(value - round(value)) >= 1e-6


def shared_count_text(value: float, unit: str, language: str) -> str:
    """A count that may hold shares of items: "3", "about 3" / "约3起", "part of one".

    Items naming no supplier are attributed by SKU share of units delivered, so a supplier
    may hold 2.4 complaints; it reads "about 2" (the note :data:`SHARED_NOTE` names the share),
    and a share below one half reads "part of one" (1起中的一部分), never "<1" or "0.3".
    """
    noun = UNITS[unit] if language == "zh" else ""
    if not is_shared(value):
        return f"{round(value):,}{noun}"
    if round(value) == 0:
        return f"1{noun}中的一部分" if language == "zh" else "part of one"
    return f"约{round(value):,}{noun}" if language == "zh" else f"about {round(value):,}"


def percent_text(value: float) -> str:
    """A rate as a percentage with one decimal, e.g. 7.7 %."""
    return f"{100 * value:.1f} %"
