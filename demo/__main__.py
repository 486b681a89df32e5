"""``python -m demo load|generate``: the demo's own entry point, called by ``./run demo`` and ``generate``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from demo.errors import DemoRefused
from geo.errors import DatabaseUnavailable
from geo.settings import Settings


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m demo")
    sub = p.add_subparsers(dest="verb", required=True)
    sub.add_parser("load", help="the database ready and the demo loaded, unless a territory is")
    g = sub.add_parser("generate", help="(re)generate the illustrative territory and load it")
    g.add_argument("--size", choices=("demo", "city", "province"), default="demo")
    g.add_argument("--seed", type=int, default=20261121)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    from demo import load

    args = build_parser().parse_args(argv)
    try:  # the ground's settings, read once; a bad one stops before any database work
        settings = Settings.from_env()
    except ValueError as exc:
        print(f"[run] error: {exc}", file=sys.stderr)
        return 2
    try:
        if args.verb == "load":
            load.load(settings)
        else:
            load.generate(settings, size=args.size, seed=args.seed)
    except DatabaseUnavailable as exc:
        print(f"[run] error: {exc}", file=sys.stderr)
        return 2
    except DemoRefused as exc:
        print(f"[run] error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
