"""The one output guard: every file coverage-xl writes goes through this module.

Why one place: a clerk's folder holds 120,000 people's data in files other people made. A command that
writes over a unit's submission, over a file a town filled in, or over the history of the master,
loses work that cannot be rebuilt. So one function, :func:`may_write`, decides whether a command may
write a path, and every writer (xlsx, xlsm, docx, csv, json) writes through :func:`output`, which asks
it first. The rules:

* **Never an input.** A path that is an input of the run, or lies inside a folder the run reads, is
  refused (:func:`declare_inputs`; the CLI declares every path argument).
* **Never a file we did not make.** An existing file is replaced only when this tool made it, for the
  same command, and nobody changed it since. Office files (xlsx, xlsm, docx) carry the **marker**: a
  custom document property ``coverage-xl`` = ``KIND;DIGEST`` (the command that wrote it and a digest
  of the package's content parts, read from the zip directory). Excel, WPS and LibreOffice keep custom
  properties; a save by any of them changes the content, so the digest tells an edited file apart.
  CSV and JSON files have no place for a property: they are listed with their SHA-256 in a manifest,
  ``.coverage-xl.json``, in the same folder.
* **Updating** (writing a job's own sheets into an existing workbook, keeping the other sheets) is
  allowed only into a workbook that carries the marker of the master or of a consolidate/dispatch
  output — edits there are expected (单位设置, own sheets).
* **Backups rotate.** The version being replaced is copied first to ``coverage-xl备份/`` beside it as
  ``NAME.YYYYMMDD-HHMMSS.EXT``; the last :func:`keep_backups` (default 5, ``COVERAGE_XL_BACKUPS``)
  of each name are kept.
* **Atomic.** The new version is written to a hidden temporary file in the same folder, fsynced and
  renamed over the target; any failure (disk full, no permission, Ctrl-C) leaves the old file as it
  was and becomes an :class:`OutputError` naming the path. Outputs keep the permissions of the file
  they replace.
* **A set of documents** (``notices``) is written into a temporary folder and swapped in as a whole
  (:func:`output_folder`): the folder holds the old set or the new one, never a mix.
* **The master is locked** while it is read and rewritten (:func:`locked`): a lock file beside it
  names the owner, pid and time; a lock whose process is gone, or that is older than an hour, is stale.

This module uses the standard library only (and defusedxml), so any layer may call it.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import errno
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import stat
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

from defusedxml.ElementTree import fromstring as safe_fromstring

from coverage_xl.errors import OutputError

# --------------------------------------------------------------------------------------------- names

MARKER_NAME = "coverage-xl"
MANIFEST_NAME = ".coverage-xl.json"
BACKUP_DIR_NAME = "coverage-xl备份"
BACKUPS_ENV = "COVERAGE_XL_BACKUPS"
DEFAULT_BACKUPS = 5
LOCK_WAIT_ENV = "COVERAGE_XL_LOCK_WAIT"
DEFAULT_LOCK_WAIT_SECONDS = 120.0
STALE_LOCK_SECONDS = 3600
STALE_AFTER_SECONDS = 3600  # a temporary file this old belongs to a run that was killed
OOXML_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm", ".xlam", ".docx", ".docm")
# Kinds whose workbook a job may *update* (replace its own sheets, keep the rest).
UPDATABLE_KINDS = frozenset({"master", "consolidate", "dispatch"})
# Kinds of files that go to the towns and come back filled in: read as submissions. Every other
# output of ours (an annotated copy, the master, a follow-up list …) is never a unit's submission.
SUBMISSION_KINDS = frozenset({"templates", "prefill"})
# The command a clerk typed for each kind that is not a command name itself (for messages).
KIND_COMMANDS = {"annotate": "validate --annotate", "lists": "dispatch --lists", "ledger": "ledger"}


def command_of(kind: str) -> str:
    return KIND_COMMANDS.get(kind, kind)

CUSTOM_PART = "docProps/custom.xml"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
CT_CUSTOM = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
RT_CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
# Parts that change when only the marker changes, or that every application rewrites on save
# (times, author, application name): left out of the digest.
_NOT_CONTENT = ("[Content_Types].xml", "_rels/.rels")


# --------------------------------------------------------------------------------------------- the run

@dataclass
class Run:
    """What one command run reads and writes: the guard refuses to write over the former and writes
    each of the latter once."""

    inputs: set[Path] = field(default_factory=set)
    folders: set[Path] = field(default_factory=set)
    claimed: set[Path] = field(default_factory=set)
    written: list[Path] = field(default_factory=list)  # outputs really replaced (not staged)
    staging: set[Path] = field(default_factory=set)  # folders of a set being written (output_folder)


_RUN: contextvars.ContextVar[Run | None] = contextvars.ContextVar("coverage_xl_run", default=None)


@contextlib.contextmanager
def session() -> Iterator[Run]:
    """One command run (the CLI opens one per command, the Excel macros one per button)."""
    token = _RUN.set(Run())
    try:
        yield _RUN.get()  # type: ignore[misc]
    finally:
        _RUN.reset(token)


def current_run() -> Run:
    run = _RUN.get()
    return run if run is not None else Run()  # a library call outside a command: nothing to remember


def _key(path: str | Path) -> Path:
    p = Path(path).expanduser()
    try:
        return p.resolve()
    except OSError:
        return p.absolute()


def declare_inputs(*paths: str | Path | Iterable[str | Path] | None) -> None:
    """Record what this run reads: files are never written, folders are never written into."""
    run = current_run()
    for item in paths:
        if item is None:
            continue
        items = [item] if isinstance(item, str | Path) else list(item)
        for p in items:
            if p is None:
                continue
            k = _key(p)
            (run.folders if k.is_dir() else run.inputs).add(k)


# --------------------------------------------------------------------------------------------- the marker

@dataclass(frozen=True)
class Marker:
    kind: str
    digest: str
    current: str  # the digest of the file as it is now

    @property
    def unchanged(self) -> bool:
        return self.digest == self.current


def content_digest(zf: zipfile.ZipFile) -> str:
    """A digest of the package's content parts from the zip directory alone (name, CRC, size): cheap,
    and any save by Excel/WPS/LibreOffice changes it."""
    h = hashlib.sha256()
    for info in sorted(zf.infolist(), key=lambda i: i.filename):
        if info.filename in _NOT_CONTENT or info.filename.startswith("docProps/") or info.is_dir():
            continue
        h.update(f"{info.filename}\0{info.CRC:08x}\0{info.file_size}\n".encode())
    return h.hexdigest()[:32]


def _custom_value(xml: bytes) -> str | None:
    root = safe_fromstring(xml)
    for prop in root:
        if prop.get("name") == MARKER_NAME:
            for v in prop:
                return (v.text or "").strip()
    return None


def read_marker(path: str | Path) -> Marker | None:
    """The coverage-xl marker of an Office file, or None (not ours, not a zip, unreadable)."""
    try:
        with zipfile.ZipFile(path) as zf:
            if CUSTOM_PART not in zf.namelist():
                return None
            info = zf.getinfo(CUSTOM_PART)
            if info.file_size > 1_000_000:
                return None
            value = _custom_value(zf.read(CUSTOM_PART))
            if not value or ";" not in value:
                return None
            kind, digest = value.split(";", 1)
            return Marker(kind.strip(), digest.strip(), content_digest(zf))
    except Exception:  # any broken or hostile file is simply "not ours"
        return None


def _custom_xml(existing: bytes | None, value: str) -> bytes:
    ET.register_namespace("", CUSTOM_NS)
    ET.register_namespace("vt", VT_NS)
    root = ET.fromstring(existing) if existing else ET.Element(f"{{{CUSTOM_NS}}}Properties")
    pids = [2]
    for prop in list(root):
        if prop.get("name") == MARKER_NAME:
            root.remove(prop)
        else:
            with contextlib.suppress(TypeError, ValueError):
                pids.append(int(prop.get("pid", "1")) + 1)
    prop = ET.SubElement(root, f"{{{CUSTOM_NS}}}property", fmtid=FMTID, pid=str(max(pids)), name=MARKER_NAME)
    ET.SubElement(prop, f"{{{VT_NS}}}lpwstr").text = value
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + ET.tostring(root, encoding="utf-8")


def _with_custom_declared(ct: bytes, rels: bytes) -> tuple[bytes, bytes]:
    ET.register_namespace("", CT_NS)
    ct_root = ET.fromstring(ct)
    if not any(o.get("PartName") == "/" + CUSTOM_PART for o in ct_root.findall(f"{{{CT_NS}}}Override")):
        ET.SubElement(ct_root, f"{{{CT_NS}}}Override", PartName="/" + CUSTOM_PART, ContentType=CT_CUSTOM)
    ct_out = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + ET.tostring(ct_root, encoding="utf-8")
    ET.register_namespace("", REL_NS)
    rel_root = ET.fromstring(rels)
    if not any(r.get("Type") == RT_CUSTOM for r in rel_root):
        ids = {r.get("Id") for r in rel_root}
        n = 1
        while f"rIdCxl{n}" in ids:
            n += 1
        ET.SubElement(rel_root, f"{{{REL_NS}}}Relationship", Id=f"rIdCxl{n}", Type=RT_CUSTOM, Target=CUSTOM_PART)
    rels_out = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + ET.tostring(rel_root, encoding="utf-8")
    return ct_out, rels_out


def stamp(path: Path, kind: str) -> None:
    """Write the marker ``KIND;DIGEST`` into the Office file at ``path`` (a file we just wrote)."""
    with zipfile.ZipFile(path) as zf:
        digest = content_digest(zf)
        names = zf.namelist()
        existing = zf.read(CUSTOM_PART) if CUSTOM_PART in names else None
        if existing is not None and _custom_value(existing) == f"{kind};{digest}":
            return
        custom = _custom_xml(existing, f"{kind};{digest}")
        ct, rels = _with_custom_declared(zf.read("[Content_Types].xml"), zf.read("_rels/.rels"))
        replaced = {"[Content_Types].xml": ct, "_rels/.rels": rels, CUSTOM_PART: custom}
        tmp = path.with_name(path.name + ".stamp")
        with zipfile.ZipFile(tmp, "w") as out:
            for info in zf.infolist():
                data = replaced.pop(info.filename, None)
                if data is None:
                    data = zf.read(info)
                out.writestr(info, data, compress_type=info.compress_type)
            when = zf.infolist()[0].date_time if zf.infolist() else (1980, 1, 1, 0, 0, 0)
            for name, data in replaced.items():  # dated like the package: the same input gives the same bytes
                out.writestr(zipfile.ZipInfo(name, date_time=when), data, compress_type=zipfile.ZIP_DEFLATED)
    os.replace(tmp, path)


# --------------------------------------------------------------------------------------------- the manifest (CSV, JSON)

def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _read_manifest(folder: Path) -> dict[str, dict[str, str]]:
    try:
        data = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
        files = data.get("files", {})
        return {str(k): dict(v) for k, v in files.items() if isinstance(v, dict)}
    except (OSError, ValueError, AttributeError, TypeError):
        return {}


def _record_in_manifest(path: Path, kind: str) -> None:
    folder = path.parent
    files = _read_manifest(folder)
    files[path.name] = {"kind": kind, "sha256": _sha256(path), "written": dt.datetime.now().isoformat(timespec="seconds")}
    files = {n: v for n, v in files.items() if (folder / n).is_file()}
    text = json.dumps({"generator": MARKER_NAME, "files": files}, ensure_ascii=False, indent=1) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=".~manifest.", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, folder / MANIFEST_NAME)


# --------------------------------------------------------------------------------------------- ownership

@dataclass(frozen=True)
class Ownership:
    """Who made an existing file: ``kind`` is None when it is not ours; ``unchanged`` says whether it
    is still exactly what we wrote."""

    kind: str | None
    unchanged: bool


LEGACY_MASTER_TAB = b'id="cxlTab"'
"""The ribbon tab of the master: a master built before the marker existed carries it in its customUI
part, and nobody else's workbook does."""


def _legacy_master(path: Path) -> bool:
    """An .xlsm master made by a coverage-xl from before the marker: our ribbon tab and a 调度历史 sheet.

    Such a master is the bureau's, with weeks of history in it; recognising it lets ``master --force``
    carry that history over and lets consolidate/dispatch keep writing into it (treated as changed
    since, so nothing replaces it without a backup)."""
    if path.suffix.lower() != ".xlsm":
        return False
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            ui = [n for n in names if n.startswith("customUI/") and n.endswith(".xml")]
            if not ui or "xl/workbook.xml" not in names or "xl/vbaProject.bin" not in names:
                return False
            if not any(zf.getinfo(n).file_size < 1_000_000 and LEGACY_MASTER_TAB in zf.read(n) for n in ui):
                return False
            info = zf.getinfo("xl/workbook.xml")
            return info.file_size < 5_000_000 and "调度历史".encode() in zf.read("xl/workbook.xml")
    except Exception:  # a broken or hostile file is simply "not ours"
        return False


def ownership(path: str | Path) -> Ownership:
    path = Path(path)
    if path.suffix.lower() in OOXML_SUFFIXES:
        m = read_marker(path)
        if m is None and _legacy_master(path):
            return Ownership("master", False)
        return Ownership(m.kind, m.unchanged) if m else Ownership(None, False)
    entry = _read_manifest(path.parent).get(path.name)
    if not entry:
        return Ownership(None, False)
    try:
        same = entry.get("sha256") == _sha256(path)
    except OSError:
        same = False
    return Ownership(entry.get("kind"), same)


def _ignored_in_folder(p: Path) -> bool:
    """Our own bookkeeping beside outputs: the manifest, the backup folder, temporaries, locks."""
    return p.name in (MANIFEST_NAME, BACKUP_DIR_NAME) or p.name.startswith((".~", "~$coverage-xl"))


def foreign_files(folder: str | Path, kinds: Iterable[str]) -> list[Path]:
    """Files in ``folder`` (recursively) that are not unchanged outputs of one of ``kinds``."""
    folder = Path(folder)
    kinds = set(kinds)
    if not folder.is_dir():
        return []
    out = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if any(_ignored_in_folder(Path(part)) for part in rel.parts) or p.is_dir():
            continue
        own = ownership(p)
        if own.kind not in kinds or not own.unchanged:
            out.append(p)
    return out


def check_folder(folder: str | Path, kinds: Iterable[str], *, command: str) -> None:
    """Refuse an output folder that holds anything this command did not write (or that was changed
    since): a folder of returned submissions must never be written over."""
    foreign = foreign_files(folder, kinds)
    if foreign:
        names = "、".join(p.relative_to(folder).as_posix() for p in foreign[:5])
        more = f"等 {len(foreign)} 个文件" if len(foreign) > 5 else ""
        raise OutputError(f"输出文件夹“{folder}”中有不是 {command} 生成的文件（或生成后已被修改）：{names}{more}。"
                          "为免覆盖各单位报送或填写过的表格，不予写入。请换一个空文件夹。")


# --------------------------------------------------------------------------------------------- the decision

def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a == b


def may_write(path: str | Path, *, kind: str, update: bool = False, inputs: Iterable[str | Path] = ()) -> Path:
    """Decide whether this run may write ``path``; return it resolved, or raise :class:`OutputError`.

    ``kind`` is the command writing (``consolidate``, ``templates`` …). ``update`` is for jobs that
    replace their own sheets inside an existing workbook and keep the rest. ``inputs`` adds inputs the
    caller knows of to those declared for the run."""
    target = _key(path)
    run = current_run()
    for p in inputs:
        run.inputs.add(_key(p))
    for p in run.inputs:
        if target == p or (target.exists() and p.exists() and _same_file(target, p)):
            raise OutputError(f"不能写入“{path}”：它是本次读取的输入文件，原始文件不会被改写。请另选输出文件名。")
    for folder in run.folders:
        if _inside(target, folder):
            raise OutputError(f"不能写入“{path}”：它在本次读取的文件夹“{folder}”之内，写在那里会改动或混入报送材料。"
                              "请把输出放到别的文件夹。")
    if target in run.written and not update:
        raise OutputError(f"不能写入“{path}”：本次运行已经把另一个输出写到了这个文件，请为两个输出分别指定文件名。")
    if not target.exists() and not target.is_symlink():
        return target
    try:
        mode = os.stat(target).st_mode
    except OSError as exc:
        raise OutputError(f"无法检查“{path}”：{exc.strerror or exc}。") from exc
    if stat.S_ISDIR(mode):
        raise OutputError(f"不能写入“{path}”：这是一个文件夹，请指定文件名。")
    if not stat.S_ISREG(mode):
        raise OutputError(f"不能写入“{path}”：这不是普通文件（管道或设备）。")
    own = ownership(target)
    if update:
        if own.kind in UPDATABLE_KINDS:
            return target
        raise OutputError(f"不能写入“{path}”：这个工作簿不是本工具生成的总表或汇总表（没有 coverage-xl 标记），"
                          "为免改动他人的表格，不予写入。请另选输出文件名，或用 coverage-xl master 生成总表。")
    if own.kind == kind and own.unchanged:
        return target
    if own.kind == kind:
        raise OutputError(f"不能覆盖“{path}”：它是本工具以前生成的，但之后已被修改（可能已有人填写）。"
                          "为免丢失这些修改，不予覆盖。请先把它移走或改名，或另选输出位置。")
    raise OutputError(f"不能覆盖“{path}”：这个文件不是 coverage-xl {command_of(kind)} 生成的，为免覆盖他人的数据，不予写入。"
                      "请另选输出文件名，或先把该文件移走。")


def claim(path: str | Path, *, kind: str, update: bool = False) -> Path:
    """Check an output before the work starts, and reserve it: two outputs of one run may not share
    a path (``--json`` equal to ``-o``)."""
    target = may_write(path, kind=kind, update=update)
    run = current_run()
    if target in run.claimed:
        raise OutputError(f"“{path}”被指定为两个不同的输出，请为每个输出分别指定文件名。")
    run.claimed.add(target)
    return target


# --------------------------------------------------------------------------------------------- backups

def keep_backups() -> int:
    """How many backups of each output are kept (``COVERAGE_XL_BACKUPS``, default 5, at least 1)."""
    try:
        return max(1, int(os.environ.get(BACKUPS_ENV, DEFAULT_BACKUPS)))
    except ValueError:
        return DEFAULT_BACKUPS


def backup_dir(target: str | Path) -> Path:
    return Path(target).parent / BACKUP_DIR_NAME


def _backup_pattern(target: Path) -> re.Pattern[str]:
    return re.compile(re.escape(target.stem) + r"\.\d{8}-\d{6}(?:-\d+)?" + re.escape(target.suffix) + "$")


def backups(target: str | Path) -> list[Path]:
    """The backups of ``target``, oldest first."""
    target = Path(target)
    folder = backup_dir(target)
    if not folder.is_dir():
        return []
    pattern = _backup_pattern(target)
    return sorted((p for p in folder.iterdir() if pattern.fullmatch(p.name)), key=lambda p: (p.stat().st_mtime_ns, p.name))


def _backup_name(target: Path) -> Path:
    folder = backup_dir(target)
    stamp_ = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    candidate = folder / f"{target.stem}.{stamp_}{target.suffix}"
    n = 2
    while candidate.exists():
        candidate = folder / f"{target.stem}.{stamp_}-{n}{target.suffix}"
        n += 1
    return candidate


def _rotate(target: Path) -> None:
    for old in backups(target)[:-keep_backups()]:
        with contextlib.suppress(OSError):
            shutil.rmtree(old) if old.is_dir() else old.unlink()


def make_backup(target: str | Path) -> Path | None:
    """Copy ``target`` (a file or a folder) into the backup folder, drop the oldest beyond the limit."""
    target = Path(target)
    if not target.exists():
        return None
    dest = _backup_name(target)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if target.is_dir():
        shutil.copytree(target, dest)
    else:
        shutil.copy2(target, dest)
    _rotate(target)
    return dest


# --------------------------------------------------------------------------------------------- writing

def _reason(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return "磁盘空间不足"
    if exc.errno == errno.EROFS:
        return "磁盘或文件夹是只读的"
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM, errno.EBUSY):
        return "没有写入权限，或文件正在 Excel/WPS 中打开（请关闭后重试）"
    if exc.errno == errno.ENAMETOOLONG:
        return "文件名或路径太长"
    return exc.strerror or str(exc)


def output_error(target: Path, exc: OSError) -> OutputError:
    kept = "原文件未改动。" if target.exists() else "没有留下不完整的文件。"
    return OutputError(f"无法写入“{target}”：{_reason(exc)}。{kept}")


def sweep_stale_temporaries(target: Path) -> list[Path]:
    """Remove temporary files that a killed run left beside ``target`` (``.~stem.XXXX.ext`` older than
    an hour): they are hidden and never read, but they should not pile up in a clerk's folder."""
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


def _new_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def output(path: str | Path, *, kind: str, update: bool = False, backup: bool = True,
           inputs: Iterable[str | Path] = ()) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; when the block ends without error the file there is
    marked as ours, the old version is backed up, and it replaces ``path`` atomically.

    On any exception the temporary file is removed and ``path`` is left as it was; an OSError becomes
    an :class:`OutputError` naming the path."""
    target = may_write(path, kind=kind, update=update, inputs=inputs)
    shown = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        sweep_stale_temporaries(target)
        fd, tmp_name = tempfile.mkstemp(prefix=f".~{target.stem}.", suffix=target.suffix, dir=target.parent)
        os.close(fd)
    except OSError as exc:
        raise OutputError(f"无法在“{shown.parent}”中写入文件：{_reason(exc)}。请检查文件夹是否存在、是否有写入权限。") from exc
    tmp = Path(tmp_name)
    marker_kind = kind
    if update and target.exists():  # the master stays the master when a job writes its sheets into it
        marker_kind = ownership(target).kind or kind
    try:
        yield tmp
        if target.suffix.lower() in OOXML_SUFFIXES:
            stamp(tmp, marker_kind)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        if target.exists():
            shutil.copymode(target, tmp)
            if backup:
                make_backup(target)
        else:
            os.chmod(tmp, _new_file_mode())
        os.replace(tmp, target)
        run = current_run()
        if not any(_inside(target, s) for s in run.staging):
            run.written.append(target)
        if target.suffix.lower() not in OOXML_SUFFIXES:
            _record_in_manifest(target, kind)
    except OSError as exc:
        raise output_error(shown, exc) from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
        with contextlib.suppress(OSError):
            tmp.with_name(tmp.name + ".stamp").unlink()


def write_file(path: str | Path, writer: Callable[[Path], object], *, kind: str, update: bool = False,
               backup: bool = True, inputs: Iterable[str | Path] = ()) -> Path:
    """Call ``writer(tmp_path)`` and move the result to ``path`` through the guard."""
    with output(path, kind=kind, update=update, backup=backup, inputs=inputs) as tmp:
        writer(tmp)
    return Path(path)


def write_bytes(path: str | Path, data: bytes, *, kind: str, update: bool = False, backup: bool = True) -> Path:
    return write_file(path, lambda p: p.write_bytes(data), kind=kind, update=update, backup=backup)


def write_text(path: str | Path, text: str, *, kind: str, encoding: str = "utf-8", backup: bool = True) -> Path:
    return write_file(path, lambda p: p.write_text(text, encoding=encoding, newline=""), kind=kind, backup=backup)


# --------------------------------------------------------------------------------------------- a set of files

@contextlib.contextmanager
def output_folder(folder: str | Path, *, kind: str) -> Iterator[Path]:
    """Yield an empty staging folder beside ``folder``; when the block ends without error, the staging
    folder becomes ``folder`` and the previous set goes to the backups, as a whole.

    ``folder`` may hold only unchanged files this command wrote (checked before and at the swap).
    A failure or Ctrl-C inside the block leaves ``folder`` exactly as it was."""
    target = _key(folder)
    shown = Path(folder)
    may_write_folder(target, kind=kind)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".~{target.name}.", dir=target.parent))
    except OSError as exc:
        raise OutputError(f"无法在“{shown.parent}”中建立输出文件夹：{_reason(exc)}。") from exc
    run = current_run()
    committed = False
    run.staging.add(_key(staging))
    try:
        yield staging
        may_write_folder(target, kind=kind)
        interrupted = _swap_in(staging, target)
        committed = True
        run.written.append(target)
        if interrupted:
            raise KeyboardInterrupt
    except OSError as exc:
        raise output_error(shown, exc) from exc
    finally:
        run.staging.discard(_key(staging))
        if not committed:
            shutil.rmtree(staging, ignore_errors=True)


def may_write_folder(folder: str | Path, *, kind: str) -> None:
    """The folder form of :func:`may_write`: not an input, not inside an input folder, and holding only
    unchanged outputs of ``kind``."""
    folder = _key(folder)
    run = current_run()
    for p in [*run.inputs, *run.folders]:
        if _inside(folder, p) or _inside(p, folder):
            raise OutputError(f"不能写入文件夹“{folder}”：它与本次读取的“{p}”重叠，输出会改动或混入输入材料。"
                              "请另选输出文件夹。")
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"不能写入“{folder}”：这是一个文件，请指定文件夹。")
    check_folder(folder, [kind], command=command_of(kind))


@contextlib.contextmanager
def _no_interrupt(pending: list[object]) -> Iterator[None]:
    """Hold Ctrl-C back for the two renames of a swap; ``pending`` says whether one came."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, lambda *a: pending.append(a))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def _swap_in(staging: Path, target: Path) -> bool:
    """Rename the old set away and the new one in; True when Ctrl-C was pressed meanwhile."""
    previous = None
    pending: list[object] = []
    with _no_interrupt(pending):
        if target.exists():
            previous = _backup_name(target)
            previous.parent.mkdir(parents=True, exist_ok=True)
            os.replace(target, previous)
        try:
            os.replace(staging, target)
        except OSError:
            if previous is not None:
                os.replace(previous, target)
            raise
    if previous is not None:
        _rotate(target)
    return bool(pending)


# --------------------------------------------------------------------------------------------- the lock

_held: dict[Path, int] = {}
_held_guard = threading.Lock()


def lock_path(target: str | Path) -> Path:
    target = Path(target)
    return target.with_name(f".~lock.coverage-xl.{target.name}")


def _owner() -> str:
    try:
        user = os.getlogin()
    except OSError:
        user = os.environ.get("USERNAME") or os.environ.get("USER") or "?"
    return f"{user}@{socket.gethostname()}"


def _pid_alive(pid: int) -> bool:
    if sys.platform == "win32":  # os.kill(pid, 0) would send Ctrl-C there: trust the age only
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _stale(info: dict[str, object], age: float) -> bool:
    if age > STALE_LOCK_SECONDS:
        return True
    host = info.get("host")
    pid = info.get("pid")
    if host == socket.gethostname() and isinstance(pid, int):
        return not _pid_alive(pid)
    return not info and age > 60  # an unreadable lock older than a minute: its writer died while writing it


def _read_lock(path: Path) -> tuple[dict[str, object], float]:
    try:
        age = time.time() - path.stat().st_mtime
        info = json.loads(path.read_text(encoding="utf-8"))
        return (info if isinstance(info, dict) else {}), age
    except FileNotFoundError:
        raise
    except (OSError, ValueError):
        return {}, time.time() - path.stat().st_mtime


def _lock_wait() -> float:
    try:
        return max(0.0, float(os.environ.get(LOCK_WAIT_ENV, DEFAULT_LOCK_WAIT_SECONDS)))
    except ValueError:
        return DEFAULT_LOCK_WAIT_SECONDS


@contextlib.contextmanager
def locked(target: str | Path) -> Iterator[None]:
    """Hold the lock of a workbook that several runs update (the master) while it is read and
    rewritten. Waits up to ``COVERAGE_XL_LOCK_WAIT`` seconds (default 120) for another run, then
    raises :class:`OutputError` naming the holder. Re-entrant within one process."""
    key = _key(target)
    with _held_guard:
        if key in _held:
            _held[key] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _held_guard:
                _held[key] -= 1
        return
    path = lock_path(key)
    body = json.dumps({"owner": _owner(), "host": socket.gethostname(), "pid": os.getpid(),
                       "time": dt.datetime.now().isoformat(timespec="seconds"), "command": " ".join(sys.argv[:2])},
                      ensure_ascii=False)
    deadline = time.monotonic() + _lock_wait()
    while True:
        try:
            key.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                info, age = _read_lock(path)
            except FileNotFoundError:
                continue
            if _stale(info, age):
                with contextlib.suppress(OSError):
                    os.replace(path, path.with_name(path.name + f".stale-{os.getpid()}"))
                    os.unlink(path.with_name(path.name + f".stale-{os.getpid()}"))
                continue
            if time.monotonic() >= deadline:
                who = info.get("owner", "另一个用户")
                since = info.get("time", "")
                raise OutputError(f"“{target}”正在被 {who}（进程 {info.get('pid', '?')}，{since} 起）写入，"
                                  f"已等待 {_lock_wait():.0f} 秒。请稍后再试；如确认没有人在用，可删除锁文件“{path}”。") from None
            time.sleep(0.2)
            continue
        except OSError as exc:
            raise OutputError(f"无法在“{key.parent}”中建立锁文件：{_reason(exc)}。") from exc
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(body)
        break
    with _held_guard:
        _held[key] = 1
    try:
        yield
    finally:
        with _held_guard:
            _held.pop(key, None)
        with contextlib.suppress(OSError):
            os.unlink(path)
