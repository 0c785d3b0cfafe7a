"""Nothing is lost (issue 8): inputs are never modified, outputs are replaced atomically with a backup,
a run killed in the middle of writing leaves the old output intact, re-runs give the same numbers, and
the dispatch history never holds a date twice."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import badcorpus as bc
import openpyxl
import pytest
from cliutil import ROOT, cli, sha
from python_calamine import CalamineWorkbook

from coverage_xl import guard, synth

AS_OF = "2020-09-30"
UNREADABLE = {"损坏的压缩包.xlsx", "实体炸弹.xlsx"}  # the deliberately broken files of the ``inputs`` folder


def digest(folder: Path) -> dict[str, tuple[str, int]]:
    """name -> (sha256, mtime_ns) of every file under ``folder``."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            out[str(p.relative_to(folder))] = (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
    return out


def sheet(path: Path, name: str) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """A 14-unit folder with planted errors, one unit as .xls when LibreOffice is present, bad files,
    an Excel lock file and a Chinese name with spaces."""
    folder = tmp_path_factory.mktemp("nl") / "报送 材料"
    synth.write_sample_folder(folder, 700, seed=31, errors_per_unit=3)
    if shutil.which("soffice"):
        src = folder / "新湾镇_摸底明细表.xlsx"
        xls = bc.convert(src, "xls:MS Excel 97", folder.parent / "_lo")
        shutil.move(xls, folder / "新湾镇 摸底明细表（WPS）.xls")
        src.unlink()
    assert {bc.corrupt_zip(folder).name, bc.entity_bomb(folder).name} == UNREADABLE
    bc.lock_file(folder, "草尾镇_摸底明细表.xlsx")
    shutil.rmtree(folder / "_src", ignore_errors=True)
    return folder


def registrations(folder: Path, survey: Path) -> tuple[Path, Path]:
    """Registration (GBK CSV) and payment (xlsx) exports covering part of the survey's IDs."""
    ids = []
    for p in sorted(survey.glob("*.xls*")):
        try:
            wb = CalamineWorkbook.from_path(str(p))
            rows = wb.get_sheet_by_name(wb.sheet_names[-1]).to_python()
        except Exception:  # the deliberately broken files
            continue
        ids += [r[3] for r in rows[5::3] if len(r) > 3 and isinstance(r[3], str) and len(r[3]) == 18]
    folder.mkdir(parents=True, exist_ok=True)
    reg = folder / "登记.csv"
    reg.write_text("姓名,公民身份号码\n" + "".join(f"某,{i}\n" for i in ids), encoding="gbk")
    pay = folder / "缴费.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["身份证号码", "缴费年度", "缴费金额"])
    for i in ids[::2]:
        wb.active.append([i, 2020, 300])
    wb.save(pay)
    return reg, pay


def test_no_command_modifies_an_input(inputs, tmp_path):
    """Every command runs to its documented exit code, and no input changes by a byte or a timestamp.
    validate: 2 when a file cannot be read, else 1 for the planted errors; consolidate: 0, all 14
    units counted (the broken files are no unit's); dispatch: 0."""
    before = digest(inputs)
    assert cli("validate", inputs, "--as-of", AS_OF).code == 2
    assert cli("validate", inputs, "--as-of", AS_OF, "--format", "json").code == 2
    assert cli("validate", inputs, "--as-of", AS_OF, "--annotate", tmp_path / "标注").code == 2
    for p in sorted(inputs.glob("*.xls*")):
        if not p.name.startswith("~$"):
            run = cli("validate", p, "--as-of", AS_OF, "--annotate", tmp_path / f"{p.stem}_标注.xlsx")
            assert run.code == (2 if p.name in UNREADABLE else 1), (p.name, run.output)
    assert digest(inputs) == before
    assert cli("consolidate", inputs, "-o", tmp_path / "汇总.xlsx", "--as-of", AS_OF, "--json",
               tmp_path / "s.json").code == 0
    assert cli("consolidate", inputs, "-o", tmp_path / "汇总.xlsx", "--as-of", AS_OF).code == 0
    assert digest(inputs) == before
    reg, pay = registrations(tmp_path / "exports", inputs)
    exports_before = digest(tmp_path / "exports")
    run = cli("dispatch", "--survey", inputs, "--registrations", reg, "--payments", pay, "--as-of", AS_OF,
              "-o", tmp_path / "调度.xlsx", "--lists", tmp_path / "名单")
    assert run.code == 0, run.output
    assert digest(inputs) == before
    assert digest(tmp_path / "exports") == exports_before


def test_consolidate_output_into_the_input_folder_is_refused_and_nothing_is_written(inputs, tmp_path):
    folder = tmp_path / "in"
    shutil.copytree(inputs, folder)
    before = digest(folder)
    run = cli("consolidate", folder, "-o", folder / "汇总.xlsx", "--as-of", AS_OF)
    assert run.code == 2
    assert "本次读取的文件夹" in run.output
    assert digest(folder) == before


def test_consolidate_rerun_gives_same_numbers_and_keeps_previous_as_backup(inputs, tmp_path):
    out = tmp_path / "汇总.xlsx"
    a = cli("consolidate", inputs, "-o", out, "--as-of", AS_OF, "--json", tmp_path / "a.json")
    first = sha(out)
    annex4 = sheet(out, "附件4")
    dups = sheet(out, "重复人员")
    b = cli("consolidate", inputs, "-o", out, "--as-of", AS_OF, "--json", tmp_path / "b.json")
    assert a.code == b.code == 0
    assert sheet(out, "附件4") == annex4
    assert sheet(out, "重复人员") == dups
    assert sha(guard.backups(out)[-1]) == first, "the previous output is kept as the backup"
    import json

    ja, jb = (json.loads((tmp_path / n).read_text(encoding="utf-8")) for n in ("a.json", "b.json"))
    assert _strip_times(ja) == _strip_times(jb)


def _strip_times(obj):
    """JSON without run timestamps and output paths (they legitimately differ between runs)."""
    if isinstance(obj, dict):
        return {k: _strip_times(v) for k, v in obj.items()
                if not any(t in k.lower() for t in ("time", "generated", "run_at", "started", "finished", "elapsed"))}
    if isinstance(obj, list):
        return [_strip_times(v) for v in obj]
    return obj


# --- SIGKILL while writing -----------------------------------------------------------------------

# The child stalls inside the first zip member write of any output: the temporary file is then
# half-written, exactly the state a power cut or SIGKILL would leave.
_STALL = """
import os, sys, time, zipfile
_orig = zipfile.ZipFile.writestr
def _stall(self, *a, **k):
    r = _orig(self, *a, **k)
    if self.mode in ("w", "x", "a") and not os.environ.get("_STALLED"):
        os.environ["_STALLED"] = "1"
        self.fp.flush()
        print("__WRITING__ " + str(getattr(self, "filename", "")), flush=True)
        time.sleep(120)
    return r
zipfile.ZipFile.writestr = _stall
from coverage_xl.cli import main
main()
"""


def kill_while_writing(args: list[object], timeout: float = 120) -> str:
    """Run the CLI, SIGKILL it once it is writing an output zip; return the temp file it was writing."""
    proc = subprocess.Popen([sys.executable, "-c", _STALL, *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, cwd=ROOT, env={**os.environ, "COLUMNS": "200"})
    deadline = time.monotonic() + timeout
    seen = []
    try:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace")
            seen.append(line)
            if line.startswith("__WRITING__"):
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(10)
                return line.split(" ", 1)[1].strip()
            if time.monotonic() > deadline:
                break
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    pytest.fail("the command never started writing an output:\n" + "".join(seen))


def test_sigkill_while_writing_consolidate_output_leaves_old_output_intact(inputs, tmp_path):
    out = tmp_path / "汇总.xlsx"
    assert cli("consolidate", inputs, "-o", out, "--as-of", AS_OF).code == 0
    old = sha(out)
    old_annex4 = sheet(out, "附件4")
    writing = kill_while_writing(["consolidate", inputs, "-o", out, "--as-of", "2020-10-31"])
    assert Path(writing).resolve() != out.resolve(), "the output itself was being written in place"
    assert sha(out) == old
    assert sheet(out, "附件4") == old_annex4  # still opens, same numbers
    openpyxl.load_workbook(out).close()
    # the half-written temporary file, if left behind, is hidden and never read as an input
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(".~")]
    assert all(p.name.startswith(".") for p in leftovers)
    # and the next run still works and replaces the output
    assert cli("consolidate", inputs, "-o", out, "--as-of", "2020-10-31").code == 0
    assert sha(guard.backups(out)[-1]) == old


def test_sigkill_while_writing_into_existing_master_keeps_its_other_sheets(inputs, tmp_path):
    master = tmp_path / "市局汇总.xlsx"
    assert cli("consolidate", inputs, "-o", master, "--as-of", AS_OF).code in (0, 1)
    wb = openpyxl.load_workbook(master)  # the clerk adds a sheet of their own to our workbook
    ws = wb.create_sheet("台账")
    for i in range(2000):
        ws.append([i, f"第{i}条记录", dt.date(2020, 8, 1) + dt.timedelta(days=i % 60)])
    wb.save(master)
    assert cli("consolidate", inputs, "-o", master, "--as-of", AS_OF).code == 0
    old = sha(master)
    kill_while_writing(["consolidate", inputs, "-o", master, "--as-of", "2020-10-31"])
    assert sha(master) == old
    assert len(sheet(master, "台账")) == 2000


def test_sigkill_while_writing_annotated_copy_leaves_old_copy(inputs, tmp_path):
    src = inputs / "琼湖街道_摸底明细表.xlsx"
    out = tmp_path / "标注.xlsx"
    assert cli("validate", src, "--as-of", AS_OF, "--annotate", out).code == 1  # planted errors
    old = sha(out)
    kill_while_writing(["validate", src, "--as-of", AS_OF, "--annotate", out])
    assert sha(out) == old
    openpyxl.load_workbook(out).close()


def test_sigkill_while_writing_dispatch_output_leaves_old_output_intact(inputs, tmp_path):
    reg, pay = registrations(tmp_path / "exports", inputs)
    out = tmp_path / "调度.xlsx"
    args = ["dispatch", "--survey", inputs, "--registrations", reg, "--payments", pay, "-o", out]
    assert cli(*args, "--as-of", AS_OF).code == 0
    old = sha(out)
    kill_while_writing([*args, "--as-of", "2020-10-31"])
    assert sha(out) == old
    sheet(out, "附件5")


# --- dispatch history ------------------------------------------------------------------------------

def _rows_on(rows: list[list], day: dt.date) -> int:
    keys = {day, dt.datetime(day.year, day.month, day.day), day.isoformat(), day.strftime("%Y/%m/%d"),
            f"{day.year}年{day.month}月{day.day}日", day.strftime("%Y.%m.%d")}
    return sum(1 for r in rows if r and r[0] in keys)  # the date leads each snapshot row (chart data is to the right)


def test_dispatch_rerun_same_date_does_not_duplicate_history_and_gives_same_numbers(inputs, tmp_path):
    reg, pay = registrations(tmp_path / "exports", inputs)
    out = tmp_path / "调度.xlsx"
    args = ["dispatch", "--survey", inputs, "--registrations", reg, "--payments", pay, "-o", out]
    assert cli(*args, "--as-of", AS_OF).code == 0
    annex5 = sheet(out, "附件5")
    n1 = _rows_on(sheet(out, "调度历史"), dt.date(2020, 9, 30))
    assert n1 >= 14
    assert cli(*args, "--as-of", AS_OF).code == 0
    assert sheet(out, "附件5") == annex5
    hist = sheet(out, "调度历史")
    assert _rows_on(hist, dt.date(2020, 9, 30)) == n1
    assert cli(*args, "--as-of", "2020-10-07").code == 0
    hist2 = sheet(out, "调度历史")
    assert _rows_on(hist2, dt.date(2020, 9, 30)) == n1
    assert _rows_on(hist2, dt.date(2020, 10, 7)) == n1


def test_a_killed_runs_old_temporary_file_is_swept_on_the_next_write(tmp_path):
    import os
    import time

    from coverage_xl.guard import STALE_AFTER_SECONDS

    target = tmp_path / "汇总.json"
    stale = tmp_path / ".~汇总.abc123.json"
    fresh = tmp_path / ".~汇总.def456.json"  # another run may be writing right now: keep it
    for p in (stale, fresh):
        p.write_bytes(b"half written")
    old = time.time() - STALE_AFTER_SECONDS - 60
    os.utime(stale, (old, old))
    guard.write_text(target, "new", kind="consolidate")
    assert target.read_text() == "new"
    assert not stale.exists() and fresh.exists()
