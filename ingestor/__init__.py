"""fin-ingestor: keeps Intercom Fin in step with private knowledge."""

__version__ = "0.1.0"
