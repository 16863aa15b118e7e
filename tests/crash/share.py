"""The trial's file share: a real folder of Markdown files that a seeded RNG edits, adds to,
removes from and renames in, as people do between two syncs."""

from __future__ import annotations

import random
from pathlib import Path

__all__ = ["Share"]

_FOLDERS = ("", "guides", "guides/setup", "faq", "policies", "howto/deep")
_WORDS = [
    "account",
    "billing",
    "invoice",
    "refund",
    "login",
    "password",
    "reset",
    "export",
    "import",
    "workspace",
    "team",
    "member",
    "role",
    "admin",
    "report",
    "dashboard",
    "webhook",
    "token",
    "limit",
    "plan",
    "upgrade",
    "trial",
    "cancel",
    "language",
    "region",
    "backup",
    "restore",
    "archive",
    "search",
    "filter",
    "label",
    "sync",
    "schedule",
    "alert",
]


class Share:
    """Files named and written from ``rng``; each carries a revision marker in its text."""

    def __init__(self, root: Path, rng: random.Random) -> None:
        self.root = root
        self.rng = rng
        self.revisions: dict[str, int] = {}  # relative path -> revision of its text
        self._next_name = 0
        root.mkdir(parents=True, exist_ok=True)

    def files(self) -> list[str]:
        return sorted(self.revisions)

    def populate(self, count: int) -> None:
        for _ in range(count):
            self.add()

    def add(self) -> str:
        folder = self.rng.choice(_FOLDERS)
        name = f"{self.rng.choice(_WORDS)}-{self._next_name:03}.md"
        self._next_name += 1
        rel = f"{folder}/{name}" if folder else name
        self._write(rel, 1)
        return rel

    def edit(self, rel: str) -> None:
        self._write(rel, self.revisions[rel] + 1)

    def remove(self, rel: str) -> None:
        (self.root / rel).unlink()
        del self.revisions[rel]

    def rename(self, rel: str) -> str:
        """Move a file to a new name (a new external_id); its text moves with it."""
        folder = self.rng.choice(_FOLDERS)
        name = f"renamed-{self._next_name:03}-{Path(rel).name}"
        self._next_name += 1
        new = f"{folder}/{name}" if folder else name
        target = self.root / new
        target.parent.mkdir(parents=True, exist_ok=True)
        (self.root / rel).rename(target)
        self.revisions[new] = self.revisions.pop(rel)
        return new

    def mutate(self) -> tuple[list[str], list[str], list[str]]:
        """One round of changes; return a description of them, the paths whose text changed and
        the paths that went away (removed, or renamed to another)."""
        files = self.files()
        rng = self.rng
        edits = rng.sample(files, rng.randint(0, max(1, len(files) // 6)))
        removes = rng.sample(
            [f for f in files if f not in edits], rng.randint(0, max(1, len(files) // 15))
        )
        renames = rng.sample(
            [f for f in files if f not in edits and f not in removes], rng.randint(0, 2)
        )
        events: list[str] = []
        for rel in edits:
            self.edit(rel)
        for rel in removes:
            self.remove(rel)
        moved = [f"{rel} -> {self.rename(rel)}" for rel in renames]
        added = [self.add() for _ in range(rng.randint(0, 4))]
        events.append(
            f"share: edit {len(edits)}, remove {len(removes)}, rename {len(renames)}, "
            f"add {len(added)} (now {len(self.revisions)} files)"
        )
        if edits or removes or moved or added:
            events.append(
                f"  edited {edits} removed {removes} renamed {moved} added {added}".replace("'", "")
            )
        return events, edits, [*removes, *renames]

    def _write(self, rel: str, revision: int) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        words = " ".join(self.rng.choice(_WORDS) for _ in range(self.rng.randint(20, 120)))
        title = Path(rel).stem.replace("-", " ").title()
        path.write_text(
            f"# {title}\n\nMarker {rel} revision {revision}.\n\n{words}.\n\n"
            f"## Details\n\n- first point about {self.rng.choice(_WORDS)}\n"
            f"- second point about {self.rng.choice(_WORDS)}\n",
            encoding="utf-8",
        )
        self.revisions[rel] = revision
