"""The ``supplier-audit`` command: a thin layer over the library and the nightly flow.

Exit status: 0 on success, 2 when an input or the configuration cannot be used (one clear
message, no traceback), 3 when the night was held by the input guards (its reports in
<out>/held/<as-of>/, the published ones untouched), 1 on any other failure.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from supplier_audit import __version__
from supplier_audit_flows.commands import (
    EXIT_BAD_INPUT,
    cmd_demo,
    cmd_flag,
    cmd_plan,
    cmd_run,
    cmd_serve,
)

_DESCRIPTION = """\
Nightly supplier-quality and counterfeit-risk audit for e-commerce merchants.

Reads a folder of input tables (suppliers, shipments, documents, reviews, complaints,
inspections as .csv, .xlsx or .parquet; Chinese or English headers), checks every row,
quarantines bad rows with a reason, and writes the night's reports to <out>/<as-of>/.
"""


_EPILOG = """\
examples:
  supplier-audit run                                  audit the bundled demo data as of today
  supplier-audit run --data /srv/shop-exports --out /srv/audit-reports
  supplier-audit run --as-of 2026-11-20               redo a past night
  supplier-audit run --since 2026-11-20               every missed night since then, in order
  supplier-audit run --task-runner dask               review partitions on a local Dask cluster
  supplier-audit run --config my-shop.toml            your own settings (see docs/configuration.md)

The input folder format is described in docs/data-contract.md.
"""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (no usage block), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def _percent(text: str) -> float:
    """A defect rate in percent, more than 0 and at most 100."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not 0 < value <= 100:
        raise argparse.ArgumentTypeError(
            f"{text} is not a defect rate in percent (more than 0, at most 100)"
        )
    return value


def _aql(text: str) -> float:
    """An AQL of the standard's preferred series."""
    from supplier_audit.sampling import aql_problem

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    problem = aql_problem(value)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return value


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-11-20") from exc


def _folder_arguments(command: argparse.ArgumentParser) -> None:
    """--data, --out and --config, as `run` and `serve` both take them."""
    command.add_argument(
        "--data",
        type=Path,
        default=Path("data/demo"),
        help="folder of input tables (default: data/demo)",
    )
    command.add_argument(
        "--out",
        type=Path,
        default=Path("reports"),
        help="folder the dated report folders go in (default: reports)",
    )
    command.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="FILE",
        help="your settings file (TOML); defaults apply to anything it leaves out",
    )


def _run_command(commands: Any) -> None:
    """``supplier-audit run``: the nightly audit, once or for every missed night."""
    run = commands.add_parser(
        "run",
        help="run the nightly audit once",
        description="Audit the input folder and write the reports to <out>/<as-of>/.",
    )
    _folder_arguments(run)
    run.add_argument(
        "--as-of",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="the night to audit (default: today in the configured time zone)",
    )
    run.add_argument(
        "--since",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="catch up: audit, in order, every night from this date to --as-of (or today) "
        "that has no report yet (e.g. after a weekend the machine was off)",
    )
    run.add_argument(
        "--accept-drift",
        action="store_true",
        help="publish a night the input guards would hold (rows fell, a quarantine spike, a "
        "cut-off file, a stale export), once you have checked the inputs; exit status 3 "
        "otherwise",
    )
    run.add_argument(
        "--task-runner",
        choices=("local", "dask"),
        default="local",
        help="where the review partitions are processed: in this process, one Prefect task "
        "each (local, the default), or on a Dask cluster (dask)",
    )
    run.add_argument(
        "--dask-address",
        default=None,
        metavar="tcp://HOST:8786",
        help="an existing Dask scheduler (default: a local cluster started for the night)",
    )
    run.add_argument(
        "--dask-workers",
        type=int,
        default=None,
        metavar="N",
        help="worker processes of the local Dask cluster (default: one per core)",
    )
    run.add_argument(
        "--verbose",
        action="store_true",
        help="show Prefect's own INFO lines at the terminal too (they always reach the run's "
        "logs in Prefect)",
    )
    run.set_defaults(handler=cmd_run)


def _serve_command(commands: Any) -> None:
    """``supplier-audit serve``: the schedule."""
    serve = commands.add_parser(
        "serve",
        help="run the audit every night on the configured schedule",
        description="Serve the nightly audit with the cron schedule and time zone of the config "
        "([schedule] cron, timezone; default 02:00 Asia/Shanghai). Each run audits its own "
        "local date. Uses the Prefect server named by PREFECT_API_URL; with none configured "
        "it starts a local one on 127.0.0.1:4200 and stops it on exit (Prefect's temporary "
        "server cannot run schedules).",
    )
    _folder_arguments(serve)
    serve.add_argument(
        "--no-local-server",
        action="store_true",
        help="refuse to start a local Prefect server when none is configured",
    )
    serve.set_defaults(handler=cmd_serve)


def _demo_command(commands: Any) -> None:
    """``supplier-audit demo``: a demo world."""
    demo = commands.add_parser(
        "demo",
        help="write a realistic demo world to try the audit on",
        description="Write the seven input tables of a made-up merchant (suppliers, lots, "
        "documents, reviews in Chinese and English, orders, complaints on several platforms, "
        "inspections) with planted counterfeit "
        "sources, sloppy suppliers, targets of malicious complaints and newcomers. The truth "
        "goes to <out>/_truth/, which the audit does not read.",
    )
    demo.add_argument(
        "--out",
        type=Path,
        default=Path("data/demo"),
        metavar="DIR",
        help="folder to write (default: data/demo)",
    )
    demo.add_argument(
        "--suppliers", type=int, default=200, metavar="N", help="number of suppliers (default: 200)"
    )
    demo.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="S",
        help="random seed; the same seed gives the same files (default: 0)",
    )
    demo.add_argument(
        "--as-of",
        type=_date,
        default=dt.date(2026, 11, 26),
        metavar="YYYY-MM-DD",
        help="the last night of the world (default: 2026-11-26)",
    )
    demo.add_argument("--months", type=int, default=6, help="months of history (default: 6)")
    demo.add_argument(
        "--lots", type=int, default=None, help="received lots (default: 25 per supplier)"
    )
    demo.add_argument(
        "--reviews", type=int, default=None, help="buyer reviews (default: 150 per supplier)"
    )
    demo.add_argument(
        "--format",
        choices=("csv", "parquet"),
        default="csv",
        help="file format of the tables (default: csv)",
    )
    demo.add_argument(
        "--clean",
        action="store_true",
        help="no planted input problems (by default ~0.5%% of rows are messy)",
    )
    demo.set_defaults(handler=cmd_demo)


def _plan_command(commands: Any) -> None:
    """``supplier-audit plan``: a sampling plan calculator."""
    plan = commands.add_parser(
        "plan",
        help="a QA lead's calculator: one lot's sampling plan and its protection",
        description="Print the ISO 2859-1 / GB/T 2828.1 single sampling plan of one lot (code "
        "letter, sample size, Ac/Re, following the table's arrows) and the probability that "
        "the plan accepts a lot at a few defect rates (binomial).",
    )
    plan.add_argument("--lot-size", type=int, required=True, metavar="N", help="units in the lot")
    plan.add_argument("--aql", type=_aql, required=True, help="acceptance quality limit, e.g. 2.5")
    plan.add_argument(
        "--level",
        default="II",
        choices=("S-1", "S-2", "S-3", "S-4", "I", "II", "III"),
        help="inspection level (default: II)",
    )
    plan.add_argument(
        "--severity",
        default="normal",
        choices=("normal", "tightened", "reduced"),
        help="inspection severity (default: normal)",
    )
    plan.add_argument(
        "--rates",
        type=_percent,
        nargs="+",
        default=[0.5, 1, 2.5, 5, 10, 20],
        metavar="PERCENT",
        help="defect rates to show (default: 0.5 1 2.5 5 10 20)",
    )
    plan.set_defaults(handler=cmd_plan)


def _flag_command(commands: Any) -> None:
    """``supplier-audit flag``: flag review texts."""
    flag = commands.add_parser(
        "flag",
        help="a lexicon maintainer's tool: what fires in a review text, and why",
        description="Flag one or more review texts and print every lexicon term found: its "
        "category and severity, and whether it fires or is negated, contrasted or asked about.",
    )
    flag.add_argument("texts", nargs="+", metavar="TEXT", help="review text(s) to check")
    flag.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="FILE",
        help="settings file whose [lexicon] section extends the shipped lexicon",
    )
    flag.set_defaults(handler=cmd_flag)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    parser = _Parser(
        prog="supplier-audit",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    _run_command(commands)
    _serve_command(commands)
    _demo_command(commands)
    _plan_command(commands)
    _flag_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``supplier-audit`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    return handler(args)


if __name__ == "__main__":
    raise SystemExit(main())
