"""``coverage-xl doctor``: the installed xlwings against the pin and against the version a master or
add-in was built with (read back from the package with zipfile, not with our reader)."""

from __future__ import annotations

import re
import tomllib
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from packaging.specifiers import SpecifierSet

from coverage_xl import doctor
from coverage_xl.addin import build_addin
from coverage_xl.cli import main
from coverage_xl.master import build_master

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("doctor")
    return build_master(folder / "总表.xlsm"), build_addin(folder / "城乡居保校验.xlam")


def _with_recorded(src: Path, dst: Path, version: str | None) -> Path:
    """A copy of ``src`` whose recorded version is ``version`` (None: the name removed)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/workbook.xml":
                text = data.decode()
                pattern = rf'<definedName name="{doctor.VERSION_NAME}">[^<]*</definedName>'
                assert re.search(pattern, text)
                new = "" if version is None else f'<definedName name="{doctor.VERSION_NAME}">"{version}"</definedName>'
                data = re.sub(pattern, new, text).encode()
            zout.writestr(info, data)
    return dst


def test_excel_extra_pins_one_minor_release_and_the_installed_xlwings_fits():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    [pin] = extras["excel"]
    spec = SpecifierSet(pin.removeprefix("xlwings"))
    assert doctor.installed_xlwings_version() in spec
    assert "0.38.0" not in spec and "0.30.0" not in spec


def test_doctor_passes_when_the_versions_agree(built):
    result = CliRunner().invoke(main, ["doctor", *map(str, built)])
    assert result.exit_code == 0, result.output
    assert result.output.count("与本机一致") == 2 and "检查通过" in result.output


def test_doctor_says_what_to_do_when_the_master_embeds_another_version(built, tmp_path):
    old = _with_recorded(built[0], tmp_path / "旧总表.xlsm", "0.30.10")
    addin = _with_recorded(built[1], tmp_path / "旧加载项.xlam", "0.30.10")
    result = CliRunner().invoke(main, ["doctor", str(old), str(addin)])
    assert result.exit_code == 1
    assert "内嵌 xlwings 0.30.10" in result.output and "xlwings64-0.30.10.dll" in result.output
    assert "pip install xlwings==0.30.10" in result.output
    assert "coverage-xl master “旧总表.xlsm”" in result.output and "coverage-xl addin “旧加载项.xlam”" in result.output


def test_doctor_on_a_workbook_without_a_record_or_not_a_workbook(built, tmp_path):
    bare = _with_recorded(built[0], tmp_path / "无记录.xlsm", None)
    junk = tmp_path / "坏文件.xlam"
    junk.write_text("not a zip", encoding="utf-8")
    result = CliRunner().invoke(main, ["doctor", str(bare), str(junk)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "没有记录 xlwings 版本" in result.output and "无法读取“" in result.output


def test_doctor_flags_an_xlwings_outside_the_pin(monkeypatch):
    monkeypatch.setattr(doctor, "installed_xlwings_version", lambda: "0.38.2")
    monkeypatch.setattr(doctor, "required_xlwings_range", lambda: "<0.38,>=0.37.8")
    [_, xl] = doctor.diagnose()
    assert not xl.ok and "不在本程序要求的范围" in xl.message


def test_doctor_without_xlwings(monkeypatch):
    monkeypatch.setattr(doctor, "installed_xlwings_version", lambda: None)
    [_, xl] = doctor.diagnose()
    assert not xl.ok and 'pip install "coverage-xl[excel]"' in xl.message


def test_the_installed_metadata_carries_the_pin():
    assert doctor.required_xlwings_range() is not None
    assert doctor._in_range(doctor.installed_xlwings_version(), doctor.required_xlwings_range())
