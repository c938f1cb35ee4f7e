"""Regenerate the README's pictures of the workbooks as a spreadsheet client prints them.

    make screenshots

Audits the bundled demo as of 2026-11-26 into a temporary folder, prints both workbooks to PDF
with LibreOffice (headless) and saves the risk report's Summary page and the first page of the
QA inspection list as PNG files in docs/ (poppler's pdftoppm). Needs `make render-tools`.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from supplier_audit.config.loading import load_config
from supplier_audit.night import recipe
from supplier_audit.night.run import AuditRun
from supplier_audit.reporting.printing import libreoffice_convert

ROOT = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 11, 26)
RESOLUTION = 110  # dots per inch: the pages stay readable on GitHub at their natural size


def _page_text(pdf: Path, page: int) -> str:
    return subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def _first_page(pdf: Path, heading: str) -> int:
    """The first page whose header (the sheet's name, printed on top) is ``heading``."""
    page = 1
    while True:
        text = _page_text(pdf, page)
        if not text:
            raise SystemExit(f"no page of {pdf.name} is headed {heading!r}")
        if text.lstrip().startswith(heading):
            return page
        page += 1


def _png(pdf: Path, page: int, target: Path) -> None:
    stem = target.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(RESOLUTION), "-f", str(page), "-l", str(page),
         "-singlefile", str(pdf), str(stem)],
        check=True,
    )  # fmt: skip
    print(f"wrote {target.relative_to(ROOT)}")


def main() -> int:
    missing = [tool for tool in ("soffice", "pdftoppm", "pdftotext") if not shutil.which(tool)]
    if missing:
        print(f"{', '.join(missing)} missing: run `make render-tools` first", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        run = AuditRun(
            data_dir=ROOT / "data" / "demo", out_dir=folder, as_of=AS_OF, config=load_config(None)
        )
        with run.exclusive():
            night = recipe.audit_night(run)
        report = libreoffice_convert(night / f"supplier-risk-{AS_OF}.xlsx", folder)
        _png(report, _first_page(report, "摘要"), ROOT / "docs" / "summary-zh.png")
        qa = libreoffice_convert(night / f"inspection-samples-{AS_OF}.xlsx", folder)
        _png(qa, _first_page(qa, "抽检清单"), ROOT / "docs" / "qa-list-zh.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
