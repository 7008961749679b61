"""python -m dcnn {run,report,list,judge,calibrate,diff} — exit codes: 0 success, 1 a run failed (or a bug
in dcnn: its traceback goes to a log file the terminal names), 2 bad input, 130 interrupted (Ctrl-C),
143 terminated (SIGTERM, handled as Ctrl-C is)."""
from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Optional

from .arguments import (EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, EXIT_RUN_FAILED, EXIT_TERMINATED, build_parser,
                        resume_command)


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


def _terminate(signum, frame) -> None:
    from .errors import Terminated

    raise Terminated


def main(argv: Optional[list[str]] = None) -> int:
    """The command line; SIGTERM is handled as Ctrl-C is for the length of the command."""
    on_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if on_main else None
    try:
        return _main(argv)
    except KeyboardInterrupt as exc:    # while the arguments are read and the study loads: no work begun
        return _interrupted(exc)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _interrupted(exc: KeyboardInterrupt) -> int:
    from .errors import Terminated

    print(f"{'terminated' if isinstance(exc, Terminated) else 'interrupted'}; finished runs are cached, "
          "unfinished ones resume from their last epoch", file=sys.stderr)
    return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED


def _main(argv: Optional[list[str]]) -> int:
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
    except KeyboardInterrupt as exc:   # (Terminated too: SIGTERM)
        return _interrupted(exc)
    except BrokenPipeError:   # `dcnn list | head`: the reader has gone, which is not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001  a bug in dcnn, not the user's input: its traceback kept
        from .errors import interruption_behind

        wrapped = interruption_behind(exc)
        if wrapped is not None:   # a Ctrl-C that a library re-raised as its own error (__set_name__, ...)
            return _interrupted(wrapped)
        log = _write_traceback(getattr(args, "build", None))
        print(f"internal error: {type(exc).__name__}: {exc} — this is a bug in dcnn, not your input; "
              f"the traceback is in {log}", file=sys.stderr)
        return EXIT_RUN_FAILED


def _dispatch(args) -> int:
    if args.command == "judge":
        return _cmd_judge(args)
    if args.command == "diff":
        return _cmd_diff(args)
    if args.command == "export":
        return _cmd_export(args)
    from .store.build import Store, check_build_path
    from .study.resolve import load_study

    check_build_path(Path(args.build))
    study = load_study(args.study, args.profile, extra_seeds=Store(args.build).read_extra_seeds())
    _check_data_flag(study, args)
    if args.command == "run" and args.decide:
        return _cmd_decide(args)
    if args.command == "run":
        return _cmd_run(study, args)
    if args.command == "report":
        return _cmd_report(study, args)
    if args.command == "calibrate":
        return _cmd_calibrate(study, args)
    return _cmd_list(study, args)


def _check_data_flag(study, args) -> None:
    """--data with a profile that reads no data directory would be ignored: say so instead."""
    from .errors import ArgumentError
    from .registry.data import get_data_source

    if args.data is not None and not get_data_source(study.profile.data).needs_data_dir:
        raise ArgumentError(f"--data {args.data}: profile '{args.profile}' has data: {study.profile.data}, which "
                            "reads no data directory; pass --profile with an imagefolder profile, or leave --data out")


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
    return _say_summary(summary, args)


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
    return _say_summary(summary, args)


def _say_summary(summary, args) -> int:
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
        terminated = summary.signal == signal.SIGTERM
        print(f"{'terminated (SIGTERM)' if terminated else 'interrupted'}: finished runs are cached and unfinished "
              f"ones resume from their last epoch; continue with: {resume_command(args)}", file=sys.stderr)
        return EXIT_TERMINATED if terminated else EXIT_INTERRUPTED
    return EXIT_RUN_FAILED if summary.failed else EXIT_OK


def _cmd_run(study, args) -> int:
    if args.new_plan:
        print("error: --new-plan: only with --decide (it replaces the plan of looks --decide recorded)",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.ray_address is not None and args.executor != "ray":
        from .errors import ArgumentError

        raise ArgumentError(f"--ray-address {args.ray_address}: only with --executor ray (it names the Ray cluster "
                            "to train on)")
    study.select(args.variants)  # an unknown name fails before any work
    return _train(study, args, args.variants, force=args.force, executor=args.executor,
                  ray_address=args.ray_address)


def _cmd_report(study, args) -> int:
    if args.watch:
        return _cmd_watch(study, args)
    rc = EXIT_OK
    if args.run_missing:
        rc = _train(study, args, [])
        if rc in (EXIT_INTERRUPTED, EXIT_TERMINATED):
            return rc
    from .report import write_report

    out = write_report(study, Path(args.build), data_dir=args.data, pdf=not args.no_pdf)
    for path in out:
        print(f"wrote {path}", file=sys.stderr)
    return rc


def _cmd_watch(study, args) -> int:
    """report --watch: serve the report and write it again as runs finish (report/watch.py)."""
    from .report import write_report
    from .report.watch import LIVE_SCRIPT, watch

    def write() -> None:
        write_report(study, Path(args.build), data_dir=args.data, pdf=False, live=LIVE_SCRIPT)
    train = (lambda: _train(study, args, [])) if args.run_missing else None
    return watch(write, Path(args.build), args.port, train)


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


def _cmd_export(args) -> int:
    """python -m dcnn export tensorboard DIR: a build's runs for TensorBoard (results/export.py)."""
    from .errors import InputError
    from .results.export import export_tensorboard

    if not (Path(args.build) / "results.json").exists():
        raise InputError(f"{args.build}: no results.json to export (run python -m dcnn report first)")
    n = export_tensorboard(Path(args.build), Path(args.out))
    print(f"wrote {n} runs to {args.out} (tensorboard --logdir {args.out})", file=sys.stderr)
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

    out = calibrate_study(study, Path(args.build), n=args.n, seed=args.seed, correction=args.correction,
                          data_dir=args.data)
    print(json.dumps(out, indent=2) if args.json else format_calibration(out))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
