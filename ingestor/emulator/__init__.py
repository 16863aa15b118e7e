"""Intercom AI Content API 2.14 emulator: a real HTTP server for tests, the demo and trials.

It imports nothing of the engine: only the standard library, Starlette and uvicorn. The rules it
enforces are listed in :mod:`ingestor.emulator.app`.
"""

from __future__ import annotations

from ingestor.emulator.app import create_app
from ingestor.emulator.server import EmulatorServer, serve
from ingestor.emulator.settings import DEFAULT_TOKEN, EmulatorSettings

__all__ = ["DEFAULT_TOKEN", "EmulatorServer", "EmulatorSettings", "create_app", "serve"]
