"""Every word of the night's notices — mails, chat messages, alerts and hold reasons — in
Chinese and English.

The notices go to the same people as the workbooks, so they follow ``report_language``. Values
are filled in with ``str.format`` placeholders; numbers are formatted by the caller's template
(``{share:.1%}``), never by code that picks words.
"""

from __future__ import annotations

from typing import Final

_WORDS: Final[dict[str, tuple[str, str]]] = {
    # subjects (mail) and first lines (chat)
    "subject.purchasers": (
        "[供应商审计] {as_of} 风险日报：{news}",
        "[Supplier audit] {as_of} risk report: {news}",
    ),
    "subject.qa": (
        "[供应商审计] {as_of} 抽检计划：{lots} 批，{units} 件",
        "[Supplier audit] {as_of} inspection plan: {lots} lots, {units} units",
    ),
    "subject.failed": (
        "[供应商审计] {as_of} 审计失败：{reason}",
        "[Supplier audit] {as_of} audit FAILED: {reason}",
    ),
    "subject.held": (
        "[供应商审计] {as_of} 报告已暂扣未发布：{reason}",
        "[Supplier audit] {as_of} night HELD, not published: {reason}",
    ),
    "subject.refused": (
        "[供应商审计] {as_of} 审计未运行：{reason}",
        "[Supplier audit] {as_of} audit did not run: {reason}",
    ),
    "news.newly": ("{count} 家新升为高/严重风险", "{count} newly high or critical"),
    "news.overdue": ("{count} 个工单已逾期", "{count} overdue tickets"),
    "news.due": ("{count} 个工单 48 小时内到期", "{count} tickets due within 48 h"),
    "news.lots": ("今晚待抽检 {lots} 批", "{lots} lots to inspect"),
    "news.quiet": ("无新增高风险", "no new high risk"),
    "news.first_run": ("首次运行", "first run"),
    "news.separator": ("，", ", "),
    # body lines
    "body.tiers": ("各风险等级供应商数：{tiers}", "Suppliers per risk tier: {tiers}"),
    "body.tier_item": ("{tier} {count}", "{tier} {count}"),
    "body.tier_separator": (" · ", " · "),
    "body.newly": ("新升为高 / 严重风险：", "Newly high or critical since the last run:"),
    "body.newly_item": (
        "  - {supplier_id} {supplier_name}：{tier}（上次 {previous}）",
        "  - {supplier_id} {supplier_name}: {tier} (was {previous})",
    ),
    "body.newly_none": (
        "新升为高 / 严重风险：无",
        "Newly high or critical since the last run: none",
    ),
    "body.first_run": (
        "首次运行，无历史对比：各供应商的等级见报告。",
        "First run, no earlier night to compare with: every supplier's tier is in the report.",
    ),
    "body.more": ("  …… 另有 {count} 项，见报告", "  ... and {count} more: see the report"),
    "body.overdue": ("已逾期工单：", "Overdue tickets:"),
    "body.due": ("48 小时内到期的工单：", "Tickets due within 48 h:"),
    "body.ticket_item": (
        "  - {complaint_id}（{platform}）到期 {due_on}，剩余 {days_left} 天",
        "  - {complaint_id} ({platform}) due {due_on}, {days_left} days left",
    ),
    "body.tickets_unknown": (
        "工单期限：本晚报告未含未结投诉表（open_complaints.csv），无法列出。",
        "Ticket deadlines: this night has no open_complaints.csv, so none are listed.",
    ),
    "body.lots": (
        "今晚待抽检：{lots} 批，需抽取 {units} 件。",
        "Lots to inspect tonight: {lots}, {units} units to pull.",
    ),
    "body.quarantined": (
        "隔离的数据行：{items}（原因见 quarantine/ 文件夹）",
        "Quarantined input rows: {items} (reasons in the quarantine/ folder)",
    ),
    "body.quarantined_item": ("{table} {rows}", "{table} {rows}"),
    "body.accepted": (
        "注意：本晚输入有异常，已按 --accept-drift 照常发布：{reason}",
        "Note: tonight's inputs looked wrong and were published with --accept-drift: {reason}",
    ),
    "body.attached": ("附件：{name}", "Attached: {name}"),
    "body.too_big": (
        "{name} 有 {megabytes:.1f} MB，超过附件上限，未附上；文件位置：{path}",
        "{name} is {megabytes:.1f} MB, over the attachment limit, so it is not attached; "
        "it is at {path}",
    ),
    "body.folder": ("全部报告：{path}", "All reports: {path}"),
    "body.qa_intro": (
        "今晚的抽检计划见附件：每个仓库一张表，列出批次、抽样方案、需抽取的件号和结果填写列。"
        "填好后放回数据文件夹，次晚自动读入。",
        "Tonight's inspection plan is attached: one sheet per warehouse with the lots, the "
        "plan, the units to pull and the result columns to fill in. Put it back in the data "
        "folder when filled in; the next night reads it.",
    ),
    "body.failed": (
        "{as_of} 的审计失败，未发布新报告，之前的报告保持不变。\n原因：{reason}",
        "The audit of {as_of} failed: no new report was published and the earlier reports are "
        "as they were.\nReason: {reason}",
    ),
    "body.held": (
        "{as_of} 的审计已完成，但输入与上次发布的不符，报告暂扣在 {path}，未发布；之前的"
        "报告保持不变。\n原因：{reason}\n核实数据无误后，用 --accept-drift（或部署参数 "
        "accept_drift=true）重跑该晚即可发布。",
        "The audit of {as_of} finished, but its inputs do not look like the last published "
        "night's: the reports are held in {path}, not published, and the earlier reports are "
        "as they were.\nReason: {reason}\nOnce the data is checked, rerun the night with "
        "--accept-drift (or the deployment parameter accept_drift=true) to publish it.",
    ),
    "body.refused": (
        "{as_of} 的审计未运行：{reason}",
        "The audit of {as_of} did not run: {reason}",
    ),
    "body.footer": (
        "—— supplier-audit 自动发送，请勿回复。",
        "-- sent by supplier-audit; replies are not read.",
    ),
    # hold reasons (one line, joined with "; ")
    "hold.cut_row": (
        "{file} 最后一行（第 {row} 行）只有半行，导出或上传可能中断了",
        "{file}: the last line (row {row}) stops mid-row, the export or upload was cut short",
    ),
    "hold.row_drop": (
        "{table} 行数下降 {drop:.1%}（{before:,} → {after:,}，对比 {since}）",
        "{table} rows fell {drop:.1%} ({before:,} -> {after:,}) since {since}",
    ),
    "hold.quarantine_share": (
        "{table} 有 {share:.1%} 的行被隔离（{quarantined:,} / {read:,}，上限 {limit:.0%}{before}）",
        "{table}: {share:.1%} of rows quarantined ({quarantined:,} of {read:,}; limit "
        "{limit:.0%}{before})",
    ),
    "hold.quarantine_before": ("，{since} 为 {share:.1%}", "; {share:.1%} on {since}"),
    "hold.stale_export": (
        "{files} 与 {since} 已审计的文件完全相同（sha256），导出可能没有更新",
        "{files} byte-identical (sha256) to the export audited for {since}: a stale export",
    ),
    "hold.separator": ("；", "; "),
    "hold.unfinished": (
        "因输入有误，该晚未能完成（{error}）",
        "the night could not be finished on these inputs ({error})",
    ),
    "hold.more": ("另有 {count} 项（见 manifest.json）", "{count} more in manifest.json"),
    "delivery.failed": (
        "{channel} 发送失败（已试 {attempts} 次）：{error}",
        "{channel} failed after {attempts} attempts: {error}",
    ),
}


def word(key: str, language: str, **values: object) -> str:
    """The words for ``key`` in ``language`` ("zh" or "en"), with ``values`` filled in."""
    zh, en = _WORDS[key]
    template = zh if language == "zh" else en
    return template.format(**values) if values else template


def all_keys() -> list[str]:
    """Every key (tests check that both languages are filled in)."""
    return sorted(_WORDS)
