"""``make demo``: a campaign whose numbers look like a campaign.

On first run it generates a full-size fictitious sample under ``benchmarks/corpus/`` (git-ignored):
14 unit workbooks with 120,087 survey rows (exactly the Annex 1 tasks) and registration/payment
exports holding every case of the counting contract (every 参保状态 spelling, an unknown status,
补缴 of earlier years paid this year and in an earlier year, 一次性补缴, 代缴, zero amounts, people
drawing a pension with and without a payment, 职保 people registered in 城乡居保). Later runs reuse it.
Then it runs the whole chain with the command line into ``out/demo/`` and prints each step's time:
validate, master, consolidate, dispatch (with follow-up lists), notices (bulletin, unit notices, SMS),
the ledger (update, then its exports and 台账汇总 in the master).

    python benchmarks/demo.py            # what `make demo` runs
    python benchmarks/demo.py --small    # the shipped 14-workbook sample in workbooks/ instead
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
REPO = ROOT.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(ROOT))

AS_OF = "2020-09-30"
OUT = REPO / "out" / "demo"
CLI = [str(Path(sys.executable).with_name("coverage-xl"))]


def _inputs(small: bool) -> tuple[Path, Path, Path, Path | None, float]:
    """(survey folder, registrations, payments, the province's list, seconds spent generating)."""
    from coverage_xl.synth import PAYMENTS_FILE, REGISTRATIONS_FILE

    if small:
        return REPO / "workbooks/units", REPO / "workbooks/exports" / REGISTRATIONS_FILE, \
            REPO / "workbooks/exports" / PAYMENTS_FILE, None, 0.0
    from generate import DATA, PROVINCE_LIST_FILE, generate

    t0 = time.perf_counter()
    survey = generate(1.0)
    exports = DATA / "exports_1x"
    return survey, exports / REGISTRATIONS_FILE, exports / PAYMENTS_FILE, exports / PROVINCE_LIST_FILE, \
        time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", action="store_true", help="run on the shipped sample in workbooks/")
    args = ap.parse_args(argv)
    survey, reg, pay, province_list, gen_seconds = _inputs(args.small)
    if OUT.exists():
        shutil.rmtree(OUT)  # our own output of an earlier demo run
    OUT.mkdir(parents=True)
    master = OUT / "城乡居保全覆盖.xlsm"
    exports = ["-r", str(reg), "-p", str(pay)]
    steps = [
        ("校验 validate", ["validate", str(survey), "--as-of", AS_OF]),
        ("总表 master", ["master", str(master), "--survey-dir", str(survey)]),
        ("汇总 consolidate", ["consolidate", str(survey), "--as-of", AS_OF, "-o", str(master),
                            "--json", str(OUT / "summary.json")]),
        ("调度 dispatch", ["dispatch", "--survey", str(survey), *exports, "--as-of", AS_OF, "-o", str(master),
                         "--lists", str(OUT / "跟进名单")]),
        ("通报 notices", ["notices", "bulletin", "unit", "sms", "--survey", str(survey), *exports, "--as-of", AS_OF,
                        "-o", str(OUT / "通报")]),
        ("台账 ledger update", ["ledger", "update", *(["--list", str(province_list)] if province_list else []),
                               "--survey", str(survey), *exports, "--as-of", AS_OF,
                               "--master", str(master), "--json", str(OUT / "台账摘要.json")]),
        ("台账导出 ledger export", ["ledger", "export", "-o", str(OUT / "台账"), "--master", str(master),
                                 "--to-master"]),
    ]
    times: list[tuple[str, float, int]] = []
    if not args.small:
        times.append(("生成虚构数据 generate (first run; later reused)", gen_seconds, 0))
    failed = False
    for label, cmd in steps:
        print(f"\n=== {label}: coverage-xl {' '.join(cmd[:1])} …", flush=True)
        t0 = time.perf_counter()
        code = subprocess.run(CLI + cmd, check=False).returncode
        times.append((label, time.perf_counter() - t0, code))
        # 1 = done with findings (the sample carries planted mistakes, units without a file …)
        failed |= code not in (0, 1)
    print("\n步骤耗时 step times" + ("（内置小样本）" if args.small else f"（{survey.name}：120,087 行摸底数据）"))
    for label, seconds, code in times:
        print(f"  {label:40s} {seconds:8.1f} s   exit {code}")
    print(f"  {'合计 total':40s} {sum(t for _, t, _ in times):8.1f} s")
    print(f"完成：总表 {master}，跟进名单 {OUT / '跟进名单'}，通报 {OUT / '通报'}，台账 {OUT / '台账'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
