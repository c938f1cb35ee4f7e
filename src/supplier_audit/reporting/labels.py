"""Every word the purchaser's workbook shows, in Chinese and English.

Chinese is the default (``report_language = "zh"``): the people reading the report first thing
in the morning are Chinese purchasers; English is one setting away. Column headers of the
machine-facing CSV files stay in English snake_case.
"""

from __future__ import annotations

import json
import re
from typing import Final

Language = str

_LABELS: Final[dict[str, tuple[str, str]]] = {
    # sheet names (Excel: at most 31 characters, no []:*?/\)
    "sheet.summary": ("摘要", "Summary"),
    "sheet.complaints": ("投诉工单", "Complaints"),
    "sheet.appeals": ("值得申诉", "Worth appealing"),
    "sheet.suppliers": ("供应商风险", "Suppliers"),
    "sheet.evidence": ("证据", "Evidence"),
    "sheet.documents": ("正品凭证", "Documents"),
    "sheet.lots_to_hold": ("暂缓上架批次", "Lots to hold"),
    "sheet.inspections": ("抽检", "Inspections"),
    "sheet.recent_results": ("近期抽检结果", "Recent inspections"),
    "sheet.data_quality": ("数据质量", "Data quality"),
    "sheet.run_info": ("运行信息", "Run info"),
    "sheet.chart_data": ("图表数据", "Chart data"),
    # summary
    "title": ("供应商假货与质量风险日报", "Supplier counterfeit and quality risk report"),
    "as_of": ("日期", "As of"),
    "data_covered": ("数据范围", "Data covered"),
    "lookback": ("回看窗口", "Lookback window"),
    "days": ("天", "days"),
    "suppliers_per_tier": ("各风险等级供应商数", "Suppliers per risk tier"),
    "newly_high": ("新升为高 / 严重风险", "Newly high or critical since the last run"),
    "none": ("无", "none"),
    "top_risks": ("最高风险供应商", "Top risks"),
    "stop_buying": (
        "需停止或暂停采购的供应商（{n}家）",
        "Suppliers to stop or suspend buying from ({n})",
    ),
    "top_by_counterfeit": ("假货风险最高的供应商", "Top suppliers by counterfeit risk"),
    "tier_chart": ("风险等级分布", "Suppliers per tier"),
    "lots_to_inspect": ("今晚待抽检批次", "Lots to inspect tonight"),
    "units_to_pull": ("需抽取件数", "Units to pull"),
    "quarantined_rows": ("隔离的数据行", "Quarantined input rows"),
    "first_run": ("首次运行，无历史对比", "first run: no earlier run to compare with"),
    "open_complaints": ("未结投诉", "Open complaints"),
    "complaints_due_soon": ("{hours}小时内到期的投诉", "Complaints due in the next {hours} hours"),
    "complaints_not_ready": (
        "举证材料未备齐（无任何可用凭证）",
        "Complaints with no evidence ready",
    ),
    "complaints_overdue": ("已过举证期限", "Complaints past their deadline"),
    "complaints_to_appeal": (
        "凭证齐全却被判成立（值得申诉）",
        "Lost with a ready pack (worth appealing)",
    ),
    # complaint desk
    "platform": ("平台", "Platform"),
    "opened_on": ("投诉日期", "Opened on"),
    "due_on": ("举证截止", "Due on"),
    "days_left": ("剩余天数", "Days left"),
    "deadline_source": ("期限依据", "Deadline from"),
    "evidence_status": ("举证材料", "Evidence"),
    "missing_evidence": ("缺少的凭证", "Missing evidence"),
    "shipment_ids": ("批次（占比）", "Lot(s) (share)"),
    "supplier_ids": ("供应商编号", "Supplier ID(s)"),
    "supplier_names": ("供应商名称", "Supplier(s)"),
    "supplier_contact": ("供应商联系人", "Supplier contact"),
    "documents_on_file": ("已备凭证（文件位置）", "Documents on file (where)"),
    "signals": ("恶意投诉迹象（仅供参考）", "Malicious-complaint signals (facts only)"),
    "buyer": ("买家（已脱敏）", "Buyer (masked)"),
    "description": ("投诉内容", "Description"),
    "closed_on": ("结案日期", "Closed on"),
    "platform.pinduoduo": ("拼多多", "Pinduoduo"),
    "platform.taobao": ("淘宝", "Taobao"),
    "platform.tmall": ("天猫", "Tmall"),
    "platform.jd": ("京东", "JD"),
    "platform.douyin": ("抖音", "Douyin"),
    "platform.amazon": ("亚马逊", "Amazon"),
    "platform.other": ("其他", "other"),
    "deadline_source.complaint": ("工单自带", "the ticket"),
    "deadline_source.rule": ("平台规则", "platform rule"),
    "deadline_source.default": ("默认（假定）", "default (assumed)"),
    "evidence_status.ready": ("齐全", "ready"),
    "evidence_status.partial": ("部分", "partial"),
    "evidence_status.not_ready": ("未备", "not ready"),
    # tiers
    "tier.critical": ("严重", "critical"),
    "tier.high": ("高", "high"),
    "tier.medium": ("中", "medium"),
    "tier.low": ("低", "low"),
    # complaints on the Evidence sheet
    "complaint_type.counterfeit": ("假货投诉", "counterfeit complaint"),
    "complaint_type.quality": ("质量投诉", "quality complaint"),
    "complaint_type.damaged": ("破损投诉", "damaged goods"),
    "complaint_type.wrong_item": ("错发投诉", "wrong item"),
    "complaint_type.not_as_described": ("描述不符", "not as described"),
    "complaint_type.other": ("其他投诉", "other complaint"),
    "complaint_status.open": ("处理中", "open"),
    "complaint_status.upheld": ("投诉成立", "upheld"),
    "complaint_status.rejected": ("已驳回", "rejected"),
    "complaint_status.withdrawn": ("已撤销", "withdrawn"),
    "complaint_status.settled": ("已和解", "settled"),
    "evidence.complaint": ("{type}，{status}{money}", "{type}, {status}{money}"),
    "evidence.inspection": (
        "抽样 {n} 件：假货 {counterfeit} 件，致命缺陷 {critical} 件，严重缺陷 {major} 件",
        "{counterfeit} counterfeit, {critical} critical, {major} major of {n} sampled",
    ),
    # why a lot is on tonight's plan (sampling.nightly's reason codes)
    "plan_reason.received": ("{0} 入库，尚未检验", "received {0}, not inspected yet"),
    "plan_reason.self_check": ("自查：{0}", "self-check: {0}"),
    "plan_reason.suspected_counterfeit": (
        "{1} 起有 {0} 件疑似假货待鉴定：将留样送品牌方或检测机构鉴定，结果填“确认”或“已排除”",
        "{0} suspected counterfeit unit(s) since {1}: authenticate the retained sample (brand "
        "owner or lab) and record it as confirmed or cleared",
    ),
    "plan_reason.discontinued": (
        "该供应商已按 GB/T 2828.1 暂停检验：停止采购直至整改；按加严方案检验以处置库存",
        "supplier discontinued under ISO 2859-1 9.4: stop purchasing until corrected; inspect "
        "(tightened plan) to hold the stock",
    ),
    # supplier channels (the contract's values)
    "channel.manufacturer": ("生产厂家", "manufacturer"),
    "channel.brand_owner": ("品牌方", "brand owner"),
    "channel.authorized_distributor": ("授权经销商", "authorized distributor"),
    "channel.wholesaler": ("批发商", "wholesaler"),
    "channel.dropship": ("代发", "drop-shipper"),
    "channel.marketplace": ("平台采购", "marketplace"),
    "channel.other": ("其他", "other"),
    # inspection severity under the switching rules, as GB/T 2828.1 names it
    "severity.normal": ("正常检验", "normal"),
    "severity.tightened": ("加严检验", "tightened"),
    "severity.reduced": ("放宽检验", "reduced"),
    "severity.discontinued": ("暂停检验", "discontinued"),
    # review categories (the lexicon's keys), as an inspector reads them: what to look for
    "category.counterfeit": ("疑似假货", "counterfeit"),
    "category.defect": ("故障/不能用", "defect / does not work"),
    "category.damage": ("破损", "damage"),
    "category.smell": ("异味", "smell"),
    "category.colour": ("色差/掉色", "colour / fading"),
    "category.workmanship": ("做工", "workmanship"),
    "category.material": ("材质", "material"),
    "category.size": ("尺码/尺寸", "size / fit"),
    "category.expired": ("过期/变质", "expired / spoiled"),
    "category.missing": ("缺件", "missing parts"),
    "category.safety": ("安全隐患", "safety hazard"),
    "category.quality": ("质量差", "poor quality"),
    # the QA worklist
    "qa.verdict.accept": ("接收", "accept"),
    "qa.verdict.reject": ("拒收", "reject"),
    "qa.redo": (
        "上次填写的结果未被接受，请重新检验并填写：{reason}",
        "Last result not accepted, inspect and fill in again: {reason}",
    ),
    "qa.sheet.instructions": ("填写说明", "Instructions"),
    "qa.complaint_due": (
        "有未结投诉，{days} 天后到期：检验结果是举证材料，请优先检验",
        "An open complaint is due in {days} days: the result is its evidence, inspect first",
    ),
    "qa.complaint_overdue": (
        "有未结投诉，已逾期 {days} 天：检验结果是举证材料，请优先检验",
        "An open complaint is {days} days overdue: the result is its evidence, inspect first",
    ),
    "qa.sheet.pick_list": ("抽样明细", "Pick list"),
    "qa.see_pick_list": ("{n}件，见抽样明细", "{n} units: see the pick list"),
    "qa.pick.warehouse": ("仓库", "Warehouse"),
    "qa.pick.priority": ("优先级", "Priority"),
    "qa.pick.lot": ("批次", "Lot"),
    "qa.pick.sku": ("商品", "SKU"),
    "qa.pick.units": ("抽取单位（箱号-件号或件号）", "Units to pull (carton-unit or unit numbers)"),
    "qa.pick.count": ("件数", "Units"),
    "qa.pick.done": ("已抽 ✓", "Pulled ✓"),
    # supplier columns
    "supplier_id": ("供应商编号", "Supplier ID"),
    "supplier_name": ("供应商名称", "Supplier"),
    "channel": ("渠道", "Channel"),
    "counterfeit_risk": ("假货风险", "Counterfeit risk"),
    "quality_risk": ("质量风险", "Quality risk"),
    "risk_tier": ("风险等级", "Risk tier"),
    "previous_tier": ("上次等级", "Previous tier"),
    "counterfeit_risk_change": ("假货风险变化", "Change in counterfeit risk"),
    "main_reasons": ("主要原因", "Main reasons"),
    "recommended_action": ("建议措施", "Recommended action"),
    "evidence_readiness": ("凭证完备率", "Evidence readiness"),
    "defensibility": ("举证完备度", "Defensibility"),
    "evidence_actions": ("单据措施", "Document actions"),
    "inspection_severity": ("检验严格度", "Inspection severity"),
    "reviews": ("评价数", "Reviews"),
    "counterfeit_reviews": ("疑似假货评价", "Counterfeit-suspect reviews"),
    "quality_reviews": ("质量问题评价", "Quality-issue reviews"),
    "units_received": ("入库件数", "Units received"),
    "value_received": ("入库金额", "Value received"),
    "dropship_share": ("代发占比", "Drop-ship share"),
    # evidence
    "kind": ("类别", "Kind"),
    "kind.review": ("评价", "review"),
    "kind.complaint": ("投诉", "complaint"),
    "kind.inspection": ("抽检不合格", "failed inspection"),
    "date": ("日期", "Date"),
    "sku": ("商品编码", "SKU"),
    "rating": ("评分", "Rating"),
    "text": ("内容", "Text"),
    "categories": ("问题类别", "Categories"),
    "matched_terms": ("命中词", "Matched terms"),
    "counterfeit_suspect": ("疑似假货", "Counterfeit suspect"),
    "severity": ("严重度", "Severity"),
    "review_id": ("评价编号", "Review ID"),
    "complaint_id": ("投诉编号", "Complaint ID"),
    "complaint_type": ("投诉类型", "Complaint type"),
    "status": ("状态", "Status"),
    "compensation": ("赔付金额", "Compensation"),
    "shipment_id": ("入库单号", "Shipment ID"),
    "reference": ("编号", "Reference"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    # documents
    "brand": ("品牌", "Brand"),
    "doc_type": ("凭证类型", "Document type"),
    "on_file": ("已备", "On file"),
    "missing": ("缺失", "Missing"),
    "expired": ("已过期", "Expired"),
    "units_affected": ("涉及件数", "Units affected"),
    "received_on": ("入库日期", "Received on"),
    "proof_missing": ("缺少的举证材料", "Proof missing"),
    "proof_expired": ("已过期的举证材料", "Proof expired"),
    "received_without_check": ("入库时无品牌授权", "Arrived without authorization"),
    "value_affected": ("涉及金额", "Value affected"),
    # inspections
    "lot_size": ("批量", "Lot size"),
    "inspection_level": ("检验水平", "Inspection level"),
    "aql": ("AQL", "AQL"),
    "code_letter": ("样本量字码", "Code letter"),
    "sample_size": ("样本量", "Sample size"),
    "acceptance_number": ("接收数 Ac", "Acceptance no. Ac"),
    "rejection_number": ("拒收数 Re", "Rejection no. Re"),
    "reason": ("原因", "Reason"),
    "inspected_on": ("检验日期", "Inspected on"),
    "critical_defects": ("致命缺陷", "Critical defects"),
    "major_defects": ("严重缺陷", "Major defects"),
    "minor_defects": ("轻微缺陷", "Minor defects"),
    "counterfeit_units": ("假货件数", "Counterfeit units"),
    "plan_summary": ("今晚抽检计划", "Tonight's inspection plan"),
    "recent_results": ("近期抽检结果", "Recent inspection results"),
    # data quality / run info
    "table": ("数据表", "Table"),
    "rows_read": ("读取行数", "Rows read"),
    "rows_valid": ("有效行数", "Valid"),
    "rows_quarantined": ("隔离行数", "Quarantined"),
    "rows_pending": ("待填行数", "Pending"),
    "quarantine_reasons": ("隔离原因统计", "Quarantine reasons"),
    "cleaned_rows": (
        "已删除控制字符的数据行（行仍有效）",
        "Rows cleaned of control characters (still valid)",
    ),
    "cleaned_columns": ("涉及列", "Columns"),
    "cleaned_capped_note": (
        "仅列出前 {shown} 行（共 {total} 行），manifest.json 记录全部行数。",
        "The first {shown} of {total} are listed; manifest.json counts them all.",
    ),
    "source_row": ("行号", "Row"),
    # what the night did not have, said in words rather than left blank
    "table_absent": ("未提供{table}表", "No {table} table was provided"),
    "table_empty": ("{table}表没有数据行", "The {table} table has no rows"),
    "table.documents": ("正品凭证", "documents"),
    "table.complaints": ("投诉", "complaints"),
    "table.orders": ("订单", "orders"),
    "table.inspections": ("抽检结果", "inspections"),
    "table.reviews": ("评价", "reviews"),
    "table.suppliers": ("供应商", "suppliers"),
    "table.shipments": ("入库批次", "shipments"),
    "no_rows": ("（无）", "(none)"),
    "share": ("归属比例", "Attributed share"),
    "no_lot_to_inspect": ("今晚没有需要抽检的批次", "No lot to inspect tonight"),
    "no_supplier_scored": ("没有可评分的供应商", "No supplier to score"),
    "rows": ("行数", "Rows"),
    "file": ("文件", "File"),
    "sha256": ("SHA-256", "SHA-256"),
    "setting": ("项目", "Setting"),
    "value": ("值", "Value"),
    "config_version": ("配置版本", "Config version"),
    "config_sha256": ("配置哈希", "Config hash"),
    "seed": ("随机种子", "Seed"),
    "timezone": ("时区", "Time zone"),
    "versions": ("软件版本", "Versions"),
    "stage_seconds": ("各阶段耗时（秒）", "Stage times (seconds)"),
    "evidence_capped_note": (
        "仅列出最严重的前 {shown} 条（共 {total} 条），全部疑似问题评价见 review_flags.csv。",
        "The {shown} most serious of {total} are listed; review_flags.csv has all flagged reviews.",
    ),
    "complaints_capped_note": (
        "仅列出最紧急的前 {shown} 条（共 {total} 条），全部未结投诉见 open_complaints.csv。",
        "The {shown} most urgent of {total} are listed; open_complaints.csv has every one.",
    ),
    "capped_note": (
        "行数超过 Excel 上限，仅列出前 {shown} 行（共 {total} 行），完整数据见 CSV。",
        "More rows than Excel can hold: the first {shown} of {total} are listed; the CSV has all.",
    ),
}


def plan_reason(codes: object, language: Language, fallback: object = None) -> str | None:
    """Why a lot is on tonight's plan, in words: ``codes`` is the plan's ``reason_codes``
    (a JSON list of [code, *values]); ``fallback`` (the English reason) when there are none."""
    if not isinstance(codes, str) or not codes:
        return None if fallback is None else str(fallback)
    separator = "；" if language == "zh" else "; "
    return separator.join(
        label(f"plan_reason.{code}", language).format(*values)
        for code, *values in json.loads(codes)
    )


# The ingest's reasons for quarantining a row (kinds, with quoted values shown as '…'), in
# Chinese: (pattern of the English reason, Chinese template over its groups). English reasons
# are shown as they are; a reason no pattern knows stays in English rather than be guessed.
_REASONS_ZH: Final = tuple(
    (re.compile(pattern), template)
    for pattern, template in (
        (r"^(\w+) '(.*)' is not a number$", "{0}：'{1}' 不是数字"),
        (r"^(\w+) '(.*)' is not a whole number$", "{0}：'{1}' 不是整数"),
        (r"^(\w+) '(.*)' is too large$", "{0}：'{1}' 数值过大"),
        (r"^(\w+) '(.*)' is not a date \(write it as (.+)\)$", "{0}：'{1}' 不是日期（请写成 {2}）"),
        (
            r"^(\w+) '(.*)' is ambiguous \(day and month order unknown\); write it as (.+)$",
            "{0}：'{1}' 无法确定日和月的顺序，请写成 {2}",
        ),
        (r"^(\w+) '(.*)' is not one of: (.+)$", "{0}：'{1}' 不是可用的取值（{2}）"),
        (r"^(\w+) '(.*)' is not an allowed value$", "{0}：'{1}' 不是可用的取值"),
        (r"^(\w+) '(.*)' is not a 3-letter currency code$", "{0}：'{1}' 不是三位字母的币种代码"),
        (r"^(\w+) is empty$", "{0} 为空"),
        (r"^(\w+) (.+) is below the minimum (.+)$", "{0} {1} 小于最小值 {2}"),
        (r"^(\w+) (.+) is above the maximum (.+)$", "{0} {1} 大于最大值 {2}"),
        (r"^(\w+) (.+) is after the as-of date (.+)$", "{0} {1} 晚于本次审计日期 {2}"),
        (r"^(\w+): unknown (\w+) (.+) \(not in (\w+)\)$", "{0}：未知的{1} {2}（{3} 表中没有）"),
        (r"^(\w+): (\w+) (.+) was quarantined$", "{0}：{1} {2} 已被隔离"),
        (
            r"^duplicate (\w+) (.+) \(first kept, in (.+) on row (\d+)\)$",
            "重复的 {0} {1}（保留第一条：{2} 第 {3} 行）",
        ),
        (
            r"^duplicate (\w+) (.+) \(first kept, on row (\d+)\)$",
            "重复的 {0} {1}（保留第 {2} 行的第一条）",
        ),
        (
            r"^undecodable bytes in the row \(check the file's encoding\)$",
            "该行有无法解码的字节（请检查文件编码）",
        ),
        (
            r"^cell (.+) holds a formula without a saved value: .*$",
            "单元格 {0} 是没有保存计算结果的公式：请用 Excel 打开该文件并重新保存",
        ),
    )
)


def reason_in_words(reason: str, language: Language) -> str:
    """A quarantine reason in the report's language (see _REASONS_ZH)."""
    if language != "zh":
        return reason
    for pattern, template in _REASONS_ZH:
        found = pattern.match(reason)
        if found:
            return template.format(*(_NOUNS_ZH.get(g, g) for g in found.groups()))
    return reason


# The referenced tables and their rows, as the Chinese reasons name them.
_NOUNS_ZH: Final = {
    "supplier": "供应商",
    "suppliers": "供应商",
    "shipment": "入库批次",
    "shipments": "入库批次",
}


def label(key: str, language: Language) -> str:
    """The word for ``key`` in ``language`` ("zh" or "en"); unknown keys fall back to the key."""
    pair = _LABELS.get(key)
    if pair is None:
        return key
    return pair[0] if language == "zh" else pair[1]


def has_label(key: str) -> bool:
    """Whether the workbook has a word for ``key``."""
    return key in _LABELS


def all_keys() -> list[str]:
    """Every label key (tests check both languages are filled in)."""
    return sorted(_LABELS)
