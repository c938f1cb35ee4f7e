"""The ``supplier-audit`` command: a thin layer over the library and the nightly flow.

Exit status: 0 on success, 2 when an input or the configuration cannot be used (one clear
message, no traceback), 3 when the night was held by the input guards (its reports in
<out>/held/<as-of>/, the published ones untouched), 1 on any other failure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

from supplier_audit import __version__
from supplier_audit.config.loading import load_config
from supplier_audit.config.settings import ConfigError
from supplier_audit.ingest.errors import InputError
from supplier_audit.night.progress import TerminalProgress, reporting_to, wants_terminal_progress

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_HELD = 0, 1, 2, 3

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


def _prefect_environment(*, verbose: bool = True) -> None:
    """Settings that make Prefect quiet and reliable on a machine without internet.

    Unless ``verbose``, Prefect's INFO lines (the temporary server starting and stopping, each
    task finishing: ~40 lines a night) stay off the terminal: the command prints what a person
    needs, and every line still reaches the run's logs in Prefect. A level set in the
    environment wins.
    """
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # A fresh PREFECT_HOME takes ~20 s to start the temporary server; the default limit is 20 s.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "supplier_audit")
    if not verbose:
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")


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


def _fail(message: str, status: int = EXIT_BAD_INPUT) -> int:
    print(f"supplier-audit: error: {message}", file=sys.stderr)
    return status


def missed_nights(out_dir: Path, since: dt.date, until: dt.date) -> list[dt.date]:
    """Nights from ``since`` to ``until`` (inclusive) that have no published report yet."""
    nights = [since + dt.timedelta(days=n) for n in range((until - since).days + 1)]
    return [n for n in nights if not (out_dir / n.isoformat() / "manifest.json").exists()]


def _print_night(reports: Path) -> None:
    manifest = json.loads((reports / "manifest.json").read_text(encoding="utf-8"))
    print(f"\nReports for {manifest['as_of']} are in {reports}/")
    print(f"{'table':<12} {'read':>8} {'valid':>8} {'quarantined':>12} {'pending':>8}")
    for name, counts in manifest["inputs"].items():
        if not counts.get("present", True):
            print(f"{name:<12} {'(no file: an optional table)':>38}")
            continue
        print(
            f"{name:<12} {counts['rows_read']:>8} {counts['rows_valid']:>8} "
            f"{counts['rows_quarantined']:>12} {counts['rows_pending']:>8}"
        )
    # a folder of many files (the complaint desk's checklists) is one line
    folders: dict[str, int] = {}
    for output in manifest["outputs"]:
        folder, _, name = str(output).partition("/")
        if name and folder == "evidence":
            folders[folder] = folders.get(folder, 0) + 1
            continue
        print(f"  {reports / output}")
    for folder, count in folders.items():
        print(f"  {reports / folder}/ ({count} files)")


@contextmanager
def _progress_display() -> Iterator[None]:
    """A live display of the stages and partitions when a person watches a terminal."""
    if not wants_terminal_progress():
        yield
        return
    with TerminalProgress() as shown, reporting_to(shown):
        yield


def cmd_run(args: argparse.Namespace) -> int:
    """Run the nightly audit flow for one night, or for every missed night since a date."""
    try:
        settings = load_config(args.config).settings
    except ConfigError as exc:
        return _fail(str(exc))
    if not args.data.is_dir():
        return _fail(f"{args.data}: data folder not found")
    if args.dask_address and args.task_runner != "dask":
        return _fail("--dask-address needs --task-runner dask")
    last = args.as_of or dt.datetime.now(settings.zone).date()
    if args.since is not None:
        if args.since > last:
            return _fail(f"--since {args.since} is after the last night to audit ({last})")
        nights = missed_nights(args.out, args.since, last)
        print(f"{len(nights)} night(s) from {args.since} to {last} have no report yet", flush=True)
    else:
        nights = [last]
    _prefect_environment(verbose=args.verbose)
    # Prefect loads only for the commands that run flows.
    from supplier_audit_flows.nightly_audit import nightly_audit

    for night in nights:
        print(
            f"supplier-audit {__version__}: auditing {args.data} as of {night} "
            f"({settings.timezone}) ...",
            flush=True,
        )
        with _progress_display():
            state = nightly_audit(
                data_dir=str(args.data),
                out_dir=str(args.out),
                # no date asked for: the flow audits today, as the schedule does (and checks
                # for a stale export, supplier_audit.night.guard)
                as_of=night if args.as_of or args.since else None,
                config=str(args.config) if args.config else None,
                task_runner=args.task_runner,
                dask_address=args.dask_address,
                dask_workers=args.dask_workers,
                accept_drift=args.accept_drift,
                return_state=True,
            )
        outcome = state.result(raise_on_failure=False)
        if isinstance(outcome, InputError):
            return _fail(f"{night}: {outcome}")
        if isinstance(outcome, BaseException) or not isinstance(outcome, dict):
            return _fail(f"{night}: {state.message or 'the nightly audit failed'}", EXIT_FAILED)
        result: dict[str, str] = outcome
        if "held" in result:
            _fail(f"{night}: held, not published: {result['reason']}", EXIT_HELD)
            print(
                f"  its reports are in {result['held']}/; after checking the inputs, "
                "--accept-drift publishes the night",
                file=sys.stderr,
            )
            return EXIT_HELD
        _print_night(Path(result["reports"]))
        if "delivery" in result:
            print(f"delivery: {result['delivery']}")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the nightly audit on its schedule until interrupted."""
    try:
        settings = load_config(args.config).settings
    except ConfigError as exc:
        return _fail(str(exc))
    if not args.data.is_dir():
        return _fail(f"{args.data}: data folder not found")
    _prefect_environment()
    from supplier_audit_flows.schedule import ServeError, serve_nightly

    print(
        f"Serving the nightly audit of {args.data} into {args.out}/: cron "
        f"'{settings.schedule.cron}' ({settings.timezone}). Ctrl-C stops it.",
        flush=True,
    )
    try:
        serve_nightly(
            cron=settings.schedule.cron,
            timezone=settings.timezone,
            data_dir=str(args.data.resolve()),
            out_dir=str(args.out.resolve()),
            config=str(args.config.resolve()) if args.config else None,
            start_server=not args.no_local_server,
        )
    except ServeError as exc:
        return _fail(str(exc), EXIT_FAILED)
    except KeyboardInterrupt:
        print("stopped", flush=True)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    """Write a demo world: seven input tables plus its hidden truth in ``_truth/``."""
    from supplier_audit.demo import generate_world

    if args.suppliers < 5:
        return _fail("--suppliers must be at least 5 so that every kind of supplier appears")
    summary = generate_world(
        args.out,
        suppliers=args.suppliers,
        seed=args.seed,
        as_of=args.as_of,
        months=args.months,
        lots=args.lots,
        reviews=args.reviews,
        file_format=args.format,
        messy=not args.clean,
    )
    print(f"Demo world written to {args.out}/ (as of {args.as_of}, seed {args.seed}):")
    for table, rows in summary.rows.items():
        print(f"  {table:<12} {rows:>10,} rows")
    print(f"The truth (not an input) is in {args.out / '_truth'}/")
    return EXIT_OK


def cmd_plan(args: argparse.Namespace) -> int:
    """Print one lot's sampling plan and what it protects against."""
    from supplier_audit.sampling import acceptance_probability, single_sampling_plan

    try:
        plan = single_sampling_plan(
            args.lot_size, args.aql, level=args.level, severity=args.severity
        )
    except ValueError as exc:
        return _fail(str(exc))
    print(
        f"ISO 2859-1 / GB/T 2828.1 single sampling, {args.severity} inspection, "
        f"level {args.level}, AQL {args.aql:g}"
    )
    print(f"  lot size            {args.lot_size:,}")
    print(
        f"  code letter         {plan.code_letter}"
        + (
            f" (plan of letter {plan.plan_letter}, following the table's arrow)"
            if plan.plan_letter and plan.plan_letter != plan.code_letter
            else ""
        )
    )
    print(
        f"  sample size         {plan.sample_size:,}"
        + (
            "  (100 % inspection: the plan's sample reaches the lot size)"
            if plan.full_inspection
            else ""
        )
    )
    print(f"  accept if at most   {plan.acceptance_number} nonconforming (Ac)")
    print(f"  reject if at least  {plan.rejection_number} nonconforming (Re)")
    rates = [r / 100 for r in args.rates]
    chances = acceptance_probability(plan, rates)
    print("\n  probability the lot is accepted when it holds this share nonconforming (binomial):")
    for rate, chance in zip(args.rates, chances, strict=True):
        print(f"    {rate:>6g} %   {chance:7.1%}")
    if plan.full_inspection:
        print("  (with 100 % inspection every nonconforming unit in the lot is seen)")
    return EXIT_OK


def cmd_flag(args: argparse.Namespace) -> int:
    """Print what the review flagger finds in a text, and why."""
    from supplier_audit.night.partitions import configured_lexicon
    from supplier_audit.review_terms import explain_text
    from supplier_audit.review_terms.combined import flag_reviews_combined

    try:
        settings = load_config(args.config).settings
    except ConfigError as exc:
        return _fail(str(exc))
    lexicon = configured_lexicon(settings)
    for text in args.texts:
        verdict = flag_reviews_combined(
            [text], lexicon=lexicon, use_model=settings.review_model
        ).iloc[0]
        print(text)
        print(
            f"  quality issue: {'yes' if verdict['quality_issue'] else 'no'}    "
            f"counterfeit suspect: {'yes' if verdict['counterfeit_suspect'] else 'no'}"
            + (f"    categories: {verdict['categories']}" if verdict["categories"] else "")
        )
        if verdict["probability"] == verdict["probability"]:  # not NaN: the model is on
            print(
                f"  learned model: probability {verdict['probability']:.3f}"
                + (f", flagged by: {verdict['flag_source']}" if verdict["flag_source"] else "")
                + (f" ({verdict['matched_terms']})" if verdict["flag_source"] == "model" else "")
            )
        hits = explain_text(text, lexicon=lexicon)
        if not hits:
            print("  no lexicon term in this text")
        for hit in hits:
            mark = "FIRES" if hit["flagged"] else "quiet"
            print(
                f"  {mark}  {hit['text']!r} [{hit['start']}:{hit['end']}] -> {hit['canonical']} "
                f"({hit['category']}, severity {hit['severity']}): {hit['why']}"
            )
    return EXIT_OK


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
