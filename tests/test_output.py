"""Output files are written whole or not at all, and never over an input."""

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
