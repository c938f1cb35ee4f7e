"""Configuration: defaults ship in the package, a user's file overrides, mistakes are clear."""

from __future__ import annotations

from pathlib import Path

import pytest

from supplier_audit.config.loading import load_config
from supplier_audit.config.settings import ConfigError


def test_defaults_load_and_have_a_stable_hash() -> None:
    first, second = load_config().settings, load_config().settings
    assert first.timezone == "Asia/Shanghai" and first.lookback_days == 180
    assert first.sha256 == second.sha256 and len(first.sha256) == 64


def test_user_file_overrides_and_changes_the_hash(tmp_path: Path) -> None:
    path = tmp_path / "shop.toml"
    path.write_text("lookback_days = 90\n[ingest]\nmax_title_rows = 3\n", encoding="utf-8")
    loaded = load_config(path)
    assert loaded.settings.lookback_days == 90
    assert loaded.settings.ingest.max_title_rows == 3
    assert loaded.settings.ingest.default_currency == "CNY"  # untouched defaults stay
    assert loaded.settings.sha256 != load_config().settings.sha256
    assert loaded.user_file == path


def test_value_aliases_are_extended_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "shop.toml"
    path.write_text('[aliases.values.channel]\ndropship = ["云仓代发"]\n', encoding="utf-8")
    dropship = load_config(path).settings.aliases.values["channel"]["dropship"]
    assert "云仓代发" in dropship and "代发" in dropship


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lookbak_days = 30\n", "lookbak_days: not a known setting"),
        ("[ingest]\nmax_title_rowz = 3\n", "ingest.max_title_rowz: not a known setting"),
        ("lookback_days = -1\n", "lookback_days: Input should be greater than or equal to 1"),
        ('timezone = "Mars/Olympus"\n', "unknown time zone 'Mars/Olympus'"),
        ('report_language = "fr"\n', "report_language"),
        ('[aliases.columns]\nsupplier_number = ["x"]\n', "columns the contract does not have"),
        ("lookback_days = \n", "not valid TOML"),
    ],
)
def test_bad_settings_are_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(path) in str(caught.value) and message in str(caught.value)


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml")


def test_every_rule_that_shapes_a_night_has_a_version_and_a_hash() -> None:
    from supplier_audit.config.versions import rule_versions

    shipped = rule_versions(load_config().settings)
    assert set(shipped) == {
        "config",
        "scoring",
        "platforms",
        "lexicon",
        "flagger_model",
        "review_flagger",
        "iso_tables",
        "words",
    }
    assert all(len(entry["sha256"]) == 64 and entry["version"] for entry in shipped.values())
    # a shop that changes one scoring weight changes the scoring hash (and the whole settings'),
    # and no other rule's
    shop = rule_versions(load_config(overrides={"scoring": {"top_reasons": 4}}).settings)
    changed = {name for name in shipped if shop[name]["sha256"] != shipped[name]["sha256"]}
    assert changed == {"config", "scoring"}


def test_an_old_major_aql_equal_to_the_sampling_aql_loads_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "shop.toml"
    path.write_text("[scoring.inspections]\nmajor_aql = 2.5\n", encoding="utf-8")
    with caplog.at_level("WARNING", logger="supplier_audit.config.loading"):
        loaded = load_config(path)
    assert loaded.settings.sampling.aql == 2.5
    assert "major_aql" not in loaded.settings.scoring.inspections.model_dump()
    # the hash is that of the effective settings: the retired key changes nothing
    assert loaded.settings.sha256 == load_config().settings.sha256
    (warning,) = [r.getMessage() for r in caplog.records]
    assert str(path) in warning and "scoring.inspections.major_aql" in warning
    assert "sampling.aql" in warning


def test_an_old_major_aql_different_from_the_sampling_aql_names_both_files_and_keys(
    tmp_path: Path,
) -> None:
    path = tmp_path / "shop.toml"
    path.write_text("[scoring.inspections]\nmajor_aql = 4.0\n", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    message = str(raised.value)
    assert f"config {path}: scoring.inspections.major_aql = 4.0" in message
    assert "sampling.aql = 2.5 in supplier_audit/defaults/config.toml" in message
    # set in the same file, both keys are named in it
    path.write_text(
        "[sampling]\naql = 1.0\n[scoring.inspections]\nmajor_aql = 2.5\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=rf"sampling.aql = 1.0 in {path}"):
        load_config(path)
    path.write_text("[sampling]\naql = 4.0\n[scoring.inspections]\nmajor_aql = 4.0\n")
    assert load_config(path).settings.sampling.aql == 4.0
