"""The layering the design promises: a pure core, and a gate that never loads server code."""

from __future__ import annotations

import subprocess
import sys


def _loaded_after(imports: str) -> set[str]:
    code = f"import sys; {imports}; print(' '.join(sorted(m.split('.')[0] for m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_core_imports_no_io_library() -> None:
    loaded = _loaded_after(
        "import gatecore.policy, gatecore.messages, gatecore.tokens, gatecore.topics, gatecore.thermoline,"
        " gatecore.campus, gatecore.facts, gatecore.gatefacts"
    )
    assert not loaded & {
        "cv2",
        "paho",
        "serial",
        "sqlmodel",
        "sqlalchemy",
        "fastapi",
        "central",
        "gate_agent",
    }


def test_gate_agent_loads_neither_fastapi_nor_sqlmodel() -> None:
    loaded = _loaded_after("import gate_agent.bootstrap, gate_agent.main")
    assert "gate_agent" in loaded and "paho" in loaded
    assert not loaded & {"fastapi", "sqlmodel", "sqlalchemy", "central", "uvicorn", "amqtt"}
