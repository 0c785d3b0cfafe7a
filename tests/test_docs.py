"""The docs say what the code does: the rules table is generated from the rule codes."""

from __future__ import annotations

from pathlib import Path

from coverage_xl.codes import RULES, rules_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_rules_doc_matches_the_codes():
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    block = text.split("<!-- rules-table:start -->\n", 1)[1].split("<!-- rules-table:end -->", 1)[0]
    assert block.strip() == rules_markdown().strip(), "run: python -m coverage_xl.codes and paste into docs/rules.md"


def test_every_rule_message_is_chinese_and_says_how_to_fix():
    for r in RULES.values():
        assert any("\u4e00" <= ch <= "\u9fff" for ch in r.message), r.code
        assert r.code.count(".") == 1


def test_readme_names_the_two_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in text and "make test" in text
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci
