"""Seconds from edit to Fin: a real `ingestor daemon` process watching a share and wikis.

Starts the Intercom emulator (in this process, over a socket), a share of ``--pages`` Markdown
files on the local disk, and, when Debian's ``mediawiki``/``dokuwiki`` packages are installed,
a MediaWiki 1.39 and a DokuWiki under ``php -S`` (the recipe of ``tests/wikis/servers.py``).
One daemon subprocess syncs them all, with scheduled runs an hour apart: only the watches can
bring an edit over. Then it measures:

* share: ``--edits`` edits, one every 1.5 s; each from the write to the moment the emulator
  received the page's update (its ``updateExternalPage`` counter moved and the page carries the
  edit), polled every 5 ms;
* wikis: ``--wiki-edits`` edits through each wiki's own API, the same way, with the feed polled
  every ``--interval``;
* idle: CPU of the daemon and every process under it (``/proc/PID/stat`` utime+stime, all
  descendants summed) over ``--idle`` seconds with nothing changing, as a share of one core,
  and the calls each wiki and Intercom received meanwhile (per hour);
* Confluence: the calls of one idle feed poll (a CQL ``lastmodified`` search) against the
  route-table fake of tests/confluence, Cloud and Data Center, per hour at ``--interval``.

Run: ``.venv/bin/python benchmarks/watch_latency.py [--pages 500] [--edits 20] [--idle 60]``
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the test fixtures, imported as the tests' own packages

from ingestor.emulator import EmulatorServer  # noqa: E402
from tests.wikis import servers  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def wait_for(condition: Callable[[], Any], timeout: float, what: str, step: float = 0.005) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"{what}: not within {timeout}s")
        time.sleep(step)


def updates(server: EmulatorServer) -> int:
    ops = server.stats()["by_operation"]
    return int(ops.get("updateExternalPage", 0)) + int(ops.get("createExternalPage", 0))


def page_has(server: EmulatorServer, marker: str) -> bool:
    return any(marker in page["html"] for page in server.pages())


def edit_latency(server: EmulatorServer, edit: Callable[[str], None], marker: str) -> float:
    """Seconds from ``edit(marker)`` to the emulator holding a page with ``marker``."""
    before = updates(server)
    started = time.monotonic()
    edit(marker)
    wait_for(lambda: updates(server) > before, 120, f"upsert of {marker}")
    received = time.monotonic() - started
    wait_for(lambda: page_has(server, marker), 30, f"page with {marker}", step=0.05)
    return received


def cpu_seconds(pid: int) -> float:
    """utime+stime of ``pid`` and every live process under it."""
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = text.rsplit(")", 1)[1].split()
        stats[int(entry)] = fields
        children.setdefault(int(fields[1]), []).append(int(entry))
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        fields = stats.get(current)
        if fields is not None:
            total += (int(fields[11]) + int(fields[12])) / TICKS
        todo.extend(children.get(current, []))
    return total


def php_calls(server: Any) -> int:
    log = (server.directory / "php-server.log").read_text(errors="replace")
    return sum(1 for line in log.splitlines() if "]: GET " in line or "]: POST " in line)


def summary(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"{name}: n={len(values)} median {statistics.median(values):.2f} s, p95 {p95:.2f} s, "
        f"max {max(values):.2f} s"
    )


class Daemon:
    def __init__(self, folder: Path, server: EmulatorServer, connectors: list[dict[str, Any]]):
        config = {
            "intercom": {"token": "${BENCH_TOKEN}", "base_url": server.url},
            "state": {"path": str(folder / "state.db")},
            "daemon": {"schedule": {"every": "1h"}, "run_on_start": True},
            "connectors": connectors,
        }
        path = folder / "config.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        self.log = folder / "daemon.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "ingestor",
                    "daemon",
                    "-c",
                    str(path),
                    "--log-format",
                    "json",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, "BENCH_TOKEN": server.token},
            )

    def finished(self, connector: str) -> int:
        if self.proc.poll() is not None:
            raise SystemExit(f"the daemon exited:\n{self.log.read_text(errors='replace')}")
        count = 0
        for line in self.log.read_text(errors="replace").splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("connector") == connector and event.get("status") and event.get("run_id"):
                count += 1
        return count

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(60)


def confluence_poll_calls() -> dict[str, int]:
    """Calls of one feed poll with nothing changed, per deployment (the fake of the tests)."""
    from ingestor.connectors.confluence import ConfluenceConnector
    from tests.confluence.conftest import FAST, settings_for
    from tests.confluence.fake_confluence import FakeConfluence

    found = {}
    for deployment in ("cloud", "datacenter"):
        fake = FakeConfluence(deployment).start()
        try:
            for n in range(20):
                fake.add_page("ENG", f"Page {n}")
            with ConfluenceConnector(settings_for(fake), policy=FAST) as connector:
                cursor = connector.start_cursor()
                before = len(fake.requests)
                connector.list_changes(cursor)
                found[deployment] = len(fake.requests) - before
        finally:
            fake.stop()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--wiki-edits", type=int, default=5)
    parser.add_argument("--interval", default="10s", help="watch_interval of the wikis")
    parser.add_argument("--idle", type=float, default=60.0)
    parser.add_argument("--no-wikis", action="store_true", help="the share alone")
    args = parser.parse_args()
    interval = float(args.interval.rstrip("s"))
    wikis = {
        kind: not args.no_wikis and servers.missing_packages(kind) is None
        for kind in ("mediawiki", "dokuwiki")
    }
    with tempfile.TemporaryDirectory() as tmp, EmulatorServer() as server:
        folder = Path(tmp)
        share = folder / "share"
        share.mkdir()
        for n in range(args.pages):
            (share / f"page{n:04d}.md").write_text(f"# Page {n}\n\nSome text of page {n}.\n")
        connectors: list[dict[str, Any]] = [
            {
                "name": "share",
                "type": "filesystem",
                "url": "https://kb.example.com/",
                "root": str(share),
            }
        ]
        started: list[Any] = []
        watch = {"watch": True, "watch_interval": args.interval}
        if wikis["mediawiki"]:
            mw = servers.install_mediawiki(folder / "mw")
            started.append(mw)
            mw_admin = _mediawiki_admin(mw)
            mw_admin.edit("Bench/Watched", "Before the edits.")
            connectors.append(
                {"name": "mediawiki", "type": "mediawiki", "url": mw.url + "/",
                 "api_url": mw.url + "/api.php", "include_prefixes": ["Bench/"], **watch}
            )  # fmt: skip
        if wikis["dokuwiki"]:
            dw = servers.install_dokuwiki(folder / "dw")
            started.append(dw)
            dw_admin = _dokuwiki_admin(dw)
            dw_admin.put("bench:watched", "====== Watched ======\n\nBefore the edits.\n")
            connectors.append(
                {"name": "dokuwiki", "type": "dokuwiki", "url": dw.url + "/",
                 "wiki_url": dw.url + "/", "namespaces": ["bench"], **watch}
            )  # fmt: skip
        daemon = Daemon(folder, server, connectors)
        try:
            for c in connectors:
                wait_for(lambda c=c: daemon.finished(c["name"]), 300, f"first sync of {c['name']}")
            time.sleep(2)
            print(f"machine: {os.cpu_count()} cores; share of {args.pages} pages on {_fs(share)}")
            share_times = []
            for n in range(args.edits):
                target = share / f"page{n % args.pages:04d}.md"

                def write(marker: str, target: Path = target) -> None:
                    target.write_text(f"# Edited\n\n{marker}\n")

                share_times.append(edit_latency(server, write, f"share-edit-{n}-marker"))
                time.sleep(1.5)
            print(summary("share edit -> upsert received (events)", share_times))
            if wikis["mediawiki"]:
                times = [
                    edit_latency(server, lambda m: mw_admin.edit("Bench/Watched", m), f"mwedit{n}x")
                    for n in range(args.wiki_edits)
                ]
                print(summary(f"MediaWiki edit -> upsert (interval {interval:g} s)", times))
            if wikis["dokuwiki"]:
                times = [
                    edit_latency(
                        server,
                        lambda m: dw_admin.put("bench:watched", f"====== W ======\n\n{m}\n"),
                        f"dwedit{n}x",
                    )
                    for n in range(args.wiki_edits)
                ]
                print(summary(f"DokuWiki edit -> upsert (interval {interval:g} s)", times))
            time.sleep(interval + 3)  # the last overlap-window polls settle
            _idle(daemon, server, started, args.idle)
        finally:
            daemon.stop()
            for wiki in started:
                wiki.stop()
    calls = confluence_poll_calls()
    for deployment, count in calls.items():
        print(
            f"Confluence {deployment}: {count} call(s) per idle poll = "
            f"{count * 3600 / interval:.0f}/hour at {interval:g} s, {count * 60}/hour at 60 s"
        )


def _idle(daemon: Daemon, server: EmulatorServer, wikis: list[Any], seconds: float) -> None:
    calls_before = [php_calls(w) for w in wikis]
    intercom_before = server.stats()["total"]
    cpu_before, wall_before = cpu_seconds(daemon.proc.pid), time.monotonic()
    time.sleep(seconds)
    cpu = cpu_seconds(daemon.proc.pid) - cpu_before
    wall = time.monotonic() - wall_before
    print(
        f"idle: daemon and its children used {100 * cpu / wall:.2f} % of one core over {wall:.0f} s"
    )
    per_hour = 3600 / wall
    print(f"idle: Intercom calls {(server.stats()['total'] - intercom_before) * per_hour:.0f}/hour")
    for wiki, before in zip(wikis, calls_before, strict=True):
        print(f"idle: {wiki.kind} calls {(php_calls(wiki) - before) * per_hour:.0f}/hour")


def _fs(path: Path) -> str:
    from ingestor.watch_plan import MOUNTINFO, mount_of

    found = mount_of(path, MOUNTINFO.read_text()) if MOUNTINFO.exists() else None
    return "unknown" if found is None else found[1]


def _mediawiki_admin(server: Any) -> Any:
    from tests.wikis.conftest import MediaWikiAdmin  # the wiki API client of the tests

    return MediaWikiAdmin(server)


def _dokuwiki_admin(server: Any) -> Any:
    from tests.wikis.conftest import DokuWikiAdmin

    return DokuWikiAdmin(server, login=False)


if __name__ == "__main__":
    main()
