"""The bundled demo night's outputs against checked-in digests: a change that only moves code
must leave every CSV byte and every workbook cell as it was (tests/output_digests.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.output_digests import GOLDEN, demo_night, night_digests


def test_demo_night_outputs_match_the_checked_in_digests(tmp_path: Path) -> None:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    found = night_digests(demo_night(tmp_path))
    assert sorted(found) == sorted(expected), "the night wrote a different set of files"
    changed = [name for name in expected if found[name] != expected[name]]
    if changed:
        detail = {
            name: sorted(
                sheet
                for sheet in expected[name]
                if isinstance(expected[name], dict)
                and found[name].get(sheet) != expected[name][sheet]
            )
            for name in changed
        }
        pytest.fail(f"outputs changed: {detail}")
