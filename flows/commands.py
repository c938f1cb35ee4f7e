"""What each `supplier-audit` command does: run (the Prefect flow, night by night), serve (the
schedule), demo, plan and flag (calculators that need no flow). Each returns its exit status."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from supplier_audit import __version__
from supplier_audit.config.loading import load_config
from supplier_audit.config.settings import ConfigError
from supplier_audit.ingest.errors import InputError
from supplier_audit.night.progress import TerminalProgress, reporting_to, wants_terminal_progress

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_HELD = 0, 1, 2, 3


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
            [text],
            lexicon=lexicon,
            use_model=settings.review_model,
            model_languages=settings.review_model_languages,
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
