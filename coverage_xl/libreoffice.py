"""LibreOffice headless, where the project uses it: converting workbooks (.xlsx → .xls/.ods/.csv/.pdf).

Used by the sample generator (old-format members) and by the tests that check generated files open
in another office suite. Nothing in the core needs LibreOffice to run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path


def soffice_binary() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_with_libreoffice(src: Path, fmt: str, outdir: Path, *, timeout: float = 180) -> Path:
    """Convert ``src`` with LibreOffice headless (``fmt``: xls, ods, xlsx, csv…); return the new file.

    A private user profile per call lets several conversions run side by side without fighting
    over LibreOffice's profile lock."""
    soffice = soffice_binary()
    if soffice is None:
        raise RuntimeError("soffice not found")
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cxl-lo-") as profile:
        cmd = [soffice, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--norestore",
               "--convert-to", fmt, "--outdir", str(outdir), str(src)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "HOME": profile})
    ext = fmt.split(":", 1)[0]
    out = outdir / f"{src.stem}.{ext}"
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"LibreOffice conversion failed ({proc.returncode}): {proc.stderr.strip()}")
    return out
