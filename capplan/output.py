"""Writing results: all or nothing, and never over an input file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


class OutputError(Exception):
    """The output file cannot be written; the message says why."""


def write_atomically(target: str | os.PathLike[str], text: str,
                     inputs: Iterable[str | os.PathLike[str]] = ()) -> None:
    """Write *text* to *target* through a temporary file renamed into place.

    A reader sees the old file or the complete new one, never a partial one; on any
    failure the temporary file is removed and *target* is left as it was.
    """
    path = Path(target)
    folder = path.parent
    if not folder.is_dir():
        raise OutputError(f"cannot write {target}: folder '{folder}' does not exist")
    if path.is_dir():
        raise OutputError(f"cannot write {target}: it is a directory")
    for source in inputs:
        if _same_file(path, Path(source)):
            raise OutputError(f"refusing to overwrite the input file {source} with the output")
    temporary = _temporary_copy(path, text)
    try:
        os.replace(temporary, path)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise OutputError(f"cannot write {target}: {error.strerror or error}") from None
        raise


def write_new(target: str | os.PathLike[str], text: str) -> None:
    """Create *target* with *text*, complete or not at all; refuse if it already exists.

    The text goes to a temporary file that is then hard-linked into place: the link fails
    if *target* exists, even when another process creates it meanwhile.
    """
    path = Path(target)
    if path.exists() or path.is_symlink():
        raise OutputError(f"{target} already exists; capplan init never overwrites a file "
                          "(choose another PATH or remove it)")
    folder = path.parent
    if not folder.is_dir():
        raise OutputError(f"cannot write {target}: folder '{folder}' does not exist")
    temporary = _temporary_copy(path, text)
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise OutputError(f"{target} already exists; capplan init never overwrites a file "
                          "(choose another PATH or remove it)") from None
    except OSError as error:
        raise OutputError(f"cannot write {target}: {error.strerror or error}") from None
    finally:
        Path(temporary).unlink(missing_ok=True)


def _temporary_copy(path: Path, text: str) -> str:
    """*text* written and synced to a fresh temporary file beside *path*; its name."""
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                             dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, _default_mode())
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
        raise
    return temporary


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
