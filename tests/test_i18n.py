"""Chinese texts (--lang zh, --csv-header zh): catalogue complete and compiled, glossary terms
used, the same numbers and machine-readable files in both languages."""

from __future__ import annotations

import json
import os
import re
import shutil
import string
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from circle.cli import cli
from circle.errors import ConfigError
from circle.i18n import (
    LOCALE_DIR,
    default_lang,
    display_width,
    pad,
    resolve_lang,
    translator,
)
from scripts.compile_catalogue import compile_po, extract_messages, read_catalogue

ROOT = Path(__file__).resolve().parents[1]
PO = LOCALE_DIR / "zh" / "LC_MESSAGES" / "circle.po"
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


@pytest.fixture(scope="module")
def catalogue() -> dict[str, str]:
    return read_catalogue(PO)


def test_every_text_in_the_code_has_a_translation_and_no_key_is_stale(catalogue):
    used = extract_messages()
    assert len(used) > 150  # the extractor found the texts (a broken one would find none)
    missing = {k: v for k, v in used.items() if not catalogue.get(k)}
    assert missing == {}, "texts without a Chinese translation (add them to circle.po)"
    stale = sorted(set(catalogue) - set(used))
    assert stale == [], "translations of texts the code no longer uses (remove them)"


def test_translations_keep_every_placeholder(catalogue):
    def fields(text):
        return sorted(f for _, f, _, _ in string.Formatter().parse(text) if f is not None)

    assert {k: v for k, v in catalogue.items() if fields(k) != fields(v)} == {}


def test_committed_mo_is_compiled_from_the_po():
    # the translations (Babel's header names its own version, which may differ)
    assert _mo_entries(PO.with_suffix(".mo").read_bytes()) == _mo_entries(compile_po(PO)), (
        "circle.mo is out of date: run python scripts/compile_catalogue.py"
    )


def _mo_entries(data: bytes) -> dict[str, str]:
    import gettext
    import io

    entries = dict(gettext.GNUTranslations(io.BytesIO(data))._catalog)  # type: ignore[attr-defined]
    entries.pop("")  # the header: Babel writes its own metadata
    return entries


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt not installed")
def test_compiled_catalogue_equals_gnu_msgfmt(tmp_path):
    # an independent compiler: GNU msgfmt's catalogue holds the same translations as Babel's
    out = tmp_path / "circle.mo"
    subprocess.run(["msgfmt", "-o", str(out), str(PO)], check=True)
    assert _mo_entries(out.read_bytes()) == _mo_entries(compile_po(PO))


def _glossary() -> list[tuple[list[str], str]]:
    rows = []
    for line in (LOCALE_DIR / "GLOSSARY.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] in ("English", "---") or cells[0].startswith("*"):
            continue
        rows.append(([t.strip() for t in cells[0].split(",")], cells[1]))
    return rows


def _words(text: str) -> str:
    """A text without its placeholders (``{walk}``), file names and quoted column names."""
    return re.sub(r"\{[^}]*\}|[\w.]+\.(csv|json|md)\b|'\w+'", " ", text)


def test_catalogue_uses_the_glossary_terms(catalogue):
    rows = _glossary()
    assert len(rows) >= 15
    wrong = []
    for terms, chinese in rows:
        pattern = re.compile(r"\b(" + "|".join(map(re.escape, terms)) + r")\b", re.IGNORECASE)
        wrong += [
            (terms[0], chinese, k, v)
            for k, v in catalogue.items()
            if pattern.search(_words(k)) and chinese not in v
        ]
    assert wrong == []


def test_glossary_check_catches_an_inconsistent_term(catalogue):
    # the check above can fail: a translation with another word for "community" is caught
    terms, chinese = next(r for r in _glossary() if r[0][0] == "community")
    bad = {**catalogue, "Community": "小区"}
    pattern = re.compile(r"\b(" + "|".join(terms) + r")\b", re.IGNORECASE)
    assert [k for k, v in bad.items() if pattern.search(k) and chinese not in v] == ["Community"]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "fi_FI.UTF-8"}, "en"),
        ({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
        ({"CIRCLE_LANG": "zh", "LC_ALL": "C"}, "zh"),
        ({"LC_MESSAGES": "zh_TW"}, "zh"),
    ],
)
def test_default_language_from_the_environment(env, expected):
    assert default_lang(env) == expected


def test_unknown_language_and_empty_text():
    with pytest.raises(ConfigError, match="fr"):
        resolve_lang("fr")
    assert translator("zh")("") == ""  # not the catalogue's header
    assert translator("zh")("a text not in the catalogue") == "a text not in the catalogue"


def test_padding_counts_chinese_characters_twice():
    assert display_width("社区abc") == 7
    assert pad("社区", 6) == "  社区"
    assert pad("ab", 4, "<") == "ab  "


def _coverage(cli_runner, *args, env=None):
    res = cli_runner(["-q", "coverage", *map(str, args)], env=env, catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res.output


def test_coverage_in_chinese_has_the_same_numbers_and_files(cli_runner, tmp_path):
    en = _coverage(cli_runner, "--lang", "en", "--out", tmp_path / "en")
    zh = _coverage(cli_runner, "--lang", "zh", "--out", tmp_path / "zh")
    assert "15分钟就业服务圈" in zh and "社区" in zh and "未覆盖" in zh
    assert not re.search(r"\b(communities|within|statuses)\b", zh)
    assert NUMBER.findall(zh) == NUMBER.findall(en)
    for name in ("coverage.geojson", "summary.json"):
        assert (tmp_path / "zh" / name).read_bytes() == (tmp_path / "en" / name).read_bytes()
    # under --lang zh the CSV gets the byte-order mark Excel on Chinese Windows needs (issue 18)
    zh_csv = (tmp_path / "zh" / "coverage.csv").read_bytes()
    assert zh_csv == b"\xef\xbb\xbf" + (tmp_path / "en" / "coverage.csv").read_bytes()
    md_en = (tmp_path / "en" / "summary.md").read_text(encoding="utf-8")
    md_zh = (tmp_path / "zh" / "summary.md").read_text(encoding="utf-8")
    assert md_zh.startswith("# 15分钟就业服务圈：覆盖情况\n")
    assert "## 按步行时间统计的覆盖情况" in md_zh
    # the same figures (Chinese word order may put a sentence's two numbers the other way round)
    assert sorted(NUMBER.findall(md_zh)) == sorted(NUMBER.findall(md_en))


def test_language_defaults_to_the_locale(cli_runner):
    unset = {"CIRCLE_LANG": "", "LC_ALL": "", "LC_MESSAGES": ""}
    assert "15分钟就业服务圈" in _coverage(cli_runner, env={**unset, "LANG": "zh_CN.UTF-8"})
    assert "15-minute employment circle" in _coverage(cli_runner, env={**unset, "LANG": "C.UTF-8"})


def test_chinese_csv_header_opens_in_excel(cli_runner, tmp_path):
    _coverage(cli_runner, "--out", tmp_path / "en")
    _coverage(cli_runner, "--csv-header", "zh", "--out", tmp_path / "zh")
    raw = (tmp_path / "zh" / "coverage.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    assert not (tmp_path / "en" / "coverage.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    # Excel decodes a file with this BOM as UTF-8: that is Python's utf-8-sig
    zh = pd.read_csv(tmp_path / "zh" / "coverage.csv", encoding="utf-8-sig", dtype=str)
    en = pd.read_csv(tmp_path / "en" / "coverage.csv", encoding="utf-8", dtype=str)
    assert list(zh.columns[:3]) == ["社区编号", "名称", "人口"]
    assert "步行时间（分钟）" in zh.columns and "已覆盖" in zh.columns
    assert len(set(zh.columns)) == len(zh.columns)
    # words in Chinese (issue 18): yes/no, statuses and centre types; numbers and ids the same
    assert set(zh["已覆盖"]) <= {"是", "否"} and "是" in set(zh["已覆盖"])
    assert (zh["已覆盖"] == "是").tolist() == (en["covered"] == "True").tolist()
    assert set(zh["状态"]) <= {"正常", "不在路网上", "不可达"}
    words = {"covered", "status", "nearest_centre_type", "via_gate"}
    same = [i for i, c in enumerate(en.columns) if c not in words]
    assert zh.iloc[:, same].to_numpy().tolist() == en.iloc[:, same].to_numpy().tolist()
    assert len(zh) == 13
    # without the BOM, Excel on a Chinese Windows would take the file as GBK: not what was written
    with pytest.raises(UnicodeDecodeError):
        raw[3:].decode("gbk")


def test_site_in_chinese_with_chinese_csv_header(cli_runner, tmp_path):
    def site(*args):
        res = cli_runner(
            ["-q", "site", "--add", "2", *map(str, args)], catch_exceptions=False
        )
        assert res.exit_code == 0, res.output
        return res.output

    en = site("--out", tmp_path / "en")
    zh = site("--lang", "zh", "--csv-header", "zh", "--out", tmp_path / "zh")
    assert "新建服务站选址" in zh and "新建前" in zh and "最大覆盖问题" in zh
    assert NUMBER.findall(zh) == NUMBER.findall(en)
    assert (tmp_path / "zh" / "proposals.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    zh_csv = pd.read_csv(tmp_path / "zh" / "proposals.csv", encoding="utf-8-sig", dtype=str)
    en_csv = pd.read_csv(tmp_path / "en" / "proposals.csv", dtype=str)
    assert list(zh_csv.columns[:2]) == ["排名", "站点编号"] and "经度" in zh_csv.columns
    type_zh = list(zh_csv.columns).index("类型")
    assert zh_csv.drop(columns="类型").to_numpy().tolist() == (
        en_csv.drop(columns=en_csv.columns[type_zh]).to_numpy().tolist()
    )
    types = {"community": "社区", "other": "其他", "college": "高校", "enterprise": "企业"}
    assert [types.get(t, t) for t in en_csv["type"]] == zh_csv["类型"].tolist()
    for name in ("proposals.geojson", "summary.json"):
        assert (tmp_path / "zh" / name).read_bytes() == (tmp_path / "en" / name).read_bytes()
    md = (tmp_path / "zh" / "summary.md").read_text(encoding="utf-8")
    assert "## 建议站点" in md and "## 求解" in md


def test_rerun_of_a_chinese_run_reproduces_its_files(cli_runner, tmp_path):
    _coverage(cli_runner, "--lang", "zh", "--csv-header", "zh", "--out", tmp_path / "run")
    res = cli_runner(["rerun", str(tmp_path / "run")], catch_exceptions=False)
    assert res.exit_code == 0, res.output


def test_compare_in_chinese(cli_runner, tmp_path):
    _coverage(cli_runner, "--out", tmp_path / "a")
    _coverage(cli_runner, "--speed-kmh", "3", "--out", tmp_path / "b")
    res = cli_runner(
                ["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--lang", "zh"],
        catch_exceptions=False,
    )
    assert res.exit_code == 0, res.output
    assert res.output.startswith("# 15分钟就业服务圈：两次分析对比")
    assert "不再覆盖" in res.output


def test_compare_reads_runs_written_in_either_language(cli_runner, tmp_path):
    """A run written with --csv-header zh (Chinese columns, 是/否) compares like an English one,
    and under --lang zh compare.csv carries the BOM."""
    _coverage(cli_runner, "--out", tmp_path / "a")
    _coverage(cli_runner, "--speed-kmh", "3", "--out", tmp_path / "b")
    _coverage(cli_runner, "--speed-kmh", "3", "--lang", "zh", "--csv-header", "zh",
              "--out", tmp_path / "b_zh")
    outs = {}
    for new in ("b", "b_zh"):
        res = cli_runner(
            ["compare", str(tmp_path / "a"), str(tmp_path / new), "--lang", "zh",
             "--out", str(tmp_path / f"cmp_{new}")],
            catch_exceptions=False,
        )
        assert res.exit_code == 0, res.output
        outs[new] = (tmp_path / f"cmp_{new}" / "compare.csv").read_bytes()
    assert outs["b"].startswith(b"\xef\xbb\xbf")
    assert outs["b"] == outs["b_zh"]
    changes = pd.read_csv(tmp_path / "cmp_b" / "compare.csv", encoding="utf-8-sig")
    assert "lost" in set(changes["change"])


def test_help_in_chinese_from_the_environment():
    def helptext(*args, lang):
        env = {"PATH": "/usr/bin:/bin", "CIRCLE_LANG": lang}
        return subprocess.run(
            [sys.executable, "-m", "circle", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    top = helptext("--help", lang="zh")
    assert "统计各社区在各步行时间段内能否到达就业服务站" in top
    assert "为新建就业服务站选址" in top
    options = helptext("coverage", "--help", lang="zh")
    assert "面向阅读者的文字语言" in options and "带 BOM" in options
    assert "面向阅读者" not in helptext("coverage", "--help", lang="en")


#: every command of the `circle` group ("" is the group itself), listed at collection: a new
#: command is checked without editing this test
COMMANDS = ["", *sorted(cli.commands)]


@pytest.fixture(scope="module")
def untranslated_help() -> dict[str, list[str]]:
    """Per command, the texts of its --help that have no Chinese under CIRCLE_LANG=zh. click
    builds the help at import, so a fresh interpreter reads them."""
    code = (
        "import json, re, click\nfrom circle.cli import cli\n"
        "def chinese(text): return re.search('[\\u4e00-\\u9fff]', text or '')\n"
        "found = {}\n"
        "for name, command in [('', cli), *cli.commands.items()]:\n"
        "    texts = {p.name: p.help for p in command.params if isinstance(p, click.Option)}\n"
        "    texts['(description)'] = (command.help or '').split('Examples:')[0]\n"
        "    if name:\n"
        "        texts['(short help)'] = command.short_help\n"
        "    found[name] = [k for k, v in texts.items() if k != 'help' and not chinese(v)]\n"
        "print(json.dumps(found))"
    )
    env = {**os.environ, "CIRCLE_LANG": "zh", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True, cwd=ROOT)
    return json.loads(out.stdout)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c or "circle")
def test_every_option_has_chinese_help_under_circle_lang_zh(untranslated_help, command):
    """Every option of the command (--help aside), its description (before "Examples:") and its
    one-line summary are explained in Chinese under CIRCLE_LANG=zh."""
    assert command in untranslated_help  # the fresh interpreter sees the same commands
    assert untranslated_help[command] == []

