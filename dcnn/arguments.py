"""The command line's arguments: one parser per subcommand of python -m dcnn, and the exit codes."""
from __future__ import annotations

import argparse
import re
import sys
from typing import Callable, Optional, Sequence

from .analysis.judge import pair_kinds
from .run.executors import EXECUTORS

EXIT_OK, EXIT_RUN_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143  # 128 + SIGINT, SIGTERM


MAX_CALIBRATION_STUDIES = 100_000    # calibrate --n: 2000 take about a minute; 10^5, most of an hour


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own errors: one line, exit 2
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see --help)\n")

    def parse_args(self, args=None, namespace=None):  # type: ignore[override]
        return super().parse_args(_glue_negative_values(args), namespace)


VALUE_LISTS = ("--a", "--b", "--margin")   # judge's options whose value may start with a minus


def _glue_negative_values(argv: Optional[Sequence[str]]) -> list[str]:
    """``judge --a -0.5,-0.6`` as ``--a=-0.5,-0.6``: argparse takes a value that starts with '-' for an
    option unless it is one plain negative number."""
    out: list[str] = []
    for arg in sys.argv[1:] if argv is None else argv:
        if out and out[-1] in VALUE_LISTS and re.match(r"^-\.?\d", arg):
            out[-1] = f"{out[-1]}={arg}"
        else:
            out.append(arg)
    return out


def count(what: str, low: int, high: Optional[int] = None) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high`` (no upper bound: None); "1e3" is 1000."""
    allowed = f"{low} to {high}" if high is not None else f"{low} or more"

    def parse(text: str) -> int:
        try:
            value = float(text)
            n = int(value)
        except (ValueError, OverflowError):
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of {what} (allowed: {allowed})") \
                from None
        if n != value or n < low or (high is not None and n > high):
            raise argparse.ArgumentTypeError(f"{text} is out of range for the {what} (allowed: {allowed})")
        return n
    return parse


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
    run.add_argument("-j", "--jobs", type=count("runs trained at once", 1), default=None,
                     help="runs trained at once, at most the runs to train (default: CPU cores, or the profile's "
                          "workers_per_gpu; fewer where memory is short)")
    run.add_argument("--executor", choices=tuple(EXECUTORS), default="local",
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
    rep.add_argument("-j", "--jobs", type=count("runs trained at once", 1), default=None,
                     help="runs trained at once, for --run-missing")
    rep.add_argument("--no-pdf", action="store_true", help="HTML and results.json only")
    rep.add_argument("--watch", action="store_true",
                     help="serve build/report.html on localhost and write it again whenever a run finishes (Ctrl-C stops)")
    rep.add_argument("--port", type=count("port", 0, 65535), default=8000, help="--watch: the port (default 8000; 0: any free one)")


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
    jdg.add_argument("kind", choices=pair_kinds(),
                     help="a is lower / higher than b, similar to it, or not worse than it by more than the margin")
    jdg.add_argument("--a", required=True, help="comma-separated values of group a, one per seed")
    jdg.add_argument("--b", required=True, help="comma-separated values of group b")
    jdg.add_argument("--margin", default=None,
                     help="similar, not_worse: the margin in the values' units (0.1) or a share of b's mean "
                          "(10%%; default 10%%)")
    jdg.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    jdg.add_argument("--looks", type=int, default=1,
                     help="the claim's planned looks (max_seeds - declared seeds + 1); each spends its share of alpha")
    jdg.add_argument("--look", type=int, default=1,
                     help="which look this is: the values are its seeds (look 1: the declared ones; look 1 spends "
                          "declared / max_seeds of alpha, each later one 1 / max_seeds)")
    jdg.add_argument("--family", type=int, default=1, help="how many claims the study corrects together (default 1)")
    jdg.add_argument("--decided", type=int, default=0,
                     help="how many of the other claims are decided at this look (Holm's step; default 0)")
    jdg.add_argument("--correction", choices=("holm", "bonferroni", "none"), default="holm",
                     help="the study's correction over the claims (default holm)")
    jdg.add_argument("--json", action="store_true", help="machine-readable output")


def _calibrate_parser(sub) -> None:
    cal = sub.add_parser("calibrate", help="the false-verdict rate of the study's claims when nothing differs")
    _common(cal)
    cal.add_argument("--n", type=count("synthetic studies", 10, MAX_CALIBRATION_STUDIES), default=2000,
                     help=f"synthetic studies per setting, 10 to {MAX_CALIBRATION_STUDIES} (default 2000)")
    cal.add_argument("--seed", type=count("random seed", 0, 2 ** 32 - 1), default=0,
                     help="random seed of the simulation")
    cal.add_argument("--correction", choices=("holm", "bonferroni", "none"), default=None,
                     help="simulate with this correction instead of the study's (not saved for the report)")
    cal.add_argument("--json", action="store_true", help="machine-readable output")


def _diff_parser(sub) -> None:
    dif = sub.add_parser("diff", help="what changed between two builds: runs, group metrics, claim verdicts")
    dif.add_argument("a", help="the older build directory or results.json")
    dif.add_argument("b", help="the newer build directory or results.json")
    dif.add_argument("--force", action="store_true", help="compare builds of two different studies")
    dif.add_argument("--json", action="store_true", help="machine-readable output (docs/diff.md)")


def _export_parser(sub) -> None:
    exp = sub.add_parser("export", help="a build's runs for another tool: tensorboard")
    exp.add_argument("format", choices=("tensorboard",), help="tensorboard: one run directory per run, its scalars "
                                                             "and its settings and metrics (HParams)")
    exp.add_argument("out", help="the folder to write (tensorboard --logdir OUT)")
    exp.add_argument("--build", default="build", help="the build to export (default: ./build)")


def resume_command(args: argparse.Namespace) -> str:
    """The command that continues an interrupted ``run`` or ``report --run-missing``: the one that was
    run, with every flag that chooses what trains and where (``--force`` left out: it would start the
    resumed runs again from their first epoch)."""
    import shlex

    words = ["python -m dcnn", args.command, *(shlex.quote(v) for v in getattr(args, "variants", []))]
    flags = [("--study", args.study), ("--build", args.build), ("--profile", args.profile), ("--data", args.data),
             ("--device", getattr(args, "device", "auto")), ("-j", getattr(args, "jobs", None)),
             ("--executor", getattr(args, "executor", "local")), ("--ray-address", getattr(args, "ray_address", None))]
    defaults = {"--profile": "demo", "--device": "auto", "--executor": "local"}
    for flag, value in flags:
        if value is not None and (flag not in defaults or value != defaults[flag]):
            words += [flag, shlex.quote(str(value))]
    switches = ("--run-missing", "--no-pdf", "--decide", "--verbose")
    words += [w for w in switches if getattr(args, w[2:].replace("-", "_"), False)]
    return " ".join(words)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="dcnn", description="Declared, cached, reproducible ablation studies with a generated report.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for add in (_run_parser, _report_parser, _list_parser, _judge_parser, _calibrate_parser, _diff_parser,
                _export_parser):
        add(sub)
    return parser
