"""The ``tl-course`` command line.

Commands::

    tl-course doctor        versions, course weights present and intact, ImageNet cache state
    tl-course backbones     the backbone catalogue (size, accuracy, origin of the weights)
    tl-course pretrain ...  recreate the course backbones (same as python -m tl_helpers.pretrain)

Example:
    $ tl-course doctor
"""

from __future__ import annotations

import argparse
import sys
from importlib import metadata

from tl_helpers import config

__all__ = ["main", "doctor", "print_backbones"]

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

    from tl_helpers import backbones
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
        if spec.origin == "course":
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


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``tl-course`` console script."""
    parser = argparse.ArgumentParser(
        prog="tl-course", description="Tools for the tl-course transfer-learning course."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("doctor", help="check versions, course weights and the ImageNet cache")
    sub.add_parser("backbones", help="list the backbone catalogue")
    pre = sub.add_parser("pretrain", help="recreate the course backbones (see --help)",
                         add_help=False)
    pre.add_argument("args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    config.quiet_tensorflow()
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
