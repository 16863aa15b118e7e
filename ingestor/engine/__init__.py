"""The sync engine: list, version gate, fetch, convert, gate, hash gate, upsert, record, delete
behind the guard (docs/architecture.md draws it)."""
