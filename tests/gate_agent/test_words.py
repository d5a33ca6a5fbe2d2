"""Every word the gate shows a person comes from its one catalogue (gate_agent/words.py), Chinese
first with English beside it; the modules that draw the terminal and the key console hold none."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from gate_agent import words
from gatecore.messages import Temperature
from gatecore.reasons import Reason
from gatecore.thermoline import SensorStatus

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
        "MEASURE",
        "MEASURE_HOW",
        "FAHRENHEIT_ACTION",
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


OK, HIGH = SensorStatus.OK, SensorStatus.HIGH


@pytest.mark.parametrize(
    "reason,temperature,offline,step",
    [
        (Reason.TEMP_IMPLAUSIBLE, Temperature(98.6, OK), False, words.FAHRENHEIT_ACTION),
        (Reason.TEMP_IMPLAUSIBLE, Temperature(98.6, OK), True, words.FAHRENHEIT_ACTION),
        (Reason.TEMP_IMPLAUSIBLE, Temperature(86.0, OK), False, words.FAHRENHEIT_ACTION),
        # the sensor's own "above range", a reading no unit explains, one typed by hand: aim again
        (Reason.TEMP_IMPLAUSIBLE, Temperature(98.6, HIGH), False, None),
        (Reason.TEMP_IMPLAUSIBLE, Temperature(44.0, OK), False, None),
        (Reason.TEMP_IMPLAUSIBLE, Temperature(120.0, OK), False, None),
        (Reason.TEMP_IMPLAUSIBLE, Temperature(98.6, SensorStatus.MANUAL), False, None),
        (Reason.FEVER, Temperature(38.2, OK), True, words.OFFLINE_ACTION[Reason.FEVER]),
        (Reason.FEVER, Temperature(38.2, OK), False, None),
        (Reason.OK, Temperature(36.6, OK), True, None),
    ],
)
def test_the_gates_own_next_step_only_where_the_reasons_would_mislead(
    reason: Reason, temperature: Temperature, offline: bool, step: tuple[str, str] | None
) -> None:
    assert words.gate_next_step(reason, temperature, offline=offline) == step
