"""Output files are written whole or not at all, never over an input, never over a device."""

import errno
import json
import os
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from capplan.output import OutputError, write_atomically, write_new


def test_writes_the_whole_text(tmp_path: Path) -> None:
    """A written file holds exactly the text, and no temporary file remains."""
    target = tmp_path / "plan.json"
    write_atomically(target, "{}\n")
    assert target.read_text() == "{}\n"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


def test_replaces_an_existing_output(tmp_path: Path) -> None:
    """An old output is replaced in one step."""
    target = tmp_path / "plan.json"
    target.write_text("old")
    write_atomically(target, "new")
    assert target.read_text() == "new"


def test_refuses_a_missing_folder(tmp_path: Path) -> None:
    """A missing folder is named, not created."""
    with pytest.raises(OutputError, match="does not exist"):
        write_atomically(tmp_path / "missing" / "plan.json", "x")
    assert not (tmp_path / "missing").exists()


def test_refuses_to_overwrite_an_input(tmp_path: Path) -> None:
    """The input file survives a command that names it as the output."""
    source = tmp_path / "site.yaml"
    source.write_text("site: x\n")
    with pytest.raises(OutputError, match="refusing to overwrite the input"):
        write_atomically(tmp_path / "." / "site.yaml", "junk", inputs=[source])
    assert source.read_text() == "site: x\n"


def test_refuses_a_directory(tmp_path: Path) -> None:
    """A directory as the output is an error, not a crash."""
    with pytest.raises(OutputError, match="is a directory"):
        write_atomically(tmp_path, "x")


def test_failure_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the final rename fails, neither the target nor a temporary file is left."""
    def broken_replace(source: str, target: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("capplan.output.os.replace", broken_replace)
    with pytest.raises(OutputError, match="Permission denied"):
        write_atomically(tmp_path / "plan.json", "x")
    assert list(tmp_path.iterdir()) == []


def test_write_new_creates_the_file(tmp_path: Path) -> None:
    """write_new writes the whole text to a new file and leaves no temporary behind."""
    target = tmp_path / "new.yaml"
    write_new(target, "site: x\n")
    assert target.read_text() == "site: x\n"
    assert [path.name for path in tmp_path.iterdir()] == ["new.yaml"]


def test_write_new_never_overwrites(tmp_path: Path) -> None:
    """An existing file is refused and left exactly as it was."""
    target = tmp_path / "mine.yaml"
    target.write_text("precious\n")
    with pytest.raises(OutputError, match="already exists"):
        write_new(target, "site: x\n")
    assert target.read_text() == "precious\n"
    assert [path.name for path in tmp_path.iterdir()] == ["mine.yaml"]


# --- what a path can name besides a regular file --------------------------------------------
# Device nodes and FIFOs are made in tmp_path; /dev itself is never written by these tests.

ROOT = Path(__file__).resolve().parent.parent
BLUEPRINT = ROOT / "examples" / "blueprint.yaml"
NULL_MINOR, FULL_MINOR = 3, 7  # Linux's memory devices: major 1


def _device(folder: Path, name: str, minor: int) -> Path:
    """A character device node like /dev/null (minor 3) or /dev/full (minor 7) in *folder*."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the memory device numbers are Linux's")
    path = folder / name
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
    except PermissionError:
        pytest.skip("making a device node needs root (CAP_MKNOD)")
    try:
        os.close(os.open(path, os.O_WRONLY))
    except OSError as error:  # a file system mounted nodev
        pytest.skip(f"device nodes cannot be opened in {folder}: {error.strerror}")
    return path


def _is_device(path: Path, minor: int) -> bool:
    status = os.lstat(path)
    return stat.S_ISCHR(status.st_mode) and status.st_rdev == os.makedev(1, minor)


def _drain(fifo: Path) -> tuple[threading.Thread, list[bytes]]:
    """A reader thread that reads *fifo* to its end; what it read, once joined."""
    received: list[bytes] = []

    def read() -> None:
        with fifo.open("rb") as handle:
            received.append(handle.read())

    # A daemon, so that a writer that never opens the FIFO (the bug) cannot hang the run.
    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread, received


def _capplan(*args: str, stdout: int | None = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "capplan", *args], stdout=stdout,
                          stderr=subprocess.PIPE, text=True, check=False, timeout=60)


def _assert_one_error(stderr: str, message: str) -> None:
    """*stderr* ends with the one line `capplan: error: <message>`, with no traceback."""
    # Notes a command prints on stderr before writing (which counts an export used) may
    # precede it; nothing Python-worded may follow or surround it.
    assert stderr.endswith(f"capplan: error: {message}\n")
    assert stderr.count("capplan: error:") == 1
    for noise in ("Traceback", "internal error", "Exception ignored"):
        assert noise not in stderr


def test_a_null_device_stays_a_device(tmp_path: Path) -> None:
    """Writing to a /dev/null-like node writes into it; the node is not replaced by a file."""
    null = _device(tmp_path, "null", NULL_MINOR)
    write_atomically(null, "{}\n")
    assert _is_device(null, NULL_MINOR)
    assert [path.name for path in tmp_path.iterdir()] == ["null"]


def test_a_full_device_is_an_output_error(tmp_path: Path) -> None:
    """ENOSPC from a /dev/full-like node is an OutputError naming the path and the reason."""
    full = _device(tmp_path, "full", FULL_MINOR)
    with pytest.raises(OutputError) as raised:
        write_atomically(full, "{}\n")
    assert str(raised.value) == f"cannot write {full}: No space left on device"
    assert _is_device(full, FULL_MINOR)
    assert [path.name for path in tmp_path.iterdir()] == ["full"]


def test_a_fifo_receives_the_text_and_stays_a_fifo(tmp_path: Path) -> None:
    """A FIFO is written into: its reader gets the whole text, and the FIFO remains."""
    fifo = tmp_path / "plan.fifo"
    os.mkfifo(fifo)
    text = "x" * 300_000 + "\n"  # several pipe buffers: the writer must wait for the reader
    thread, received = _drain(fifo)
    write_atomically(fifo, text)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    thread.join(timeout=10)
    assert received == [text.encode()]
    assert [path.name for path in tmp_path.iterdir()] == ["plan.fifo"]


def test_a_fifo_whose_reader_leaves_is_an_output_error(tmp_path: Path) -> None:
    """EPIPE (the reader closed early) is an OutputError, and the FIFO remains."""
    fifo = tmp_path / "plan.fifo"
    os.mkfifo(fifo)

    def read_a_little() -> None:
        with fifo.open("rb", buffering=0) as handle:
            handle.read(1)

    thread = threading.Thread(target=read_a_little, daemon=True)
    thread.start()
    with pytest.raises(OutputError, match=r"plan\.fifo: Broken pipe"):
        write_atomically(fifo, "x" * 1_000_000)  # more than a pipe holds: EPIPE is certain
    thread.join(timeout=10)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_socket_is_refused_and_kept(tmp_path: Path) -> None:
    """A Unix socket cannot be opened as a file: an OutputError, and the socket remains."""
    path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))
        with pytest.raises(OutputError, match="it is a socket"):
            write_atomically(path, "x")
        assert stat.S_ISSOCK(os.lstat(path).st_mode)


@pytest.mark.parametrize("folder", ["/proc/self/fd", "/dev/fd"])
def test_a_descriptor_path_writes_to_the_descriptor(tmp_path: Path, folder: str) -> None:
    """/proc/self/fd/N and /dev/fd/N write to descriptor N, keeping what it already holds."""
    if not Path(folder).is_dir():
        pytest.skip(f"no {folder} here")
    log = tmp_path / "log"
    log.write_text("earlier line\n")
    descriptor = os.open(log, os.O_WRONLY | os.O_APPEND)  # as a shell's >> opens it
    try:
        write_atomically(f"{folder}/{descriptor}", "{}\n")
        os.write(descriptor, b"later line\n")
    finally:
        os.close(descriptor)
    assert log.read_text() == "earlier line\n{}\nlater line\n"
    assert [path.name for path in tmp_path.iterdir()] == ["log"]


def test_a_symlink_to_a_descriptor_is_a_descriptor(tmp_path: Path) -> None:
    """A symlink leading to /proc/self/fd/N is written through to descriptor N."""
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("no /proc/self/fd here")
    log = tmp_path / "log"
    log.write_text("kept\n")
    link = tmp_path / "out"
    descriptor = os.open(log, os.O_WRONLY | os.O_APPEND)
    try:
        link.symlink_to(f"/proc/self/fd/{descriptor}")
        write_atomically(link, "new\n")
    finally:
        os.close(descriptor)
    assert log.read_text() == "kept\nnew\n"
    assert link.is_symlink()


def test_a_closed_descriptor_is_an_output_error(tmp_path: Path) -> None:
    """A descriptor path whose descriptor is not open is an OutputError, not a new file."""
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("no /proc/self/fd here")
    descriptor = os.open(tmp_path, os.O_RDONLY)
    os.close(descriptor)  # a number that is now certainly free
    with pytest.raises(OutputError, match=f"cannot write /proc/self/fd/{descriptor}: "):
        write_atomically(f"/proc/self/fd/{descriptor}", "x")


def test_a_symlink_is_followed_and_kept(tmp_path: Path) -> None:
    """A symlink to a regular file: the target is replaced with the text, the link stays."""
    target = tmp_path / "real.json"
    target.write_text("old")
    link = tmp_path / "plan.json"
    link.symlink_to("real.json")
    write_atomically(link, "new")
    assert link.is_symlink()
    assert os.readlink(link) == "real.json"
    assert target.read_text() == "new"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["plan.json", "real.json"]


def test_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    """A symlink to a file not yet there creates that file, and the link stays a link."""
    link = tmp_path / "plan.json"
    link.symlink_to("out/real.json")
    (tmp_path / "out").mkdir()
    write_atomically(link, "new")
    assert link.is_symlink()
    assert (tmp_path / "out" / "real.json").read_text() == "new"


def test_a_replaced_file_keeps_its_permissions(tmp_path: Path) -> None:
    """Replacing an existing output keeps its mode (a private plan stays private)."""
    target = tmp_path / "plan.json"
    target.write_text("old")
    target.chmod(0o600)
    write_atomically(target, "new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


@pytest.mark.parametrize("through", ["output", "input"])
def test_an_input_reached_through_a_symlink_is_refused(tmp_path: Path, through: str) -> None:
    """The input survives when the output, or the input, is named through a symlink."""
    source = tmp_path / "site.yaml"
    source.write_text("site: x\n")
    link = tmp_path / "link.yaml"
    link.symlink_to(source)
    output, given = (link, source) if through == "output" else (source, link)
    with pytest.raises(OutputError, match="refusing to overwrite the input"):
        write_atomically(output, "junk", inputs=[given])
    assert source.read_text() == "site: x\n"
    assert link.is_symlink()


def test_a_failed_sync_leaves_the_old_file(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """ENOSPC showing only at fsync is an OutputError; the old output stays, no temporary."""
    target = tmp_path / "plan.json"
    target.write_text("old")

    def full(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("capplan.output.os.fsync", full)
    with pytest.raises(OutputError, match="No space left on device"):
        write_atomically(target, "new")
    assert target.read_text() == "old"
    assert [path.name for path in tmp_path.iterdir()] == ["plan.json"]


def test_a_failed_close_is_an_output_error(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """An error reported only when a written-into device is closed is an OutputError."""
    null = _device(tmp_path, "null", NULL_MINOR)
    real_open, real_close = os.open, os.close
    opened: list[int] = []

    def recording_open(path: str, flags: int, *args: int) -> int:
        descriptor = real_open(path, flags, *args)
        if os.fspath(path) == str(null):
            opened.append(descriptor)
        return descriptor

    def failing_close(descriptor: int) -> None:
        real_close(descriptor)
        if descriptor in opened:
            raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr("capplan.output.os.open", recording_open)
    monkeypatch.setattr("capplan.output.os.close", failing_close)
    with pytest.raises(OutputError, match=f"cannot write {null}: Input/output error"):
        write_atomically(null, "x")
    monkeypatch.undo()
    assert _is_device(null, NULL_MINOR)


def test_write_new_refuses_a_device_and_a_fifo(tmp_path: Path) -> None:
    """`init` onto an existing device or FIFO is refused, and both stay what they were."""
    null = _device(tmp_path, "null", NULL_MINOR)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path in (null, fifo):
        with pytest.raises(OutputError, match=r"already exists.*capplan init -"):
            write_new(path, "site: x\n")
    assert _is_device(null, NULL_MINOR)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_write_new_reports_a_full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ENOSPC while `init` writes is an OutputError, and no file or temporary is left."""
    def full(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("capplan.output.os.fsync", full)
    with pytest.raises(OutputError, match=r"cannot write .*new\.yaml: No space left on device"):
        write_new(tmp_path / "new.yaml", "site: x\n")
    assert list(tmp_path.iterdir()) == []


# --- through the command line ---------------------------------------------------------------


@pytest.mark.parametrize("command", [
    ["plan", str(BLUEPRINT), "-f", "json"],
    ["export", str(BLUEPRINT), "--to", "terraform"],
    ["check", str(BLUEPRINT), "-f", "json"],
    ["schema"],
], ids=lambda command: command[0])
def test_cli_output_to_a_full_device_is_exit_2(tmp_path: Path, command: list[str]) -> None:
    """`-o <full device>` exits 2 with one `capplan: error:` line and keeps the device."""
    full = _device(tmp_path, "full", FULL_MINOR)
    completed = _capplan(*command, "-o", str(full))
    assert completed.returncode == 2
    _assert_one_error(completed.stderr, f"cannot write {full}: No space left on device")
    assert _is_device(full, FULL_MINOR)


@pytest.mark.parametrize("command", [["plan", str(BLUEPRINT), "-f", "json"], ["init", "-"]],
                         ids=lambda command: command[0])
def test_cli_standard_output_on_a_full_device_is_exit_2(tmp_path: Path,
                                                        command: list[str]) -> None:
    """Standard output on a full device exits 2 with one line, no internal error."""
    full = _device(tmp_path, "full", FULL_MINOR)
    with full.open("wb") as stdout:
        completed = _capplan(*command, stdout=stdout.fileno())
    assert completed.returncode == 2
    _assert_one_error(completed.stderr, "cannot write standard output: No space left on device")


def test_cli_output_to_a_fifo(tmp_path: Path) -> None:
    """`-o FIFO` delivers the plan to the reader and leaves the FIFO in place."""
    fifo = tmp_path / "plan.fifo"
    os.mkfifo(fifo)
    thread, received = _drain(fifo)
    completed = _capplan("plan", str(BLUEPRINT), "-f", "json", "-o", str(fifo))
    assert completed.returncode == 0, completed.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    thread.join(timeout=10)
    assert json.loads(received[0])["site"] == "zope-cluster"


def test_cli_output_to_its_own_descriptor_appends(tmp_path: Path) -> None:
    """`-o /proc/self/fd/1` with stdout appended to a log adds to the log, not over it."""
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("no /proc/self/fd here")
    log = tmp_path / "log"
    log.write_text("earlier line\n")
    with log.open("a") as stdout:
        completed = _capplan("plan", str(BLUEPRINT), "-f", "json", "-o", "/proc/self/fd/1",
                             stdout=stdout.fileno())
    assert completed.returncode == 0, completed.stderr
    earlier, plan = log.read_text().split("\n", 1)
    assert earlier == "earlier line"
    assert json.loads(plan)["site"] == "zope-cluster"
