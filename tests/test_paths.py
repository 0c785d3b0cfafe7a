"""The templates folder is found in a checkout and in a regular install."""

from __future__ import annotations

from coverage_xl import paths


def test_checkout_uses_the_repository_templates():
    assert paths.templates_dir() == paths.REPO_TEMPLATES
    assert (paths.templates_dir() / "notices" / "月度通报.docx").is_file()


def test_installed_copy_is_used_without_a_checkout(tmp_path, monkeypatch):
    installed = tmp_path / "share" / "coverage-xl" / "templates"
    (installed / "notices").mkdir(parents=True)
    monkeypatch.setattr(paths, "REPO_TEMPLATES", tmp_path / "no-checkout" / "templates")
    monkeypatch.setattr(paths.sysconfig, "get_path", lambda name: str(tmp_path))
    assert paths.templates_dir() == installed
