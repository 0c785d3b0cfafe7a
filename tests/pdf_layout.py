"""What a printed page looks like, as data: the words pdftotext finds and where.

The reference renderings under ``tests/reference/`` are a PNG of the page (for a person) and a JSON of
word positions (for the test). A test compares positions loosely — each reference word relative to
an anchor word of the same page, within a tolerance — so a lost merge or a shifted header fails while
a changed figure in a data row does not. Regenerate after a deliberate layout change with::

    .venv/bin/python tests/pdf_layout.py            # writes tests/reference/*.json and *.png
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

REFERENCE = Path(__file__).resolve().parent / "reference"
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')
PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">')
CJK = re.compile(r"[\u4e00-\u9fff]")


def words(pdf: Path, page: int) -> tuple[list[tuple[str, float, float]], tuple[float, float]]:
    """(text, x centre, y top) of every word on ``page`` (1-based), and the page size in points."""
    out = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
                         capture_output=True, text=True, check=True).stdout
    size = PAGE.search(out)
    found = [(html.unescape(m[5]), (float(m[1]) + float(m[3])) / 2, float(m[2])) for m in WORD.finditer(out)]
    return found, (float(size[1]), float(size[2])) if size else (0.0, 0.0)


def page_text(pdf: Path, page: int | None = None) -> str:
    args = ["pdftotext", "-layout"] + (["-f", str(page), "-l", str(page)] if page else []) + [str(pdf), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def find_page(pdf: Path, marker: str) -> int:
    """The first page whose text contains ``marker``."""
    pages = page_text(pdf).split("\f")
    for n, text in enumerate(pages, start=1):
        if marker in text.replace(" ", ""):
            return n
    raise AssertionError(f"no page of {pdf.name} says {marker!r}")


def header_layout(pdf: Path, page: int, anchor: str, *, above: str | None = None, band: float | None = None
                  ) -> dict[str, list[float]]:
    """Positions of the Chinese words of a table's header, relative to ``anchor`` (a header word).

    The header region is everything above the first word ``above`` (e.g. the numbering row's "1"
    under the anchor), or within ``band`` points of the anchor's line. Words that occur twice keep
    their first place. Numbers are left out: they are data, not layout."""
    found, _ = words(pdf, page)
    hits = [w for w in found if w[0] == anchor]
    assert hits, f"{anchor!r} not on page {page} of {pdf.name}"
    _, ax, ay = hits[0]
    limit = None
    if above is not None:
        below = [w for w in found if w[0] == above and w[2] > ay]
        limit = min(w[2] for w in below) if below else None
    out: dict[str, list[float]] = {}
    for text, x, y in found:
        if not CJK.search(text) or re.search(r"\d", text):
            continue
        if limit is not None and not (y < limit):
            continue
        if band is not None and abs(y - ay) > band:
            continue
        out.setdefault(text, [round(x - ax, 1), round(y - ay, 1)])
    return out


def compare(reference: dict[str, list[float]], actual: dict[str, list[float]], tolerance: float = 6.0) -> list[str]:
    """Differences a person would see: a header word missing, or moved more than ``tolerance`` points."""
    problems = []
    for text, (x, y) in reference.items():
        if text not in actual:
            problems.append(f"{text}: missing")
            continue
        ax, ay = actual[text]
        if abs(ax - x) > tolerance or abs(ay - y) > tolerance:
            problems.append(f"{text}: at ({ax}, {ay}) instead of ({x}, {y})")
    return problems


def render_png(pdf: Path, page: int, target: Path) -> None:
    exe = shutil.which("pdftoppm")
    assert exe, "pdftoppm (poppler-utils) is needed"
    subprocess.run([exe, "-r", "50", "-png", "-singlefile", "-f", str(page), "-l", str(page), str(pdf),
                    str(target.with_suffix(""))], check=True)


if __name__ == "__main__":  # pragma: no cover - regenerates the reference files
    import tempfile

    sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent)]
    from test_print_ready import REFERENCE_PAGES, render_outputs

    with tempfile.TemporaryDirectory() as d:
        pdfs = render_outputs(Path(d))
        REFERENCE.mkdir(exist_ok=True)
        for name, (doc, marker, anchor, above, band) in REFERENCE_PAGES.items():
            pdf = pdfs[doc]
            page = find_page(pdf, marker)
            layout = header_layout(pdf, page, anchor, above=above, band=band)
            (REFERENCE / f"{name}.json").write_text(json.dumps(layout, ensure_ascii=False, indent=1) + "\n",
                                                   encoding="utf-8")
            render_png(pdf, page, REFERENCE / f"{name}.png")
            print(name, len(layout), "words")
