"""python -m dcnn {run,report,list,judge,calibrate} — exit codes: 0 success, 1 a run failed, 2 bad input."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Optional

EXIT_OK, EXIT_RUN_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


class _OneLine(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage()}"


def _setup_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLine())
    log = logging.getLogger("dcnn")
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO if verbose else logging.WARNING)
    log.propagate = False


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own errors: one line, exit 2
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see --help)\n")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--study", default="study.yaml", help="the study file (default: ./study.yaml)")
    p.add_argument("--build", default="build", help="cache and report directory (default: ./build)")
    p.add_argument("--profile", default="demo", help="a profile of the study (default: demo)")
    p.add_argument("--data", default=None, help="ImageFolder with train/ and val/ (profile paper)")
    p.add_argument("-v", "--verbose", action="store_true", help="say more (resumes, cache decisions)")


def _variants(p: argparse.ArgumentParser) -> None:
    p.add_argument("variants", nargs="*", metavar="VARIANT", help="variant or sweep names or globs (default: all)")


def _run_parser(sub) -> None:
    run = sub.add_parser("run", help="train every selected run that is not cached")
    _common(run)
    _variants(run)
    run.add_argument("--device", default="auto", help="auto (cuda, mps, cpu), cpu, cuda, cuda:1, mps")
    run.add_argument("--force", action="store_true", help="retrain the selected runs even if cached")
    run.add_argument("-j", "--jobs", type=int, default=None,
                     help="runs trained at once (default: CPU cores, or the profile's workers_per_gpu)")
    run.add_argument("--executor", choices=("local", "ray", "slurm"), default="local",
                     help="where runs execute: here, on a Ray cluster, or as Slurm jobs (docs/cluster.md)")
    run.add_argument("--ray-address", default=None, help="an existing Ray cluster (default: start a local one)")
    run.add_argument("--decide", action="store_true",
                     help="add seeds to the groups behind undecided claims, up to the study's analysis.max_seeds")
    run.add_argument("--new-plan", action="store_true",
                     help="with --decide: replace the plan of looks recorded in the build (the report says so)")


def _report_parser(sub) -> None:
    rep = sub.add_parser("report", help="render build/report.{html,pdf} and results.json from the cache")
    _common(rep)
    rep.add_argument("--run-missing", action="store_true", help="first train what is missing (make report)")
    rep.add_argument("--device", default="auto", help="device for --run-missing")
    rep.add_argument("-j", "--jobs", type=int, default=None, help="runs trained at once, for --run-missing")
    rep.add_argument("--no-pdf", action="store_true", help="HTML and results.json only")


def _list_parser(sub) -> None:
    lst = sub.add_parser("list", help="the runs the study declares, their cache state and sizes")
    _common(lst)
    _variants(lst)
    lst.add_argument("--params", action="store_true", help="trainable and total parameters (no training, no weights)")
    lst.add_argument("--json", action="store_true", help="machine-readable output")
    lst.add_argument("--why", action="store_true",
                     help="for each run to train: never trained, or what changed since its cached result")


def _judge_parser(sub) -> None:
    jdg = sub.add_parser("judge", help="judge one claim on two lists of per-seed numbers, as the report does")
    jdg.add_argument("kind", choices=("lower", "higher", "similar"), help="a is lower / higher than b, or similar to it")
    jdg.add_argument("--a", required=True, help="comma-separated values of group a, one per seed")
    jdg.add_argument("--b", required=True, help="comma-separated values of group b")
    jdg.add_argument("--margin", default=None,
                     help="similar: ±margin in the values' units (0.1) or a share of b's mean (10%%; default 10%%)")
    jdg.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    jdg.add_argument("--looks", type=int, default=1, help="planned looks: each is tested at alpha / looks")
    jdg.add_argument("--look", type=int, default=1, help="which look this is")
    jdg.add_argument("--json", action="store_true", help="machine-readable output")


def _calibrate_parser(sub) -> None:
    cal = sub.add_parser("calibrate", help="the false-verdict rate of the study's claims when nothing differs")
    _common(cal)
    cal.add_argument("--n", type=int, default=2000, help="synthetic studies per setting (default 2000)")
    cal.add_argument("--seed", type=int, default=0, help="random seed of the simulation")
    cal.add_argument("--correction", choices=("holm", "bonferroni", "none"), default=None,
                     help="simulate with this correction instead of the study's (not saved for the report)")
    cal.add_argument("--json", action="store_true", help="machine-readable output")


def _diff_parser(sub) -> None:
    dif = sub.add_parser("diff", help="what changed between two builds: runs, group metrics, claim verdicts")
    dif.add_argument("a", help="the older build directory or results.json")
    dif.add_argument("b", help="the newer build directory or results.json")
    dif.add_argument("--force", action="store_true", help="compare builds of two different studies")
    dif.add_argument("--json", action="store_true", help="machine-readable output (docs/diff.md)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="dcnn", description="Declared, cached, reproducible ablation studies with a generated report.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for add in (_run_parser, _report_parser, _list_parser, _judge_parser, _calibrate_parser, _diff_parser):
        add(sub)
    return parser


def main(argv: Optional[list[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "judge":
        return _cmd_judge(args)
    if args.command == "diff":
        return _cmd_diff(args)
    _setup_logging(args.verbose)
    from .study.resolve import StudyError, load_study
    from .data.images import DataError
    from .registry.freezing import ModelError
    from .store.build import Store, StoreError

    try:
        study = load_study(args.study, args.profile, extra_seeds=Store(args.build).read_extra_seeds())
        if args.command == "run" and args.decide:
            return _cmd_decide(args)
        if args.command == "run":
            return _cmd_run(study, args)
        if args.command == "report":
            return _cmd_report(study, args)
        if args.command == "calibrate":
            return _cmd_calibrate(study, args)
        return _cmd_list(study, args)
    except (StudyError, DataError, ModelError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_RUN_FAILED
    except KeyboardInterrupt:
        print("interrupted; finished runs are cached, unfinished ones resume from their last epoch",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:   # `dcnn list | head`: the reader has gone, which is not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def _train(study, args, patterns: list[str], force: bool = False, executor: str = "local",
           ray_address: Optional[str] = None) -> int:
    from .run.runner import run_study

    summary = run_study(study, Path(args.build), patterns=patterns, data_dir=args.data, device=args.device,
                        workers=args.jobs, force=force, executor=executor, ray_address=ray_address)
    return _say_summary(summary, args, patterns)


def _cmd_decide(args) -> int:
    """dcnn run --decide: seeds for the undecided claims, one look at a time (decide.py)."""
    from .study.resolve import load_study
    from .results.decide import decide
    from .run.runner import run_study

    def train(study):
        return run_study(study, Path(args.build), data_dir=args.data, device=args.device, workers=args.jobs)

    summary, before, after = decide(lambda extra: load_study(args.study, args.profile, extra_seeds=extra),
                                    Path(args.build), train, data_dir=args.data, new_plan=args.new_plan)
    words = lambda c: ", ".join(f"{c[v]} {v}" for v in ("supported", "contradicted", "inconclusive"))  # noqa: E731
    print(f"claims before: {words(before)}; after: {words(after)}", file=sys.stderr)
    return _say_summary(summary, args, [])


def _say_summary(summary, args, patterns: list[str]) -> int:
    from .run.progress import fmt_time

    parts = [f"{summary.trained} trained", f"{summary.cached} cached"]
    if summary.diverged:
        parts.append(f"{summary.diverged} diverged (a result, not an error)")
    if summary.failed:
        parts.append(f"{len(summary.failed)} failed")
    print(f"{', '.join(parts)} in {fmt_time(summary.seconds)}", file=sys.stderr)
    for label, message in summary.failed:
        print(f"failed: {label}: {message}", file=sys.stderr)
    if summary.interrupted:
        again = " ".join(["python -m dcnn run", *patterns, f"--study {args.study}", f"--build {args.build}"])
        print(f"interrupted: finished runs are cached and unfinished ones resume from their last epoch; "
              f"continue with: {again}", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_RUN_FAILED if summary.failed else EXIT_OK


def _cmd_run(study, args) -> int:
    if args.new_plan:
        print("error: --new-plan: only with --decide (it replaces the plan of looks --decide recorded)",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    study.select(args.variants)  # an unknown name fails before any work
    return _train(study, args, args.variants, force=args.force, executor=args.executor,
                  ray_address=args.ray_address)


def _cmd_report(study, args) -> int:
    rc = EXIT_OK
    if args.run_missing:
        rc = _train(study, args, [])
        if rc == EXIT_INTERRUPTED:
            return rc
    from .report import write_report

    out = write_report(study, Path(args.build), data_dir=args.data, pdf=not args.no_pdf)
    for path in out:
        print(f"wrote {path}", file=sys.stderr)
    return rc


def _cmd_list(study, args) -> int:
    from .run.listing import list_runs

    rows = list_runs(study, Path(args.build), data_dir=args.data, params=args.params, reasons=args.why,
                     patterns=args.variants)
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    for r in rows:
        extra = f"  trainable {r['trainable_params']:>13,} / {r['total_params']:,}" if args.params else ""
        reason = f"  {r['why_text']}" if args.why and r.get("why_text", "cached") != "cached" else ""
        print(f"{r['variant']:<28} lr={r['lr']:<6g} seed={r['seed']}  {r['section']:>6}  "
              f"{r['cache']:<8}{extra}{reason}")
    return EXIT_OK


def _cmd_judge(args) -> int:
    """python -m dcnn judge KIND --a ... --b ...: one claim, no study needed."""
    from .analysis.judge import format_judgement, judge

    try:
        values = {side: [v for v in getattr(args, side).split(",") if v.strip()] for side in ("a", "b")}
        j = judge(args.kind, values["a"], values["b"], margin=args.margin, alpha=args.alpha, looks=args.looks,
                  look=args.look)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(json.dumps(j, indent=2) if args.json else format_judgement(j))
    return EXIT_OK


def _cmd_diff(args) -> int:
    """python -m dcnn diff A B: two builds compared (diff.py); no study file needed."""
    from .results.diff import DiffError, diff, format_diff

    try:
        d = diff(args.a, args.b, force=args.force)
    except DiffError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(json.dumps(d, indent=2) if args.json else format_diff(d))
    return EXIT_OK


def _cmd_calibrate(study, args) -> int:
    """python -m dcnn calibrate: the study's claims simulated where nothing differs (analysis/calibration.py)."""
    from .results.calibrate import calibrate_study, format_calibration

    if args.n < 10:
        print(f"error: --n: {args.n} is too few synthetic studies (at least 10)", file=sys.stderr)
        return EXIT_BAD_INPUT
    out = calibrate_study(study, Path(args.build), n=args.n, seed=args.seed, correction=args.correction,
                          data_dir=args.data)
    print(json.dumps(out, indent=2) if args.json else format_calibration(out))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
