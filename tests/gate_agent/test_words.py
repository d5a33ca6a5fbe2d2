"""Every word the gate shows a person comes from its one catalogue (gate_agent/words.py), Chinese
first with English beside it; the modules that draw the terminal and the key console hold none."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from gate_agent import words

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u3400-\u9fff]")
WORD = re.compile(r"[A-Za-z]{2,}")


def _pairs() -> list[tuple[str, str, str]]:
    out = [(f"CONSOLE[{k}]", zh, en) for k, (zh, en) in words.CONSOLE.items()]
    out += [(f"CONSOLE_KEYS[{k}]", zh, en) for k, zh, en in words.CONSOLE_KEYS]
    out += [(f"OVERRIDE_REASONS[{i}]", zh, en) for i, (zh, en) in enumerate(words.OVERRIDE_REASONS)]
    out += [(f"SYMPTOM_WORDS[{k}]", zh, en) for k, (zh, en) in words.SYMPTOM_WORDS.items()]
    out += [(f"FAULT_TEXT[{k}]", zh, en) for k, (zh, en) in words.FAULT_TEXT.items()]
    out += [(f"VERDICT_WORDS[{k}]", zh, en) for k, (_, zh, en) in words.VERDICT_WORDS.items()]
    out += [(f"OFFLINE_ACTION[{k}]", zh, en) for k, (zh, en) in words.OFFLINE_ACTION.items()]
    for name in (
        "IDLE",
        "OFFLINE",
        "NOT_RUNNING",
        "NOT_RUNNING_ACTION",
        "DECIDED",
        "TEMPERATURE",
        "NEXT",
        "NEXT_SCAN",
        "CANCEL",
        "HOLDER",
        "HOUSEHOLD",
        "RECOVERED",
    ):
        zh, en = getattr(words, name)
        out.append((name, zh, en))
    return out


def test_every_catalogue_entry_has_its_chinese_and_its_english() -> None:
    for name, zh, en in _pairs():
        assert CJK.search(zh) and WORD.search(en) and not CJK.search(en), name


def test_the_terminal_and_the_key_console_take_their_words_from_the_catalogue() -> None:
    for module in ("gate_agent/console.py", "gate_agent/devices/display.py", "gate_agent/agent.py"):
        tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and ast.get_docstring(node)
        }
        inline = [
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and CJK.search(node.value)
        ]
        assert not inline, f"{module} writes its own words: {inline}"
