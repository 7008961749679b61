"""The command line's arguments: one parser per subcommand of python -m dcnn, and the exit codes."""
from __future__ import annotations

import argparse

from .analysis.judge import pair_kinds
from .run.executors import EXECUTORS

EXIT_OK, EXIT_RUN_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


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
