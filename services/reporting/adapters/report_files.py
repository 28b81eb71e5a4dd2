"""The report as files to download: CSV (one file, a section per table) and XLSX.

CSV: one file rather than a zip, because a reader opens it straight in Excel; each table is a
title line, a header line, its rows and an empty line. UTF-8 with a BOM, so Excel shows the
Vietnamese headings correctly. XLSX (openpyxl, already ours): a sheet per table, numbers
stored as numbers, and a native Excel bar chart beside every breakdown that has rows.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.utils import get_column_letter

from services.reporting.domain.report_tables import Table, report_tables, report_title

_SHEET_NAME_MAX = 31  # Excel's limit


def report_csv(report: dict[str, Any]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([report_title(report)])
    writer.writerow([])
    for table in report_tables(report):
        writer.writerow([table.title])
        writer.writerow(table.headers)
        writer.writerows(["" if c is None else c for c in row] for row in table.rows)
        writer.writerow([])
    return out.getvalue().encode("utf-8-sig")


def _sheet_name(table: Table) -> str:
    return table.title[:_SHEET_NAME_MAX]


def _chart(sheet: Any, table: Table) -> BarChart:
    """Horizontal bars of the table's `chart` column against its first column."""
    assert table.chart is not None
    rows = len(table.rows)
    chart = BarChart()
    chart.type = "bar"
    chart.title = table.title
    chart.legend = None
    chart.height = max(7.5, 0.6 * rows + 3)
    chart.width = 18
    values = Reference(sheet, min_col=table.chart + 1, min_row=1, max_row=rows + 1)
    chart.add_data(values, titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=rows + 1))
    return chart


def report_xlsx(report: dict[str, Any]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for table in report_tables(report):
        sheet = book.create_sheet(_sheet_name(table))
        sheet.append(list(table.headers))
        for row in table.rows:
            sheet.append(list(row))
        for n, header in enumerate(table.headers, start=1):
            widest = max([len(str(header)), *(len(str(r[n - 1] or "")) for r in table.rows)])
            sheet.column_dimensions[get_column_letter(n)].width = min(60, widest + 2)
        sheet.freeze_panes = "A2"
        if table.chart is not None and table.rows:
            anchor = f"{get_column_letter(len(table.headers) + 2)}2"
            sheet.add_chart(_chart(sheet, table), anchor)
    book.properties.title = report_title(report)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
