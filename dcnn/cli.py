"""python -m dcnn {run,report,list,judge,calibrate,diff} — exit codes: 0 success, 1 a run failed (or a bug
in dcnn: its traceback goes to a log file the terminal names), 2 bad input, 130 interrupted."""
from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Optional

from .arguments import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, EXIT_RUN_FAILED, build_parser


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


def main(argv: Optional[list[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    _setup_logging(getattr(args, "verbose", False))
    from .errors import InputError
    from .store.files import StoreError

    try:
        return _dispatch(args)
    except InputError as exc:          # the study's, the data's or the arguments' problem: one line
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except StoreError as exc:          # the build directory cannot be written or read
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_RUN_FAILED
    except KeyboardInterrupt:
        print("interrupted; finished runs are cached, unfinished ones resume from their last epoch",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:   # `dcnn list | head`: the reader has gone, which is not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001  a bug in dcnn, not the user's input: its traceback kept
        log = _write_traceback(getattr(args, "build", None))
        print(f"internal error: {type(exc).__name__}: {exc} — this is a bug in dcnn, not your input; "
              f"the traceback is in {log}", file=sys.stderr)
        return EXIT_RUN_FAILED


def _dispatch(args) -> int:
    if args.command == "judge":
        return _cmd_judge(args)
    if args.command == "diff":
        return _cmd_diff(args)
    from .store.build import Store
    from .study.resolve import load_study

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


def _write_traceback(build: Optional[str]) -> Path:
    """The current exception's traceback in ``build/logs/`` (or the temporary directory when the build
    cannot be written); returns the file."""
    import tempfile
    import time
    import traceback

    name = f"error-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    text = " ".join(sys.argv) + "\n\n" + traceback.format_exc()
    for folder in ([Path(build) / "logs"] if build else []) + [Path(tempfile.gettempdir())]:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text)
            return folder / name
        except OSError:
            continue
    return Path(tempfile.gettempdir()) / name


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

    values = {side: [v for v in getattr(args, side).split(",") if v.strip()] for side in ("a", "b")}
    j = judge(args.kind, values["a"], values["b"], margin=args.margin, alpha=args.alpha, looks=args.looks,
              look=args.look, family=args.family, decided=args.decided, correction=args.correction)
    print(json.dumps(j, indent=2) if args.json else format_judgement(j))
    return EXIT_OK


def _cmd_diff(args) -> int:
    """python -m dcnn diff A B: two builds compared (diff.py); no study file needed."""
    from .results.diff import diff, format_diff

    d = diff(args.a, args.b, force=args.force)
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
