"""``python -m ingestor`` and the ``ingestor`` command run the CLI.

The command's entry point is :func:`main` here, not the CLI module itself: conversion workers
are spawned processes that run the main script again (as ``__mp_main__``), and a script that
imports only this module keeps the CLI, typer, rich and the rest out of every worker.
"""

from __future__ import annotations


def main() -> None:
    try:  # the CLI's imports take most of a second: Ctrl-C then is no traceback either
        from ingestor.commands.cli import main as run_cli  # see the module docstring
    except KeyboardInterrupt:
        raise SystemExit(130) from None  # ExitCode.INTERRUPTED, not imported yet

    run_cli()


# Guarded: conversion workers are spawned processes that re-import the main module.
if __name__ == "__main__":
    main()
