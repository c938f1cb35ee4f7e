"""Workbooks as a spreadsheet client prints them: LibreOffice (headless) converts a workbook to
PDF, or opens and saves it again (formulas computed and cached). Used by the print tests and
`make screenshots`; the nightly audit never runs it."""

from __future__ import annotations

import subprocess
from pathlib import Path


def libreoffice_convert(workbook: Path, folder: Path, *, to: str = "pdf") -> Path:
    """``workbook`` converted by LibreOffice into ``folder`` (``to``: "pdf" or "xlsx"); returns
    the file written. A private profile in ``folder`` keeps concurrent runs apart."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={(folder / 'lo-profile').as_uri()}",
            "--headless",
            "--convert-to",
            to,
            "--outdir",
            str(folder),
            str(workbook),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return folder / workbook.with_suffix(f".{to}").name
