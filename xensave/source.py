"""Where every reader's bytes come from, and the error that ends a read.

The lowest layer of the readers: ``xensave.reader`` (the modern layers) and
``xensave.legacy.read`` (pre-4.6 images) both read through ``Source`` and stop with
``ReadError``, so neither has to import the other to share them.
"""

from __future__ import annotations

import io
import os
import stat

TYPE_CHECKING = False  # typing stays off the verify path; mypy reads this as true
if TYPE_CHECKING:
    from typing import BinaryIO

_CHUNK = 1 << 20
#: Octets per splice from a pipe into a file: the kernel writes each splice into the
#: page cache as one write, and writes of 64 KiB cost less CPU per octet than larger
#: ones (which make it allocate large folios) on the Linux 6.x we measured
#: (cat IMG | export raw -: 0.8 s of CPU per GiB at 64 KiB, 1.5 s at 1 MiB).
SPLICE_STEP = 64 << 10


class ReadError(Exception):
    """The framing is lost: nothing after ``offset`` can be located."""

    def __init__(
        self,
        offset: int,
        message: str,
        *,
        layer: str | None = None,
        index: int | None = None,
        rtype: int | None = None,
        rule: str | None = None,
    ) -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message
        self.layer = layer
        self.index = index
        self.rtype = rtype
        self.rule = rule


class Source:
    """A byte source that counts its offset and can skip without keeping bytes.

    Skipping seeks where the source seeks. On a pipe or socket read through an
    unbuffered ``io.FileIO`` (as the CLI opens stdin) it splices the bytes to
    /dev/null, so page data never crosses into user space; otherwise it reads into
    one reusable buffer."""

    def __init__(self, f: BinaryIO) -> None:
        self.f = f
        self.offset = 0
        self._view: memoryview | None = None  # the reusable skip buffer, made on demand
        self._null: int | None = None  # /dev/null, for splicing skipped bytes away
        self._splice = False
        self._eof = False
        self.size: int | None = None
        try:
            if f.seekable():
                here = f.tell()
                st = os.fstat(f.fileno()) if _has_fileno(f) else None
                if st is not None and stat.S_ISREG(st.st_mode):
                    self.size = st.st_size
                else:  # a block device's st_size is 0: ask by seeking
                    self.size = f.seek(0, io.SEEK_END)
                    f.seek(here)
                self.offset = here
        except (OSError, ValueError):
            self.size = None
        if self.size is None and isinstance(f, io.FileIO) and hasattr(os, "splice"):
            try:
                mode = os.fstat(f.fileno()).st_mode
            except (OSError, ValueError):
                mode = 0
            self._splice = stat.S_ISFIFO(mode)

    def remaining(self) -> int | None:
        return None if self.size is None else max(0, self.size - self.offset)

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes (fewer only at EOF), read in bounded chunks."""
        if n <= _CHUNK:
            data = self.f.read(n) or b""
            while len(data) < n:
                more = self.f.read(n - len(data))
                if not more:
                    break
                data += more
        else:
            parts = []
            got = 0
            while got < n:
                more = self.f.read(min(_CHUNK, n - got))
                if not more:
                    break
                parts.append(more)
                got += len(more)
            data = b"".join(parts)
        self.offset += len(data)
        return data

    def skip(self, n: int) -> int:
        """Skip ``n`` bytes; return how many were really there."""
        if n <= 0:
            return 0
        if self.size is not None:
            n = min(n, self.size - self.offset)
            self.f.seek(n, io.SEEK_CUR)
            self.offset += n
            return n
        done = self._splice_skip(n) if self._splice else 0
        if done < n and not self._eof:
            done += self._read_skip(n - done)
        self.offset += done
        return done

    def copy_to(self, fd: int, n: int, at: int | None = None) -> int:
        """Append the next ``n`` bytes to the file ``fd`` (at its position, or at offset
        ``at``); return how many were there. From a pipe the kernel moves them
        (splice), page contents never crossing into user space; otherwise through the
        reusable buffer."""
        done = 0
        if self._splice and n > 0:
            try:
                src = self.f.fileno()
                while done < n:
                    where = None if at is None else at + done
                    got = os.splice(src, fd, min(n - done, SPLICE_STEP), offset_dst=where)
                    if not got:
                        self._eof = True
                        break
                    done += got
            except OSError:
                self._splice = False  # not spliceable after all: read from here on
        if done < n and not self._eof:
            if self._view is None:
                self._view = memoryview(bytearray(_CHUNK))
            readinto = getattr(self.f, "readinto", None)
            while done < n:
                want = min(_CHUNK, n - done)
                if readinto is not None:
                    got = readinto(self._view[:want]) or 0
                    data = self._view[:got]
                else:
                    data = memoryview(self.f.read(want) or b"")
                    got = len(data)
                if not got:
                    break
                while data:
                    k = os.write(fd, data) if at is None else os.pwrite(fd, data, at + done)
                    data = data[k:]
                    done += k
        self.offset += done
        return done

    def _splice_skip(self, n: int) -> int:
        done = 0
        try:
            if self._null is None:
                self._null = os.open(os.devnull, os.O_WRONLY | os.O_CLOEXEC)
                import weakref  # only for a pipe read by splice

                weakref.finalize(self, os.close, self._null)
            fd = self.f.fileno()
            while done < n:
                got = os.splice(fd, self._null, min(n - done, 1 << 30))
                if not got:
                    self._eof = True
                    break
                done += got
        except OSError:
            self._splice = False  # not spliceable after all: read from here on
        return done

    def _read_skip(self, n: int) -> int:
        if self._view is None:
            self._view = memoryview(bytearray(_CHUNK))
        readinto = getattr(self.f, "readinto", None)
        done = 0
        while done < n:
            want = min(_CHUNK, n - done)
            got = readinto(self._view[:want]) if readinto else len(self.f.read(want))
            if not got:
                break
            done += got
        return done


def _has_fileno(f: BinaryIO) -> bool:
    try:
        f.fileno()
    except (OSError, ValueError, io.UnsupportedOperation, AttributeError):
        return False
    return True


class LegacyAmbiguous(ReadError):
    """A legacy image reads completely as more than one toolstack width and guest type
    (``candidates``). Not a fault of the image: the caller must say which one (exit
    status 2 on the command line, with the flags that choose)."""

    def __init__(self, offset: int, message: str, candidates: list[tuple[int, str]]) -> None:
        super().__init__(offset, message, layer="legacy", rule=None)
        self.candidates = candidates
