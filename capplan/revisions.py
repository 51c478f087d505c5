"""Topology files as they stand in a git revision: ``git:REF:PATH``.

Any command that reads a topology reads ``git:main:capacity/site.yaml`` as ``git show
main:capacity/site.yaml`` prints it (PATH from the repository's root, or from here with
``./``), run in the current directory; ``diff`` compares a pull request with its base
that way. git is run with its arguments as a list and REF:PATH on its standard input, so
nothing in a name is ever a shell word or an option.
"""

from __future__ import annotations

from collections.abc import Callable

from capplan.errors import InvalidArgument, InvalidInput, Problem, SourceUnavailable
from capplan.loader import GIT_PREFIX, MAX_FILE_BYTES


def is_revision(name: str) -> bool:
    """Whether *name* is git:REF:PATH rather than a file."""
    return name.startswith(GIT_PREFIX)


def path_of(name: str) -> str:
    """PATH of git:REF:PATH (the file a pull request shows), else *name* itself."""
    return name.removeprefix(GIT_PREFIX).partition(":")[2] if is_revision(name) else name


def read_revision(name: str) -> bytes:
    """The bytes of git:REF:PATH as ``git show REF:PATH`` names them; a refusal names it.

    Read with ``git cat-file --follow-symlinks``: a topology kept as a symbolic link (as
    examples/blueprint.yaml is) is a blob holding the link's target, which ``git show``
    prints as it is. REF and PATH go on standard input, so neither is ever an option.
    """
    ref, _, path = name.removeprefix(GIT_PREFIX).partition(":")
    if not ref or not path or "\n" in name:
        # A line break would end the request git reads on its standard input.
        written = name.replace("\n", "\\n")
        raise InvalidArgument(f"{written}: expected git:REF:PATH on one line, e.g. "
                              "git:main:site.yaml")
    spec = f"{ref}:{path}"

    def refused(reason: str) -> InvalidInput:
        return InvalidInput([Problem(name, 1, 1, f"git show {spec}: {reason}")])

    header = _git(name, ["cat-file", "--batch-check", "--follow-symlinks"], spec, refused)
    kind, _, rest = header.decode("utf-8", "replace").rstrip("\n").partition(" ")
    if rest.startswith("blob "):
        if int(rest.split()[-1]) > MAX_FILE_BYTES:
            raise refused(f"file larger than {MAX_FILE_BYTES // 2**20} MiB: not a topology "
                          "file")
        shown = _git(name, ["cat-file", "--batch", "--follow-symlinks"], spec, refused)
        return shown.partition(b"\n")[2].removesuffix(b"\n")
    if rest.startswith("tree "):
        raise refused("a folder, not a file")
    if kind in ("symlink", "dangling", "loop", "notdir"):
        raise refused({"symlink": "a symbolic link out of the repository",
                       "dangling": "a symbolic link to nothing",
                       "loop": "symbolic links in a loop",
                       "notdir": "a symbolic link through a file"}[kind])
    # Missing or ambiguous: git show says which part it could not find, in its own words.
    _git(name, ["show", "--end-of-options", spec], None, refused)
    raise refused("not found")


def _git(name: str, arguments: list[str], request: str | None,
         refused: Callable[[str], Exception]) -> bytes:
    """The standard output of git *arguments* (*request* on its standard input), run here."""
    import subprocess

    try:
        process = subprocess.run(["git", "--no-pager", *arguments], capture_output=True,
                                 input=None if request is None else f"{request}\n".encode(),
                                 stdin=subprocess.DEVNULL if request is None else None,
                                 check=False)
    except OSError as error:
        raise SourceUnavailable(f"{name}: cannot run git ({error.strerror}): install git, "
                                "or give the file itself") from None
    if process.returncode != 0:
        complaint = process.stderr.decode("utf-8", "replace")
        said = [line.removeprefix("fatal: ") for line in complaint.splitlines() if line.strip()]
        raise refused(said[-1] if said else f"git exited with status {process.returncode}")
    return process.stdout
