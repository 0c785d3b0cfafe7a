"""Click's own errors (bad option, missing path, wrong type, missing argument, no such command) in Chinese.

Click builds these messages in English. :class:`ChineseGroup` is the one place they are caught: the
top-level group runs click non-standalone, turns any :class:`click.ClickException` into a Chinese
message — by the exception's kind and facts (option name, parameter, value), not by translating
whole sentences — and exits with click's own code (2 for usage errors). A message click got from our
own code (already Chinese, e.g. from :class:`coverage_xl.cli.common.DateType`) is kept as it is; an
English detail this module does not know is kept after a Chinese lead-in, never dropped.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import click

KINDS = {"file": "文件", "directory": "文件夹", "path": "路径"}
TYPE_NAMES = {"integer": "整数", "float": "数字", "integer range": "整数", "float range": "数字"}
_CJK = re.compile(r"[\u4e00-\u9fff]")

# (pattern of click's English detail, Chinese) — the details of BadParameter / BadOptionUsage
_DETAILS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p, re.S | re.I), c) for p, c in (
    (r"^(file|directory|path) (?P<v>.+) does not exist\.$", "{kind}“{v}”不存在。"),
    (r"^(file|directory|path) (?P<v>.+) is a file\.$", "“{v}”是文件，这里需要文件夹。"),
    (r"^(file|directory|path) (?P<v>.+) is a directory\.$", "“{v}”是文件夹，这里需要文件。"),
    (r"^(file|directory|path) (?P<v>.+) is not readable\.$", "没有权限读取“{v}”。"),
    (r"^(file|directory|path) (?P<v>.+) is not writable\.$", "没有权限写入“{v}”。"),
    (r"^(file|directory|path) (?P<v>.+) is not executable\.$", "“{v}”不能执行。"),
    (r"^(?P<v>.+) is not a valid (?P<t>[\w ]+)\.$", "“{v}”不是有效的{t}。"),
    (r"^(?P<v>.+) is not in the range (?P<r>.+)\.$", "“{v}”超出允许范围（{r}）。"),
    (r"^(?P<v>.+) is not one of (?P<c>.+)\.$", "“{v}”不是可选的值，只能是：{c}。"),
    (r"^(?P<v>.+) is not (?P<c>'[^']*')\.$", "“{v}”不是可选的值，只能是：{c}。"),
    (r"^(?P<v>.+) does not match the formats? (?P<c>.+)\.$", "“{v}”的格式不对，应为：{c}。"),
    (r"^Option (?P<v>'[^']+') requires an argument\.$", "选项“{v}”后面需要填写一个值。"),
    (r"^Option (?P<v>'[^']+') requires (?P<n>\d+) arguments\.$", "选项“{v}”后面需要填写 {n} 个值。"),
    (r"^Option (?P<v>'[^']+') does not take a value\.$", "选项“{v}”不带值。"),
    (r"^Argument (?P<v>'[^']+') takes (?P<n>\d+) values\.$", "参数“{v}”需要 {n} 个值。"),
    (r"^Got unexpected extra arguments? \((?P<v>.*)\)$", "多余的参数：{v}。"),
    (r"^Missing command\.$", "缺少命令。"),
    (r"^No such option (?P<v>'[^']+')\.$", "没有选项“{v}”。"),
    (r"^No such command (?P<v>'[^']+')\.$", "没有命令“{v}”。"),
))


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _choices(text: str) -> str:
    return "、".join(_unquote(c) for c in re.split(r",\s*|\s+or\s+", text) if c.strip())


def detail(message: str) -> str:
    """Click's English detail in Chinese; Chinese text (ours) unchanged; unknown English kept."""
    for pattern, chinese in _DETAILS:
        m = pattern.match(message.strip())
        if m:
            facts = {k: _unquote(v) for k, v in m.groupdict().items() if v is not None}
            if "t" in facts:
                facts["t"] = TYPE_NAMES.get(facts["t"], facts["t"])
            if "c" in facts:
                facts["c"] = _choices(m.group("c"))
            kind = KINDS.get(m.group(1).lower(), "路径") if pattern.pattern.startswith("^(file") else ""
            return chinese.format(kind=kind, **facts)
    if _CJK.search(message):  # ours, already Chinese
        return message
    return f"参数有误（{message}）。"


def _hint(exc: click.ClickException) -> str:
    param = getattr(exc, "param", None)
    ctx = getattr(exc, "ctx", None)
    hint = getattr(exc, "param_hint", None)
    if hint is None and param is not None:
        hint = param.get_error_hint(ctx) if ctx is not None else "/".join(param.opts)
    if isinstance(hint, list | tuple):
        hint = "/".join(hint)
    return "" if not hint else "/".join(_unquote(h) for h in str(hint).split(" / "))


def chinese_message(exc: click.ClickException) -> str:
    """One Chinese sentence (or two) for any error click raises."""
    if isinstance(exc, click.MissingParameter):
        hint = _hint(exc)
        param = exc.param
        kind = exc.param_type or (param.param_type_name if param is not None else "parameter")
        what = {"argument": "参数", "option": "必填选项"}.get(kind, "参数")
        return f"缺少{what}“{hint}”。" if hint else f"缺少{what}。"
    if isinstance(exc, click.NoSuchOption):
        text = f"没有选项“{exc.option_name}”。"
        return text + (f"您是否想用：{'、'.join(exc.possibilities)}？" if exc.possibilities else "")
    no_such_command = getattr(click.exceptions, "NoSuchCommand", None)
    if no_such_command is not None and isinstance(exc, no_such_command):
        text = f"没有命令“{exc.command_name}”。"
        if exc.possibilities:
            return text + f"您是否想用：{'、'.join(exc.possibilities)}？"
        ctx = exc.ctx
        if ctx is not None and isinstance(ctx.command, click.Group):
            return text + f"可用的命令：{'、'.join(ctx.command.list_commands(ctx))}。"
        return text
    if isinstance(exc, click.BadParameter):
        hint = _hint(exc)
        inner = detail(exc.message)
        return f"“{hint}”的值有误：{inner}" if hint else inner
    if isinstance(exc, click.FileError):
        return f"无法打开文件“{exc.ui_filename}”：{detail(exc.message)}"
    return detail(exc.format_message())


def show(exc: click.ClickException) -> None:
    """Print the usage line, the Chinese error and where to find help, on stderr (as click does)."""
    ctx = getattr(exc, "ctx", None)
    lines = []
    if isinstance(exc, click.UsageError) and ctx is not None:
        usage = ctx.get_usage()
        lines.append(re.sub(r"^Usage:\s*", "用法：", usage))
    lines.append(f"错误：{chinese_message(exc)}")
    if isinstance(exc, click.UsageError) and ctx is not None:
        lines.append(f"查看帮助：{ctx.command_path} --help")
    click.echo("\n".join(lines), err=True)


class ChineseGroup(click.Group):
    """The top-level ``coverage-xl`` group: click's errors are shown in Chinese, exit codes kept."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:  # bare ``coverage-xl``: the help, as click shows it
            exc.show()
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            show(exc)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("已中断。", err=True)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)  # click.Exit (--help, --version) returns its code
