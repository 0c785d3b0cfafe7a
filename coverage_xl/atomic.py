"""Write outputs so that nothing is ever lost: temporary file, fsync, rename, keep a backup.

A run killed half-way (power cut, Ctrl+C, SIGKILL) leaves either the old file or the new one, never a
torn one. The previous version of an output is kept beside it as ``name.bak.xlsx`` so that a clerk
can go back one run. Input files are never written: callers pass only output paths here.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from coverage_xl.errors import OutputError

STALE_AFTER_SECONDS = 3600  # a temporary file this old belongs to a run that was killed


def sweep_stale_temporaries(target: Path) -> list[Path]:
    """Remove temporary files that a killed run left beside ``target`` (``.~stem.XXXX.ext`` older than
    an hour): they are hidden and never read, but they should not pile up in a clerk's folder."""
    import time

    removed = []
    now = time.time()
    for p in target.parent.glob(f".~{target.stem}.*{target.suffix}"):
        try:
            if now - p.stat().st_mtime > STALE_AFTER_SECONDS:
                p.unlink()
                removed.append(p)
        except OSError:
            continue
    return removed


def backup_path(path: Path) -> Path:
    """``master.xlsm`` -> ``master.bak.xlsm`` (same folder, keeps the extension Excel knows)."""
    return path.with_name(f"{path.stem}.bak{path.suffix}")


@contextlib.contextmanager
def atomic_path(target: str | Path, *, backup: bool = True) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; on success it replaces ``target`` atomically.

    On any exception the temporary file is removed and ``target`` is left as it was.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        sweep_stale_temporaries(target)
        fd, tmp_name = tempfile.mkstemp(prefix=f".~{target.stem}.", suffix=target.suffix, dir=target.parent)
        os.close(fd)
    except OSError as exc:
        raise OutputError(f"无法在“{target.parent}”中写入文件：{exc.strerror or exc}。请检查文件夹是否存在、是否有写入权限。") from exc
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        if backup and target.exists():
            shutil.copy2(target, backup_path(target))
        os.replace(tmp, target)
    except PermissionError as exc:
        raise OutputError(
            f"无法写入“{target}”：文件可能正在 Excel/WPS 中打开，请关闭后重试。"
        ) from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_atomic(target: str | Path, writer: Callable[[Path], object], *, backup: bool = True) -> Path:
    """Call ``writer(tmp_path)`` and move the result to ``target`` atomically."""
    with atomic_path(target, backup=backup) as tmp:
        writer(tmp)
    return Path(target)


def write_bytes_atomic(target: str | Path, data: bytes, *, backup: bool = False) -> Path:
    return write_atomic(target, lambda p: p.write_bytes(data), backup=backup)


def write_text_atomic(target: str | Path, text: str, *, encoding: str = "utf-8", backup: bool = False) -> Path:
    return write_atomic(target, lambda p: p.write_text(text, encoding=encoding, newline=""), backup=backup)
