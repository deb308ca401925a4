"""`python -m mnist_live.bench COMMAND`: measure how well and how fast digits are read.

Each command is a module of this package with HELP, add_arguments(parser) and
run(args) -> exit status; list it in COMMANDS to add one (e.g. `speed`, `steady`).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys

from .. import cli, config
from ..errors import UserError

# The benchmarks need the development set (progress bars, memory readings), which the
# quick start's reading set leaves out: one line says what to install, as the trainer
# does for its packages, rather than a traceback.
_MISSING = [name for name in ("tqdm", "psutil") if importlib.util.find_spec(name) is None]
if _MISSING and __name__ == "__main__":
    print(f"error: the benchmarks need {', '.join(_MISSING)} (not installed): "
          "pip install -r requirements-dev.txt", file=sys.stderr)
    sys.exit(1)

from . import (  # noqa: E402 (after the check above)
    crops,
    film,
    model,
    profile,
    read,
    samples,
    scale,
    soak,
    speed,
    steady,
)

COMMANDS = {
    "read": read,
    "scale": scale,
    "film": film,
    "scenes": samples,
    "steady": steady,
    "speed": speed,
    "soak": soak,
    "profile": profile,
    "crops": crops,
    "model": model,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mnist_live.bench",
        description="Benchmarks for mnist_live: reading accuracy, speed and stability.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in COMMANDS.items():
        sub = commands.add_parser(
            name, help=module.HELP, description=module.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except UserError as exc:
        # A file missing from a data folder that is missing altogether: say where the
        # data is looked for, and how to point there.
        data = config.data_dir()
        hint = ("" if data.is_dir() or f"{data}{os.sep}" not in str(exc) else
                f" (no data folder at {data}: set {config.DATA_DIR_ENV} to where it is)")
        print(f"error: {exc}{hint}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    cli.run(main)  # as the scripts: a full disk, a closed pipe
