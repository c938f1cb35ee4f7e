"""One source for the schedule: prefect.yaml takes its cron and time zone from the settings file."""

from __future__ import annotations

from pathlib import Path

import yaml

PREFECT_YAML = Path(__file__).resolve().parents[1] / "prefect.yaml"


def test_the_deployment_reads_its_schedule_from_the_settings_file(tmp_path: Path) -> None:
    from supplier_audit_flows.schedule import schedule_from_config

    shop = tmp_path / "shop.toml"
    shop.write_text('timezone = "Europe/Berlin"\n[schedule]\ncron = "30 3 * * 1-5"\n', "utf-8")
    assert schedule_from_config(str(shop)) == {"cron": "30 3 * * 1-5", "timezone": "Europe/Berlin"}
    assert schedule_from_config(None) == {"cron": "0 2 * * *", "timezone": "Asia/Shanghai"}

    spec = yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))
    (build,) = spec["build"]
    step = build["supplier_audit_flows.schedule.schedule_from_config"]
    (deployment,) = spec["deployments"]
    # the build step reads the very settings file the flow is given
    assert step["config"] == deployment["parameters"]["config"]
    assert deployment["schedules"] == [
        {"cron": "{{ schedule.cron }}", "timezone": "{{ schedule.timezone }}"}
    ]
    assert deployment["concurrency_limit"] == {"limit": 1, "collision_strategy": "ENQUEUE"}
    clone, install = spec["pull"]
    assert "prefect.deployments.steps.git_clone" in clone
    requirements = install["prefect.deployments.steps.pip_install_requirements"]
    assert (PREFECT_YAML.parent / requirements["requirements_file"]).is_file()
