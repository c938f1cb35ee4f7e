"""The supplier-audit command: calculators and help a person reads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from scipy import stats

from supplier_audit_flows.cli import build_parser, main
from supplier_audit_flows.commands import EXIT_BAD_INPUT, EXIT_OK

README = Path(__file__).resolve().parents[1] / "README.md"


def test_plan_prints_the_standard_plan_and_its_protection(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["plan", "--lot-size", "2400", "--aql", "2.5", "--rates", "5", "10"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "code letter         K" in out and "sample size         125" in out
    assert "at most   7" in out and "at least  8" in out
    expected = stats.binom.cdf(7, 125, [0.05, 0.10])
    shown = [float(v) / 100 for v in re.findall(r"%\s+([\d.]+)%", out)]
    assert shown == pytest.approx(expected, abs=0.0005)


def test_plan_follows_the_arrow_and_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--lot-size", "10", "--aql", "1.0"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "plan of letter E" in out and "100 % inspection" in out


def test_plan_refuses_a_bad_lot_size(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--lot-size", "0", "--aql", "2.5"]) == EXIT_BAD_INPUT
    assert "supplier-audit: error:" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--rates", "150"], "argument --rates: 150 is not a defect rate in percent"),
        (["--rates", "abc"], "argument --rates: 'abc' is not a number"),
        (["--aql", "3"], "the nearest values are 2.5 and 4.0"),
        (["--aql", "5000"], "the nearest is 1000"),
    ],
)
def test_a_bad_plan_argument_is_one_line_before_anything_prints(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    given = dict(zip(argv[::2], argv[1::2], strict=True))
    arguments = {"--lot-size": "500", "--aql": "2.5", **given}
    with pytest.raises(SystemExit) as stopped:
        main(["plan", *[part for pair in arguments.items() for part in pair]])
    assert stopped.value.code == EXIT_BAD_INPUT
    captured = capsys.readouterr()
    assert captured.out == ""  # no half-printed plan
    (line,) = captured.err.strip().splitlines()
    assert line.startswith("supplier-audit plan: error:") and expected in line


def test_demo_writes_a_world(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["demo", "--out", str(tmp_path / "w"), "--suppliers", "6", "--seed", "2"]) == EXIT_OK
    )
    assert (tmp_path / "w" / "suppliers.csv").exists()
    assert (tmp_path / "w" / "_truth" / "suppliers_truth.csv").exists()
    assert "suppliers" in capsys.readouterr().out


def test_every_command_is_in_the_readme() -> None:
    readme = README.read_text(encoding="utf-8")
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name in commands:
        assert f"supplier-audit {name}" in readme, name


def test_missed_nights_are_those_without_a_published_report(tmp_path: Path) -> None:
    import datetime as dt

    from supplier_audit_flows.commands import missed_nights

    (tmp_path / "2026-11-21").mkdir()
    (tmp_path / "2026-11-21" / "manifest.json").write_text("{}", encoding="utf-8")
    (tmp_path / "2026-11-22").mkdir()  # a folder without a manifest was never published
    nights = missed_nights(tmp_path, dt.date(2026, 11, 20), dt.date(2026, 11, 23))
    assert nights == [dt.date(2026, 11, 20), dt.date(2026, 11, 22), dt.date(2026, 11, 23)]


def test_flag_explains_what_fires_and_what_is_negated(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flag", "不是假货，但是质量差"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "quality issue: yes    counterfeit suspect: no" in out
    fired = [line for line in out.splitlines() if "FIRES" in line]
    quiet = [line for line in out.splitlines() if "quiet" in line]
    assert any("质量差" in line for line in fired)
    assert any("假货" in line and "不是" in line for line in quiet)


def test_flag_uses_the_lexicon_of_the_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "shop.toml"
    config.write_text(
        '[[lexicon.terms]]\ncategory = "counterfeit"\nseverity = 3\nzh = ["水货"]\n',
        encoding="utf-8",
    )
    assert main(["flag", "这是水货", "--config", str(config)]) == EXIT_OK
    assert "counterfeit suspect: yes" in capsys.readouterr().out
