"""A light client that speaks Streamlit's own websocket protocol, for load tests.

A browser per simulated user costs more CPU than the server it measures (with
20 Playwright pages on 2 cores the browsers were the bottleneck).  This client
does what the browser's JavaScript does on the wire, and nothing else:

* ``GET /`` once, for the cookies the app sets on its first page
  (``ess_browser``; Streamlit's XSRF cookie);
* a websocket on ``/_stcore/stream`` with the browser's cookies and Origin, so
  that the app sees the same ``st.context.cookies`` as from a browser;
* ``BackMsg.rerun_script`` messages carrying the widget states
  (``WidgetStates``), with the ``fragment_id`` of the widget's fragment when it
  sits in one, exactly as the frontend sends them (protobuf classes from the
  ``streamlit`` package itself);
* ``ForwardMsg`` replies parsed until ``script_finished``; widgets are found by
  their user key, the suffix of Streamlit's element id.

What it does not do: draw anything, run components' JavaScript, or send the
values of widgets the user has not touched (the server then keeps their
current values, as it does for a browser's untouched widgets).  The sign-in
page's redirect to ``/auth/session?ticket=…`` is read from the page's script
and followed over HTTP, as the browser would.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import httpx
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates

TICKET_URL = re.compile(rb"(/auth/session\?ticket=[A-Za-z0-9_.%\-=&]+)")


class ClientError(RuntimeError):
    """The app did not answer as a browser would expect."""


@dataclass
class Widget:
    id: str
    kind: str
    label: str
    fragment_id: str
    options: list[str] = field(default_factory=list)
    disabled: bool = False
    value: str | None = None
    """The option shown as chosen (radio, select box), as the page drew it."""


@dataclass
class RunResult:
    seconds: float
    exceptions: list[str]
    raw: bytes


def _chosen(proto: Any, options: list[str]) -> str | None:
    """The option a radio or select box shows as chosen."""
    fields = proto.DESCRIPTOR.fields_by_name
    if not options:
        return None
    if "raw_value" in fields and proto.HasField("raw_value"):
        return str(proto.raw_value)
    if "default" in fields and proto.HasField("default"):
        index = int(proto.default)
        return options[index] if 0 <= index < len(options) else None
    return None


class StreamlitClient:
    """One browser tab: cookies, one websocket, the widgets of the last run."""

    def __init__(self, base_url: str, *, timeout: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout = timeout
        self.http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout)
        self.ws: Any = None
        self.widgets: dict[str, Widget] = {}
        self.sent_states: dict[str, WidgetState] = {}
        self.page_script_hash = ""

    # -- connection -------------------------------------------------------

    async def open(self) -> None:
        """First page load: cookies, then the websocket."""
        response = await self.http.get("")
        response.raise_for_status()
        await self._connect()

    async def _connect(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.http.cookies.jar)
        ws_url = self.base_url.replace("http", "ws", 1) + "_stcore/stream"
        origin = self.base_url.rstrip("/")
        subprotocols = ["streamlit"]
        xsrf = self.http.cookies.get("_streamlit_xsrf")
        if xsrf:
            subprotocols.append(xsrf)
        self.ws = await websockets.connect(
            ws_url,
            subprotocols=subprotocols,  # type: ignore[arg-type]
            additional_headers={"Cookie": cookies, "Origin": origin},
            max_size=None,
            open_timeout=self.timeout,
        )
        self.widgets = {}
        self.sent_states = {}

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None
        await self.http.aclose()

    async def reload(self) -> RunResult:
        """What a page reload does: a new websocket and a full run."""
        await self._connect()
        return await self.rerun()

    # -- runs -------------------------------------------------------------

    async def rerun(self, *, fragment_id: str = "") -> RunResult:
        """Send the widget states; wait for the run to finish; learn the widgets."""
        state = ClientState(
            query_string="",
            page_script_hash=self.page_script_hash,
            widget_states=WidgetStates(widgets=list(self.sent_states.values())),
            fragment_id=fragment_id,
        )
        started = time.perf_counter()
        await self.ws.send(BackMsg(rerun_script=state).SerializeToString())
        exceptions: list[str] = []
        raw = bytearray()
        while True:
            try:
                data = await asyncio.wait_for(self.ws.recv(), self.timeout)
            except TimeoutError as exc:
                raise ClientError("no script_finished within the time-out") from exc
            raw.extend(data)
            msg = ForwardMsg()
            msg.ParseFromString(data)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                self.page_script_hash = msg.new_session.page_script_hash
            elif kind == "page_info_changed":
                pass
            elif kind == "delta":
                self._learn(msg, exceptions)
            elif kind == "script_finished":
                if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # the app called st.rerun(): its next run follows
                break
        for trigger in [k for k, s in self.sent_states.items() if s.HasField("trigger_value")]:
            del self.sent_states[trigger]  # a click is sent once
        return RunResult(time.perf_counter() - started, exceptions, bytes(raw))

    def _learn(self, msg: ForwardMsg, exceptions: list[str]) -> None:
        delta = msg.delta
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind == "exception":
            exceptions.append(f"{element.exception.type}: {element.exception.message}")
            return
        if kind is None:
            return
        proto = getattr(element, kind)
        widget_id = getattr(proto, "id", "")
        if not widget_id or not isinstance(widget_id, str):
            return
        options = [str(o) for o in getattr(proto, "options", [])]
        self.widgets[widget_id] = Widget(
            id=widget_id,
            kind=kind,
            label=str(getattr(proto, "label", "")),
            fragment_id=delta.fragment_id,
            options=options,
            disabled=bool(getattr(proto, "disabled", False)),
            value=_chosen(proto, options),
        )

    # -- widgets ----------------------------------------------------------

    def find(self, key: str | None = None, *, label: str | None = None) -> Widget:
        """The widget whose user key is ``key`` (or whose label is ``label``)."""
        for widget in self.widgets.values():
            if key is not None and widget.id.endswith("-" + key):
                return widget
            if label is not None and widget.label == label:
                return widget
        raise ClientError(f"no widget {key or label!r} on the page")

    def widgets_with(self, fragment: str) -> list[Widget]:
        return [w for w in self.widgets.values() if fragment in w.id and not w.disabled]

    def set_value(self, widget: Widget, **value: Any) -> None:
        """Record a widget's new value (``int_value=2``, ``string_value="x"``…)."""
        self.sent_states[widget.id] = WidgetState(id=widget.id, **value)

    async def choose(self, widget: Widget, index: int) -> RunResult:
        """Pick option ``index`` of a radio or select box (sent as its shown label)."""
        return await self.change(widget, string_value=widget.options[index])

    def click(self, widget: Widget) -> None:
        self.sent_states[widget.id] = WidgetState(id=widget.id, trigger_value=True)

    async def change(self, widget: Widget, **value: Any) -> RunResult:
        """Set one widget and rerun its fragment (or the page), as the browser does."""
        self.set_value(widget, **value)
        return await self.rerun(fragment_id=widget.fragment_id)

    # -- sign-in ----------------------------------------------------------

    async def sign_in(self, email: str, password: str) -> RunResult:
        """Fill the sign-in form, follow the ticket to the session cookie, reload."""
        await self.rerun()
        self.set_value(self.find(label="Adresse e-mail"), string_value=email)
        self.set_value(self.find(label="Mot de passe"), string_value=password)
        self.click(self.find(label="Se connecter"))
        result = await self.rerun()
        match = TICKET_URL.search(result.raw)
        if match is None:
            raise ClientError("sign-in refused: no ticket on the page")
        path = match.group(1).decode().replace("\\u0026", "&")
        response = await self.http.get(urljoin(self.base_url, path.lstrip("/")))
        if response.status_code >= 400 or "ess_session" not in self.http.cookies:
            raise ClientError(f"ticket refused ({response.status_code})")
        return await self.reload()
