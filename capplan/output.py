"""Writing results: all or nothing, never over an input file, never over a device.

A regular file (or a new path) is replaced whole through a temporary file; anything else a
path can name (a device, a FIFO, a terminal, /dev/stdout) is written into, because renaming
a file over it would destroy it: `-o /dev/null` run as root must not replace /dev/null.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

# Defined with the rest of the error family; still importable from here, as before.
from capplan.errors import OutputError as OutputError  # noqa: PLC0414

# Linux resolves /dev/stdout and /dev/fd/N to these folders; other systems mount /dev/fd.
#: Compiled on first use (by re's cache), as only ``-o`` needs it: start-up pays nothing.
_DESCRIPTOR_FOLDER = r"/proc/(?P<pid>\d+)(?:/task/\d+)?/fd|/dev/fd"
_MAX_LINKS = 40  # the kernel's own limit on links followed in one lookup
_SLICE = 1 << 20  # characters written to standard output at a time


def write_atomically(target: str | os.PathLike[str], text: str,
                     inputs: Iterable[str | os.PathLike[str]] = ()) -> None:
    """Write *text* to *target*, replacing a regular file whole and writing into anything else.

    A regular file or a new path is replaced through a temporary file renamed into place: a
    reader sees the old file or the complete new one, never a partial one, and on any failure
    *target* is left as it was. A symlink is followed: its target is replaced, the link kept.
    A device, a FIFO or a descriptor path (/dev/stdout, /dev/fd/N, /proc/self/fd/N) is written
    into and stays what it was. A regular file that is one of *inputs* is never written.
    """
    name = os.fspath(target)
    data = text.encode("utf-8")
    descriptor = _descriptor(name)
    status = _status(name)
    if status is not None and stat.S_ISDIR(status.st_mode):
        raise OutputError(f"cannot write {name}: it is a directory")
    if status is not None and stat.S_ISREG(status.st_mode):
        for source in inputs:
            if _same_file(Path(name), Path(source)):
                raise OutputError(
                    f"refusing to overwrite the input file {source} with the output")
    if descriptor is not None and descriptor[0]:
        # Our own descriptor: writing to it keeps the shell's offset and append mode, where
        # reopening the path would start at byte 0 of a file opened with >>.
        _write_descriptor(name, descriptor[1], data)
    elif status is not None and stat.S_ISSOCK(status.st_mode):
        raise OutputError(f"cannot write {name}: it is a socket, which is not opened as a file")
    elif descriptor is not None or (status is not None and not stat.S_ISREG(status.st_mode)):
        _write_into(name, data, truncate=status is not None and stat.S_ISREG(status.st_mode))
    else:
        _replace(name, data, status)


def write_new(target: str | os.PathLike[str], text: str) -> None:
    """Create *target* with *text*, complete or not at all; refuse if it already exists.

    The text goes to a temporary file that is then hard-linked into place: the link fails
    if *target* exists, even when another process creates it meanwhile. An existing device,
    FIFO or symlink is refused like an existing file.
    """
    path = Path(target)
    if path.exists() or path.is_symlink():
        raise OutputError(_exists_message(path))
    folder = path.parent
    if not folder.is_dir():
        raise OutputError(f"cannot write {target}: folder '{folder}' does not exist")
    temporary = _temporary_copy(path, text.encode("utf-8"), _default_mode())
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise OutputError(_exists_message(path)) from None
    except OSError as error:
        raise _cannot(path, error) from None
    finally:
        Path(temporary).unlink(missing_ok=True)


def write_standard_output(text: str) -> None:
    """Write *text* to standard output now; a failed write is an OutputError.

    A reader that left (BrokenPipeError) is not an error of ours: it propagates as it is.
    """
    stream = sys.stdout
    if stream is None:  # the shell closed descriptor 1 (1>&-) before capplan started
        raise OutputError("cannot write standard output: it is closed (use -o FILE)")
    try:
        # A slice at a time: the encoder holds one slice's bytes, not a whole failover's.
        for start in range(0, len(text), _SLICE):
            stream.write(text[start:start + _SLICE])
        stream.flush()
    except BrokenPipeError:
        raise
    except OSError as error:
        _discard_pending(stream)
        raise OutputError(f"cannot write standard output: {error.strerror or error}") from None


def _replace(name: str, data: bytes, status: os.stat_result | None) -> None:
    """Replace the regular file (or create the new path) *name* leads to, in one rename."""
    folder = Path(name).parent
    if not folder.is_dir():
        raise OutputError(f"cannot write {name}: folder '{folder}' does not exist")
    real = Path(os.path.realpath(name))
    if not real.parent.is_dir():  # a dangling symlink into a missing folder
        raise OutputError(f"cannot write {name}: folder '{real.parent}' does not exist")
    # A replaced file keeps its permissions: a plan kept private stays private.
    mode = stat.S_IMODE(status.st_mode) if status is not None else _default_mode()
    temporary = _temporary_copy(real, data, mode, shown=name)
    try:
        os.replace(temporary, real)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise _cannot(name, error) from None
        raise


def _write_descriptor(name: str, descriptor: int, data: bytes) -> None:
    """Write *data* to this process's open *descriptor*, which stays open."""
    try:
        _write_all(descriptor, data)
    except OSError as error:
        raise _cannot(name, error) from None


def _write_into(name: str, data: bytes, *, truncate: bool) -> None:
    """Open *name* (a device, a FIFO, another process's descriptor) and write *data* into it.

    A FIFO without a reader waits for one, as a shell redirection does.
    """
    flags = os.O_WRONLY | getattr(os, "O_NOCTTY", 0) | (os.O_TRUNC if truncate else 0)
    try:
        descriptor = os.open(name, flags)
    except OSError as error:
        raise _cannot(name, error) from None
    try:
        _write_all(descriptor, data)
    except BaseException as error:
        with contextlib.suppress(OSError):  # the write's error is the one worth reporting
            os.close(descriptor)
        if isinstance(error, OSError):
            raise _cannot(name, error) from None
        raise
    try:
        # Network file systems report a failed write only here.
        os.close(descriptor)
    except OSError as error:
        raise _cannot(name, error) from None


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(descriptor, view)
        if written <= 0:
            raise OSError(errno.EIO, "the file took no more data")
        view = view[written:]


def _temporary_copy(path: Path, data: bytes, mode: int, shown: str | None = None) -> str:
    """*data* written and synced to a fresh temporary file beside *path*; its name."""
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                                 dir=path.parent)
    except OSError as error:
        raise _cannot(shown or path, error) from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            # A full disk may only show here (delayed allocation, network file systems).
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise _cannot(shown or path, error) from None
        raise
    return temporary


def _descriptor(name: str) -> tuple[bool, int] | None:
    """(ours, number) when *name* leads through a descriptor folder, else None.

    /dev/stdout, /dev/fd/1 and /proc/self/fd/1 all do, as does a symlink to any of them;
    the file behind such a path is whatever the descriptor has open, not a directory entry.
    """
    current = os.path.abspath(name)
    for _ in range(_MAX_LINKS):
        folder = os.path.realpath(os.path.dirname(current))
        base = os.path.basename(current)
        match = re.fullmatch(_DESCRIPTOR_FOLDER, folder)
        if match is not None and base.isdigit():
            pid = match.group("pid")
            return (pid is None or int(pid) == os.getpid(), int(base))
        try:
            link = os.readlink(os.path.join(folder, base))
        except OSError:
            return None
        current = os.path.join(folder, link)
    return None


def _status(name: str) -> os.stat_result | None:
    """What *name* leads to once symlinks are followed; None when nothing is there yet."""
    try:
        return os.stat(name)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise _cannot(name, error) from None


def _discard_pending(stream: TextIO) -> None:
    """Point *stream*'s descriptor at the null device, so the unwritten text is dropped.

    Otherwise the interpreter retries the flush on exit and prints its own second error.
    """
    try:
        descriptor = stream.fileno()
        null = os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError):
        return  # not a real file (a test runner's buffer): nothing is retried on exit
    try:
        os.dup2(null, descriptor)
    finally:
        os.close(null)


def _cannot(target: str | os.PathLike[str], error: OSError) -> OutputError:
    return OutputError(f"cannot write {os.fspath(target)}: {error.strerror or error}")


def _exists_message(path: Path) -> str:
    message = f"{path} already exists; capplan init never overwrites a file"
    if path.exists() and not path.is_file():
        return f"{message} (use 'capplan init -' to print the example)"
    return f"{message} (choose another PATH or remove it)"


def _default_mode() -> int:
    """The mode a plain open() would give a new file: 0o666 less the umask."""
    # mkstemp makes the file private (0o600); an output file should look like any other.
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _same_file(first: Path, second: Path) -> bool:
    try:
        return first.exists() and second.exists() and os.path.samefile(first, second)
    except OSError:
        return first.resolve() == second.resolve()
