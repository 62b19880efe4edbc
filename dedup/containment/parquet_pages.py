"""Bounds on a column chunk's distinct values from its page headers (no values read).

A dictionary-encoded chunk starts with a dictionary page whose header says how many
entries it holds. Arrow, parquet-java and arrow-rs build that dictionary from the
values they write, so the count is exactly the chunk's distinct values, or fewer
when the writer fell back to plain pages once the dictionary grew too big. Hence:

* upper bound: when every data page is dictionary-encoded, every value is an entry,
  so distinct values <= entries (whoever wrote it); otherwise the chunk's values;
* lower bound: entries, but only from a writer known to build the dictionary from
  its values, and not for an Arrow dictionary column (written with its own
  dictionary, unused entries included): see ``trusted_entries``.

Only page headers are read: a few dozen bytes per page, parsed with the Thrift
compact protocol below. Example::

    with fs.ranges(path) as read:
        pages = chunk_pages(read, md.row_group(0).column(2))
    pages.entries, pages.all_dictionary    # (412, True)
"""
from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.types as pat

_DICTIONARY_ENCODINGS = {2, 8}  # PLAIN_DICTIONARY, RLE_DICTIONARY
_DATA_PAGE, _DICTIONARY_PAGE, _DATA_PAGE_V2 = 0, 2, 3
_TRUSTED_WRITERS = {"parquet-cpp-arrow", "parquet-mr", "parquet-java", "parquet-rs"}
_HEADER_READ = 96
_MAX_HEADER = 1 << 20


class _Short(Exception):
    """The buffer ended inside the header: read more."""


class ThriftError(Exception):
    """A page header that is not valid Thrift compact protocol."""


class _Reader:
    def __init__(self, buf: bytes):
        self.buf, self.pos = buf, 0

    def byte(self) -> int:
        if self.pos >= len(self.buf):
            raise _Short
        b = self.buf[self.pos]
        self.pos += 1
        return b

    def skip_bytes(self, n: int) -> None:
        if n < 0:
            raise ThriftError(f"negative length {n}")
        if self.pos + n > len(self.buf):
            raise _Short
        self.pos += n

    def varint(self) -> int:
        shift = result = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7
            if shift >= 70:
                raise ThriftError("varint longer than 10 bytes")

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def skip(self, ttype: int) -> None:
        if ttype in (1, 2):  # booleans live in the field header
            return
        if ttype == 3:
            self.skip_bytes(1)
        elif ttype in (4, 5, 6):
            self.varint()
        elif ttype == 7:
            self.skip_bytes(8)
        elif ttype == 8:
            self.skip_bytes(self.varint())
        elif ttype in (9, 10):
            head = self.byte()
            size, elem = head >> 4, head & 0x0F
            if size == 15:
                size = self.varint()
            for _ in range(size):
                self.skip_bytes(1) if elem in (1, 2) else self.skip(elem)
        elif ttype == 11:
            size = self.varint()
            if size:
                kinds = self.byte()
                for _ in range(size):  # booleans inside a map take a byte each
                    for kind in (kinds >> 4, kinds & 0x0F):
                        self.skip_bytes(1) if kind in (1, 2) else self.skip(kind)
        elif ttype == 12:
            self.struct(lambda fid, t: self.skip(t))
        else:
            raise ThriftError(f"unknown Thrift compact type {ttype}")

    def struct(self, on_field) -> None:
        """Calls ``on_field(field_id, type)`` for each field; it must consume the value."""
        last = 0
        while True:
            head = self.byte()
            ttype = head & 0x0F
            if ttype == 0:
                return
            delta = head >> 4
            last = last + delta if delta else self.zigzag()
            on_field(last, ttype)


@dataclass
class PageHeader:
    size: int  # bytes of the header itself
    type: int | None = None
    compressed_size: int | None = None
    entries: int | None = None  # dictionary pages
    encoding: int | None = None  # data pages


def parse_page_header(buf: bytes) -> PageHeader:
    """The PageHeader at the start of ``buf``; raises ``_Short`` when it runs past the end."""
    r = _Reader(buf)
    header = PageHeader(size=0)

    def page_field(fid: int, ttype: int) -> None:
        if fid == 1 and ttype == 5:
            header.type = r.zigzag()
        elif fid == 3 and ttype == 5:
            header.compressed_size = r.zigzag()
        elif fid in (5, 7, 8) and ttype == 12:
            wanted = {5: 2, 7: 1, 8: 4}[fid]  # encoding / num_values / encoding

            def inner(ifid: int, itype: int) -> None:
                if ifid == wanted and itype == 5:
                    value = r.zigzag()
                    if fid == 7:
                        header.entries = value
                    else:
                        header.encoding = value
                else:
                    r.skip(itype)
            r.struct(inner)
        else:
            r.skip(ttype)

    r.struct(page_field)
    header.size = r.pos
    return header


@dataclass
class ChunkPages:
    """What a chunk's page headers say: dictionary entries (None: no dictionary page),
    whether every data page is dictionary-encoded (None: not all headers were read)."""

    entries: int | None
    all_dictionary: bool | None
    header_bytes: int


def chunk_pages(read, chunk, *, max_pages: int = 16) -> ChunkPages:
    """Walk the page headers of one column chunk; ``read(offset, n)`` reads file bytes.

    At most ``max_pages`` headers: a chunk of more pages (a big row group of 1 MB pages)
    keeps the dictionary's lower bound but not the upper one, rather than cost a read
    per page on object storage."""
    start = chunk.data_page_offset
    if chunk.has_dictionary_page and chunk.dictionary_page_offset:
        start = min(start, chunk.dictionary_page_offset)
    end = start + chunk.total_compressed_size
    pos, entries, all_dict, nbytes = start, None, True, 0
    for page in range(max_pages + 1):
        if pos >= end:
            return ChunkPages(entries, all_dict, nbytes)
        if page == max_pages:
            return ChunkPages(entries, None, nbytes)
        buf = b""
        while True:
            more = read(pos + len(buf), min(max(_HEADER_READ, 3 * len(buf)), end - pos - len(buf)))
            buf += more
            nbytes += len(more)
            try:
                header = parse_page_header(buf)
                break
            except _Short:
                if not more or len(buf) >= _MAX_HEADER:
                    raise ThriftError(f"page header at byte {pos} runs past its column chunk")
        if header.compressed_size is None or header.compressed_size < 0 or header.type is None:
            raise ThriftError(f"page header at byte {pos} has no type or size")
        if header.type == _DICTIONARY_PAGE:
            if page != 0:
                raise ThriftError(f"dictionary page at byte {pos} is not the chunk's first")
            entries = header.entries
        elif header.type in (_DATA_PAGE, _DATA_PAGE_V2):
            all_dict = all_dict and header.encoding in _DICTIONARY_ENCODINGS
        pos += header.size + header.compressed_size
    return ChunkPages(entries, None, nbytes)  # unreachable: the loop returns


def trusted_entries(created_by: str | None, arrow_type: pa.DataType, *, arrow_schema: bool) -> bool:
    """Whether this writer's dictionary entries are distinct values that all occur in
    the chunk, so that their count is a lower bound on its distinct values.

    ``arrow_schema``: the footer holds the writer's Arrow schema (``ARROW:schema``),
    from which ``arrow_type`` was read.
    """
    # The application name exactly: other engines write look-alikes ("parquet-mr-trino",
    # "parquet-mr compatible Photon") whose dictionaries we know nothing about.
    writer = (created_by or "").lower().split(" version ")[0].strip()
    if writer not in _TRUSTED_WRITERS:
        return False
    if writer in ("parquet-cpp-arrow", "parquet-rs"):
        # An Arrow dictionary column is written with its own dictionary, unused entries
        # and all; without the stored Arrow schema (store_schema=False) we cannot tell.
        return arrow_schema and not pat.is_dictionary(arrow_type)
    return True
