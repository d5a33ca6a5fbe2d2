"""ScreenDisplay: the full-screen web page for a monitor at the gate, served on 127.0.0.1 by the
standard library; the page polls /state.json every 300 ms. TeeDisplay shows on several displays."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from gate_agent.devices.display import FAULT_TEXT
from gate_agent.ports import Display, Fault
from gate_agent.views import DisplayView

logger = logging.getLogger(__name__)

PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>campusgate</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 html,body{margin:0;height:100%;font-family:"Noto Sans CJK SC","Noto Sans",sans-serif;background:#222;color:#fff}
 #v{height:100%;display:flex;flex-direction:column;justify-content:center;align-items:center;text-align:center}
 .allow{background:#0a7d2c}.deny{background:#b3121f}.remeasure{background:#c79100;color:#111}.refer{background:#1d4fa0}
 #verdict{font-size:24vh;font-weight:900;line-height:1}
 #zh{font-size:9vh;font-weight:700;margin-top:2vh}#en{font-size:5vh;opacity:.9}
 #who,#temp{font-size:6vh;margin-top:2vh}#action{font-size:4.5vh;margin-top:2vh}
 #off{position:fixed;top:1vh;right:2vw;font-size:5vh;font-weight:900;background:#000;padding:.5vh 2vw;display:none}
 #faults{position:fixed;bottom:0;left:0;right:0;background:#ffd400;color:#000;font-size:4vh;font-weight:700}
 #faults div{padding:.5vh 2vw}
</style></head><body>
<div id="v"><div id="verdict">…</div><div id="zh"></div><div id="en"></div>
<div id="temp"></div><div id="who"></div><div id="action"></div></div>
<div id="off">离线 OFFLINE</div><div id="faults"></div>
<script>
const HEAD={allow:"通行",deny:"禁止",remeasure:"请重新测温",refer:"人工核验"};
const HEAD_EN={allow:"ALLOW",deny:"DENY",remeasure:"REMEASURE",refer:"REFER"};
const $=id=>document.getElementById(id);
async function tick(){
 try{
  const s=await (await fetch("/state.json",{cache:"no-store"})).json();
  const v=s.view;
  $("v").className=v?v.verdict:"";
  $("verdict").textContent=v?HEAD[v.verdict]+" "+HEAD_EN[v.verdict]:"请出示出入码";
  $("zh").textContent=v?v.text_zh:"Show your pass";
  $("en").textContent=v?v.text_en:"";
  $("temp").textContent=v&&v.celsius!==null?"体温 "+v.celsius.toFixed(1)+" °C":"";
  $("who").textContent=v?[v.holder,v.household].filter(x=>x).join("　"):"";
  $("action").textContent=v?v.action_zh+" / "+v.action_en:"";
  $("off").style.display=s.offline?"block":"none";
  $("faults").innerHTML="";
  for(const f of s.faults){const d=document.createElement("div");d.textContent="⚠ "+f.zh+" / "+f.en;$("faults").appendChild(d);}
 }catch(e){$("off").style.display="block";}
}
setInterval(tick,300);tick();
</script></body></html>
"""


class ScreenDisplay:
    """The Display port as a local web page; start() serves it, close() stops serving."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self._lock = threading.Lock()
        self._view: DisplayView | None = None
        self._faults: set[Fault] = set()
        self._seq = 0
        self._server = ThreadingHTTPServer((host, port), _handler(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Where the page is served."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/"

    def start(self) -> ScreenDisplay:
        """Serve in a thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, name="gate-screen", daemon=True)
        self._thread.start()
        logger.info("gate screen on %s", self.url)
        return self

    def close(self) -> None:
        """Stop serving."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(5)
            self._thread = None
        self._server.server_close()

    def show(self, view: DisplayView) -> None:
        """Show a decision."""
        with self._lock:
            self._view, self._seq = view, self._seq + 1

    def show_fault(self, fault: Fault) -> None:
        """Show a fault until cleared."""
        with self._lock:
            self._faults.add(fault)

    def clear_fault(self, fault: Fault) -> None:
        """The fault is over."""
        with self._lock:
            self._faults.discard(fault)

    def state(self) -> dict[str, Any]:
        """What the page shows now, as JSON-ready data."""
        with self._lock:
            v, faults, seq = self._view, sorted(self._faults), self._seq
        view = None
        if v is not None:
            view = {
                "verdict": v.verdict.value,
                "reason": v.reason.value,
                "text_zh": v.text_zh,
                "text_en": v.text_en,
                "action_zh": v.action_zh,
                "action_en": v.action_en,
                "celsius": v.celsius,
                "holder": v.holder,
                "household": v.household,
                "offline": v.offline,
            }
        return {
            "seq": seq,
            "view": view,
            "offline": bool(v and v.offline) or Fault.LINK_DOWN in faults,
            "faults": [{"code": f.value, "zh": FAULT_TEXT[f][0], "en": FAULT_TEXT[f][1]} for f in faults],
            "at": datetime.now(UTC).isoformat(),
        }


def _handler(screen: ScreenDisplay) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            if self.path == "/":
                body, kind = PAGE.encode(), "text/html; charset=utf-8"
            elif self.path.startswith("/state.json"):
                body, kind = json.dumps(screen.state(), ensure_ascii=False).encode(), "application/json"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # a poll every 300 ms must not fill the log

    return Handler


class TeeDisplay:
    """Shows everything on several displays (terminal and gate screen)."""

    def __init__(self, *displays: Display) -> None:
        self.displays = displays

    def show(self, view: DisplayView) -> None:
        """Show on each."""
        for d in self.displays:
            d.show(view)

    def show_fault(self, fault: Fault) -> None:
        """Show on each."""
        for d in self.displays:
            d.show_fault(fault)

    def clear_fault(self, fault: Fault) -> None:
        """Clear on each."""
        for d in self.displays:
            d.clear_fault(fault)

    def close(self) -> None:
        """Close those that can be closed."""
        for d in self.displays:
            close = getattr(d, "close", None)
            if close is not None:
                close()
