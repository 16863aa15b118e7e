"""``python -m ingestor`` runs the CLI."""

from ingestor.commands.cli import main

# Guarded: conversion workers are spawned processes that re-import the main module.
if __name__ == "__main__":
    main()
