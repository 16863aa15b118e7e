"""The pages a listing found to fetch, in listing order, without a million of them in memory.

A first sync of a million files lists a million :class:`Item` objects before the first page is
converted (the listing must end first: links to pages not yet listed are only known broken once
it has). At about 380 bytes an item (id, version, locator strings) that alone is 380 MB, more
than the whole sync's memory budget. :class:`ItemSpool` keeps the first ``in_memory`` items in
a list, the way every ordinary run does, and writes the rest in compressed pickled batches to
an unnamed temporary file (``TMPDIR``; removed by the kernel when closed, even on a crash).
"""

from __future__ import annotations

import logging
import os
import pickle
import tempfile
import zlib
from collections.abc import Iterator
from typing import IO

from ingestor.connectors.base import Item

__all__ = ["ItemSpool"]

log = logging.getLogger("ingestor.sync")

_LENGTH_BYTES = 4
#: Items kept in memory before spilling: every ordinary run stays under it.
IN_MEMORY = 10_000
#: Items per compressed batch written to the file. Small: a batch read back is unpickled in
#: one go, and 4,096 items at once spread over fresh allocator arenas that the objects of the
#: pages processed meanwhile kept alive: the engine grew ~200 bytes per page (a million-page
#: first sync, measured); 256 keeps it flat.
BATCH = 256


class ItemSpool:
    """An append-then-iterate sequence of items; iterate only once appending is over."""

    def __init__(self, *, in_memory: int | None = None, batch: int | None = None) -> None:
        self._in_memory = IN_MEMORY if in_memory is None else in_memory
        self._batch_size = BATCH if batch is None else batch
        self._head: list[Item] = []
        self._batch: list[Item] = []
        self._file: IO[bytes] | None = None
        self._spilled = 0
        #: Items written to the temporary file (0: everything stayed in memory).
        self.spilled_bytes = 0

    def append(self, item: Item) -> None:
        """Add ``item`` after the others."""
        if len(self._head) < self._in_memory:
            self._head.append(item)
            return
        self._batch.append(item)
        if len(self._batch) >= self._batch_size:
            self._spill()

    def __len__(self) -> int:
        return len(self._head) + self._spilled + len(self._batch)

    def __iter__(self) -> Iterator[Item]:
        yield from self._head
        if self._file is not None:
            yield from self._read_back(self._file, self.spilled_bytes)
        yield from self._batch

    def close(self) -> None:
        """Drop the items and the temporary file; safe to call twice."""
        file, self._file = self._file, None
        self._head, self._batch, self._spilled = [], [], 0
        if file is not None:
            file.close()

    def __enter__(self) -> ItemSpool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _spill(self) -> None:
        data = zlib.compress(pickle.dumps(self._batch, pickle.HIGHEST_PROTOCOL), 1)
        try:
            if self._file is None:  # kept open until close(): no context manager
                self._file = tempfile.TemporaryFile(  # noqa: SIM115
                    prefix="fin-ingestor-listing-", buffering=0
                )
            # unbuffered: a refusal (disk full) raises here, not in a later flush or seek
            _write_all(self._file, len(data).to_bytes(_LENGTH_BYTES, "big") + data)
        except OSError as exc:
            # nothing is lost: these and later items stay in memory, as before there was a spool
            log.warning("listing: cannot write to a temporary file (%s); pages kept in memory", exc)
            self._batch_size = 2**62  # no more spilling: the rest stays in order, in memory
            return
        self._spilled += len(self._batch)
        self.spilled_bytes += len(data) + _LENGTH_BYTES
        self._batch = []

    @staticmethod
    def _read_back(file: IO[bytes], end: int) -> Iterator[Item]:
        position = 0
        while position < end:  # a record a failed write left half done lies past ``end``
            size = int.from_bytes(_read_at(file, position, _LENGTH_BYTES), "big")
            data = _read_at(file, position + _LENGTH_BYTES, size)
            position += _LENGTH_BYTES + size
            batch: list[Item] = pickle.loads(zlib.decompress(data))
            yield from batch


def _write_all(file: IO[bytes], data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[file.write(view) or 0 :]


def _read_at(file: IO[bytes], position: int, size: int) -> bytes:
    chunks, got = [], 0
    while got < size:
        chunk = os.pread(file.fileno(), size - got, position + got)
        if not chunk:
            raise OSError(f"listing spool: {size - got} bytes missing at {position + got}")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)
