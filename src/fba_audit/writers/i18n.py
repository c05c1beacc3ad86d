"""Every string the claims workbook shows, in English and Simplified Chinese.

Both dicts have the same keys (a test checks it). Keys, not English text, are the lookup so that a
changed English label never breaks the Chinese one. What is *not* here stays English on purpose:
`case_text` (Amazon reads cases in English), `message` (one sentence built by the detector), ids,
codes, `confidence` and `valuation_basis` values (they match the JSON and CSV output), and the reasons a
detector gives for what it could not judge and its notes (built by the detector, like `message`).

A Chinese workbook explains each English case text in Chinese beside it (`case_explanation_zh`): what the case asks
Amazon for, written here per detector, and the finding's own numbers. Nothing of a report's text is translated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

EN: dict[str, str] = {
    # Sheet names (Excel allows at most 31 characters).
    "sheet.summary": "Summary",
    "sheet.cases": "Cases",
    "sheet.expiring": "Expiring soon",
    "sheet.not_checked": "Not checked",
    "sheet.problems": "Input problems",
    "sheet.files": "Files",
    "sheet.evidence": "Evidence",
    # Finding fields, in fba_audit.findings.FINDINGS_COLUMNS order.
    "col.finding_id": "finding_id",
    "col.code": "code",
    "col.status": "status",
    "col.marketplace": "marketplace",
    "col.currency": "currency",
    "col.sku": "sku",
    "col.product_title": "title",
    "col.fnsku": "fnsku",
    "col.asin": "asin",
    "col.order_id": "order_id",
    "col.shipment_id": "shipment_id",
    "col.reference_id": "reference_id",
    "col.quantity": "quantity",
    "col.amount": "amount",
    "col.valuation_basis": "valuation_basis",
    "col.event_date": "event_date",
    "col.window_opens": "window_opens",
    "col.window_closes": "window_closes",
    "col.confidence": "confidence",
    "col.message": "message",
    "col.evidence": "evidence",
    "col.case_text": "case_text",
    # Columns the workbook adds for staff.
    "col.case_group": "case_group",
    "col.filed_on": "filed_on",
    "col.case_id": "case_id",
    "col.outcome": "outcome",
    "col.notes": "notes",
    # Columns of the other sheets.
    "col.title": "detector",
    "col.findings": "findings",
    "col.units": "units",
    "col.not_valued": "not valued",
    "col.value": "value",
    "col.value_in": "value {currency}",
    "col.finding_ids": "finding_ids",
    "col.reference_ids": "reference_ids",
    "col.earliest_deadline": "earliest deadline",
    "col.days_left": "days left",
    "col.name": "name",
    "col.reason": "reason",
    "col.download": "what to download",
    "col.run_status": "ran",
    "col.item": "one item is",
    "col.judged": "items judged",
    "col.not_checked": "not checked",
    "col.items": "items not checked",
    "col.coverage_notes": "how the reports were read",
    "col.file": "file",
    "col.line": "line",
    "col.column": "column",
    "col.problem_value": "value",
    "col.hint": "hint",
    "col.severity": "severity",
    "col.kind": "report kind",
    "col.rows_read": "rows read",
    "col.rows_kept": "rows kept",
    "col.duplicates": "duplicates",
    "col.rows_rejected": "rows rejected",
    "col.first_date": "first date",
    "col.last_date": "last date",
    "col.encoding": "encoding",
    "col.explanation_zh": "explanation (Chinese)",
    "col.case_log": "Seller Central",
    "col.report_row": "report row",
    # Link texts.
    "link.case_log": "Case Log",
    # Total rows below every table.
    "total.rows": "Total: {count} rows",
    "total.one_row": "Total: 1 row",
    "total.currency_rows": "Total {currency}: {count} rows",
    "total.currency_one_row": "Total {currency}: 1 row",
    # Header notes (cell comments on the header).
    "note.message": "Written in English by fba-audit.",
    "note.case_text": (
        "Ready-to-paste text for the Seller Central case. Kept in English: Amazon reads cases in English."
    ),
    "note.outcome": "Pick what happened to the case.",
    "note.deadline": "Red: the last day to file is within 7 days of the audit date; amber: within 30 days.",
    "note.report_row": "The cited line of the report, its key columns under Amazon's headers.",
    "note.items": (
        "The SKUs, orders or shipments the detector could not judge for this reason, as written in the reports."
    ),
    # How each detector fared (the Not checked sheet).
    "run_status.ran": "ran",
    "run_status.skipped": "skipped: a report is missing",
    "run_status.failed": "failed",
    # Status values.
    "status.claimable": "claimable",
    "status.review": "review",
    "status.waiting": "waiting",
    "status.expired": "expired",
    # Outcome dropdown values. Excel list validations cannot contain commas.
    "outcome.filed": "filed",
    "outcome.reimbursed": "reimbursed",
    "outcome.denied": "denied",
    "outcome.not_filing": "not filing",
    # Summary sheet.
    "summary.title": "FBA audit: money Amazon owes",
    "summary.as_of": "As of",
    "summary.marketplace": "Marketplace",
    "summary.generated_by": "Generated by",
    "summary.by_detector": "Claimable now, by detector (not filed yet)",
    "summary.already_filed": "Claimable, already filed (claim ledger)",
    "summary.by_marketplace": "Claimable now, by marketplace (not filed yet; each in its own currency)",
    "summary.by_status": "All findings, by status",
    "summary.total": "Total",
    "summary.claimable": "Claimable now",
    "summary.review": "Needs review before filing",
    "summary.waiting": "Waiting for the window to open",
    "summary.expired": "Lost: window expired",
    "summary.key_dates": "Key dates",
    "summary.nearest_deadline": "Nearest deadline (claimable or review)",
    "summary.earliest_opening": "Earliest waiting window opens",
    "summary.none": "none",
    "summary.chart_title": "Claimable value by detector",
    # The claim ledger: the Follow up sheet and the recovery block of the Summary.
    "sheet.follow_up": "Follow up",
    # The Expired sheet, and a table longer than Excel allows.
    "sheet.expired": "Expired",
    "col.deadline_month": "deadline month",
    "note.deadline_month": "The month the claim window closed, before the audit date.",
    "note.expired": (
        "Findings whose claim window closed before they were filed: what late filing cost. Each one is listed in "
        "findings.csv and findings.json."
    ),
    "table.left_out": (
        "Only the first {shown:,} of {count:,} rows fit in an Excel sheet: the other {left_out:,} are in findings.csv "
        "and findings.json."
    ),
    "col.follow_up_kind": "follow up",
    "col.action": "what to do next",
    "col.act_by": "act by",
    "col.claimed": "claimed",
    "col.reimbursed": "reimbursed",
    "col.outstanding": "outstanding",
    "col.paid": "paid",
    "col.recovery_rate": "recovery rate",
    "col.paid_without_case": "paid without a case",
    "summary.recovery": "Money recovered (claim ledger)",
    "summary.recovered_month": "Recovered this month",
    "summary.recovered_year": "Recovered this year",
    "summary.claimed_vs_paid": "Claimed and paid, by detector (all cases in the ledger)",
    "summary.ledger": "Claim ledger",
    "follow_up.unpaid": "unpaid",
    "follow_up.denied": "denied",
    "follow_up.partly paid": "partly paid",
    "follow_up.reversed": "reversed",
    "follow_up.no case id": "no case id",
}

ZH: dict[str, str] = {
    "sheet.summary": "汇总",
    "sheet.cases": "索赔案件",
    "sheet.expiring": "即将到期",
    "sheet.not_checked": "未检查项",
    "sheet.problems": "输入问题",
    "sheet.files": "输入文件",
    "sheet.evidence": "证据",
    "col.finding_id": "发现编号",
    "col.code": "检测代码",
    "col.status": "状态",
    "col.marketplace": "站点",
    "col.currency": "币种",
    "col.sku": "SKU",
    "col.product_title": "商品名称",
    "col.fnsku": "FNSKU",
    "col.asin": "ASIN",
    "col.order_id": "订单编号",
    "col.shipment_id": "货件编号",
    "col.reference_id": "参考编号",
    "col.quantity": "数量",
    "col.amount": "金额",
    "col.valuation_basis": "估值依据",
    "col.event_date": "事件日期",
    "col.window_opens": "索赔窗口开启日",
    "col.window_closes": "索赔截止日",
    "col.confidence": "可信度",
    "col.message": "说明（英文）",
    "col.evidence": "证据",
    "col.case_text": "案件文本（英文）",
    "col.case_group": "案件分组",
    "col.filed_on": "提交日期",
    "col.case_id": "案件编号",
    "col.outcome": "结果",
    "col.notes": "备注",
    "col.title": "检测名称",
    "col.findings": "发现数",
    "col.units": "件数",
    "col.not_valued": "未估值数",
    "col.value": "金额",
    "col.value_in": "金额（{currency}）",
    "col.finding_ids": "发现编号列表",
    "col.reference_ids": "参考编号列表",
    "col.earliest_deadline": "最早截止日",
    "col.days_left": "剩余天数",
    "col.name": "名称",
    "col.reason": "原因",
    "col.download": "需下载的报告",
    "col.run_status": "运行情况",
    "col.item": "检查单位",
    "col.judged": "已判断数",
    "col.not_checked": "未检查数",
    "col.items": "未检查的项目",
    "col.coverage_notes": "报告的读取方式",
    "col.file": "文件",
    "col.line": "行号",
    "col.column": "列",
    "col.problem_value": "值",
    "col.hint": "处理建议",
    "col.severity": "严重程度",
    "col.kind": "报告类型",
    "col.rows_read": "读取行数",
    "col.rows_kept": "保留行数",
    "col.duplicates": "重复行数",
    "col.rows_rejected": "拒绝行数",
    "col.first_date": "最早日期",
    "col.last_date": "最晚日期",
    "col.encoding": "编码",
    "col.explanation_zh": "案件说明（中文）",
    "col.case_log": "卖家平台",
    "col.report_row": "报告原行",
    "link.case_log": "案件日志",
    "total.rows": "合计：{count} 行",
    "total.one_row": "合计：1 行",
    "total.currency_rows": "合计 {currency}：{count} 行",
    "total.currency_one_row": "合计 {currency}：1 行",
    "note.message": "由 fba-audit 以英文生成。",
    "note.case_text": (
        "可直接粘贴到卖家平台案件中的文本。保持英文：亚马逊以英文审核案件。"
    ),
    "note.outcome": "选择该案件的处理结果。",
    "note.deadline": "红色：索赔截止日在审计日期后 7 天内；黄色：30 天内。",
    "note.report_row": "证据所在的报告行：关键列，列名与亚马逊报告一致。",
    "note.items": "该检测因此原因无法判断的 SKU、订单或货件，按报告原文列出。",
    "run_status.ran": "已运行",
    "run_status.skipped": "未运行：缺少报告",
    "run_status.failed": "运行失败",
    "status.claimable": "可索赔",
    "status.review": "待审核",
    "status.waiting": "等待中",
    "status.expired": "已过期",
    "outcome.filed": "已提交",
    "outcome.reimbursed": "已赔付",
    "outcome.denied": "被拒绝",
    "outcome.not_filing": "不提交",
    "summary.title": "FBA 审计：亚马逊应付款项",
    "summary.as_of": "审计日期",
    "summary.marketplace": "站点",
    "summary.generated_by": "生成工具",
    "summary.by_detector": "现可索赔（按检测，尚未提交）",
    "summary.already_filed": "可索赔但已提交（索赔台账）",
    "summary.by_marketplace": "现可索赔（按站点，尚未提交；各用其币种）",
    "summary.by_status": "全部发现（按状态）",
    "summary.total": "合计",
    "summary.claimable": "现可索赔",
    "summary.review": "提交前需人工审核",
    "summary.waiting": "等待索赔窗口开启",
    "summary.expired": "已损失：索赔窗口已过",
    "summary.key_dates": "关键日期",
    "summary.nearest_deadline": "最近截止日（可索赔或待审核）",
    "summary.earliest_opening": "最早开启的等待窗口",
    "summary.none": "无",
    "summary.chart_title": "各检测可索赔金额",
    "sheet.follow_up": "跟进",
    "sheet.expired": "已过期",
    "col.deadline_month": "截止月份",
    "note.deadline_month": "索赔窗口关闭的月份（在审计日期之前）。",
    "note.expired": "索赔窗口在提交前已关闭的发现：延误提交造成的损失。每一项都列在 findings.csv 和 findings.json 中。",
    "table.left_out": "Excel 工作表只能容纳前 {shown:,} 行（共 {count:,} 行）：其余 {left_out:,} 行见 findings.csv 和 findings.json。",
    "col.follow_up_kind": "跟进类型",
    "col.action": "下一步操作",
    "col.act_by": "截止处理日",
    "col.claimed": "索赔金额",
    "col.reimbursed": "已赔付金额",
    "col.outstanding": "未赔付金额",
    "col.paid": "已赔付",
    "col.recovery_rate": "追回率",
    "col.paid_without_case": "无案件自动赔付",
    "summary.recovery": "已追回金额（索赔台账）",
    "summary.recovered_month": "本月追回",
    "summary.recovered_year": "本年追回",
    "summary.claimed_vs_paid": "按检测的索赔与赔付（台账中全部案件）",
    "summary.ledger": "索赔台账",
    "follow_up.unpaid": "未赔付",
    "follow_up.denied": "被拒绝",
    "follow_up.partly paid": "部分赔付",
    "follow_up.reversed": "赔付被撤回",
    "follow_up.no case id": "缺少案件编号",
}

LANGUAGES: dict[str, dict[str, str]] = {"en": EN, "zh": ZH}


def texts_for(lang: str) -> Mapping[str, str]:
    """The strings of one language; a clear error for a language we do not ship."""
    try:
        return LANGUAGES[lang]
    except KeyError:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGUAGES)}") from None


# What each detector finds, in Simplified Chinese, shown beside the code on the Summary sheet of a zh workbook
# (the English workbook shows each detector's own docstring title).
DETECTOR_TITLES_ZH: dict[str, str] = {
    "FBA01": "配送费按更大的尺寸或重量分段收取：按真实尺寸重量应收更低的费用，可申请退还差额。",
    "FBA02": "商品在亚马逊运营中心丢失或损坏，既未找回也未获赔偿。",
    "FBA03": "退款金额高于订单实际收取的金额，或退款件数多于购买件数。",
    "FBA04": "入库途中被承运人丢失或损坏的商品（或从未送达的货件），未获赔偿。",
    "FBA05": "买家退回并判定为可售的商品，从未重新计入您的库存。",
    "FBA06": "退货时向买家收取的重新入库费未转给您。",
    "FBA07": "亚马逊配送的订单已退款，但买家未退回商品，亚马逊也未赔偿。",
    "FBA08": "已关闭的入库货件中缺少的商品，或关闭后被扣减的已接收数量。",
    "FBA09": "买家退货被承运人或亚马逊损坏（DAMAGED / CARRIER_DAMAGED），未获赔偿。",
    "FBA10": "销售佣金按错误的类目费率收取，高于该类目应收的佣金。",
}


# What the case of each detector asks Amazon to do, in Simplified Chinese: the first half of the Chinese explanation
# beside each English case text.
CASE_ASKS_ZH: dict[str, str] = {
    "FBA01": "请亚马逊按商品的真实尺寸和重量重新核算配送费，退还多收的差额",
    "FBA02": "请亚马逊赔偿在运营中心丢失或损坏、既未找回也未赔偿的商品",
    "FBA03": "请亚马逊核查超出订单实收金额或件数的退款，退还多退给买家的款项",
    "FBA04": "请亚马逊赔偿入库途中被承运人丢失或损坏的商品",
    "FBA05": "请亚马逊将判定为可售却未重新入库的退货计入库存，或予以赔偿",
    "FBA06": "请亚马逊将向买家收取的重新入库费转给您",
    "FBA07": "请亚马逊赔偿已退款但买家未退回的商品",
    "FBA08": "请亚马逊核查入库货件中缺少的商品，赔偿未接收的数量",
    "FBA09": "请亚马逊赔偿被承运人或亚马逊损坏的买家退货",
    "FBA10": "请亚马逊按商品类目的正确费率重新核算销售佣金，退还多收的部分",
}


def _money_zh(amount: Decimal | None, currency: str | None) -> str:
    if amount is None:
        return "金额未估值，请自行核算"
    return f"金额 {amount:,.2f} {currency or ''}".rstrip()


def _ask_zh(code: str) -> str:
    return CASE_ASKS_ZH.get(code, "请亚马逊核查并赔偿")


def case_explanation_zh(finding: Mapping[str, Any]) -> str:
    """What one finding's English case text asks, in Chinese, with its numbers and where it stands on its window."""
    parts = [f"{finding['code']}：{_ask_zh(finding['code'])}。{finding['quantity']} 件，"
             f"{_money_zh(finding['amount'], finding['currency'])}"]
    if finding["reference_id"]:
        parts.append(f"参考编号 {finding['reference_id']}")
    closes: dt.date | None = finding["window_closes"]
    opens: dt.date | None = finding["window_opens"]
    status = finding["status"]
    if status == "claimable" and closes is not None:
        parts.append(f"请于 {closes.isoformat()} 前提交")
    elif status == "review":
        parts.append("提交前需人工审核" + (f"，截止日 {closes.isoformat()}" if closes is not None else ""))
    elif status == "waiting" and opens is not None:
        parts.append(f"索赔窗口于 {opens.isoformat()} 开启")
    elif status == "expired" and closes is not None:
        parts.append(f"索赔窗口已于 {closes.isoformat()} 关闭")
    return "；".join(parts) + "。"


def cases_explanation_zh(code: str, findings: int, units: int, value: Decimal | None, currency: str,
                         deadline: dt.date | None) -> str:
    """What one case of the Cases sheet asks, in Chinese: its detector's request and the case's totals."""
    text = f"{code}：{_ask_zh(code)}。本案件含 {findings} 项发现，共 {units} 件，{_money_zh(value, currency)}"
    if deadline is not None:
        text += f"；请于 {deadline.isoformat()} 前提交"
    return text + "。"
