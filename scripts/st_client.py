"""A light Streamlit client for the benchmark: one websocket session speaking Streamlit's own protobuf protocol.

No browser: it opens a page, reads the widgets the server sends, changes a slider and times the rerun from the
message that asks for it to the server's `script_finished`. Like the browser, every rerun it asks for carries the
value of every widget on the page (a widget's default until the client or the server changes it): a callback
that reruns another fragment reads the other controls from session state, as it would with a browser. Thirty of
them fit in one asyncio loop, so a classroom load costs the machine almost nothing besides the server's own work
(thirty Chromium pages would compete with the server for the same two cores). What it does not measure is the
browser's rendering; the Playwright measurements in benchmark.py cover that.
"""

from __future__ import annotations

import asyncio
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.NumberInput_pb2 import NumberInput
from streamlit.proto.RootContainer_pb2 import RootContainer
from streamlit.proto.WidgetStates_pb2 import WidgetState

FINISHED_EARLY_FOR_RERUN = ForwardMsg.FINISHED_EARLY_FOR_RERUN
SIDEBAR = RootContainer.SIDEBAR


@dataclass
class Slider:
    """A slider or select slider as the server described it; a select slider's value is an option index."""

    id: str
    label: str
    min: float
    max: float
    step: float
    value: float
    options: list[str]
    fragment_id: str = ""  # a slider inside an st.fragment: moving it reruns only that fragment
    position: tuple[int, ...] = ()  # where the page shows it (sidebar first, then Streamlit's delta path)
    direction: float = 1.0

    @property
    def key(self) -> str:
        """The user key (the URL parameter name): Streamlit's widget ids end with it."""
        return self.id.rsplit("-", 1)[-1]

    def nudged(self, walk: bool) -> float:
        """The next value a student would set. walk=False: one step away and back, over and over (the same two
        values, as the browser benchmark's key presses); walk=True: step by step through the whole range and back
        (new values, as a class exploring the slider)."""
        step = (self.step or 1) * self.direction
        if not self.min <= self.value + step <= self.max:
            self.direction, step = -self.direction, -step
        if not walk:
            self.direction = -self.direction
        return round(self.value + step, 10)


BROWSER_SENT = ("checkbox", "number_input", "selectbox", "radio", "button_group", "multiselect", "text_input",
                "text_area")  # besides sliders; buttons, uploads, data editors, chart selections: only once used


def browser_state(kind: str, proto) -> WidgetState:
    """The value the browser sends for a widget (a kind in BROWSER_SENT) the server has just described: its
    default, or the value the server set, in the field Streamlit 1.67's frontend uses."""
    state = WidgetState(id=proto.id)
    if kind == "checkbox":
        state.bool_value = proto.value if proto.set_value else proto.default
    elif kind == "number_input":
        value = proto.value if proto.set_value else proto.default
        if proto.data_type == NumberInput.INT:
            state.int_value = int(value)
        else:
            state.double_value = value
    elif kind in ("selectbox", "radio"):
        if proto.set_value:
            state.string_value = proto.raw_value
        elif 0 <= proto.default < len(proto.options):
            state.string_value = proto.options[proto.default]
    elif kind == "button_group":
        labels = [option.content for option in proto.options]
        state.string_array_value.data.extend(
            proto.raw_values if proto.set_value else [labels[i] for i in proto.default])
    elif kind == "multiselect":
        state.string_array_value.data.extend(
            proto.raw_values if proto.set_value else [proto.options[i] for i in proto.default])
    else:
        state.string_value = proto.value if proto.set_value else proto.default
    return state


@dataclass
class Run:
    """One script run as the client saw it."""

    seconds: float
    exceptions: list[str] = field(default_factory=list)
    bytes_received: int = 0


class Session:
    """One Streamlit session over `/_stcore/stream`. `await Session.open(base, "Demo")`, then `await rerun(...)`.

    base: "http://127.0.0.1:8501" (a server or nginx in front of several). The client first GETs the page, as a
    browser does, so a cookie set by a load balancer for stickiness is sent with the websocket.
    """

    def __init__(self, base: str, page: str, query: str = "") -> None:
        self.base, self.page, self.query = base, page, query
        self.sliders: dict[str, Slider] = {}
        self.uploaders: dict[str, str] = {}  # widget id -> label
        self.other_widgets: dict[str, WidgetState] = {}  # every other widget's value, as the browser sends it
        self.session_id = ""
        self.cookie = ""
        self.http_status = 0
        self._ws = None

    @classmethod
    async def open(cls, base: str, page: str, query: str = "", timeout: float = 120) -> tuple[Session, Run]:
        session = cls(base, page, query)
        run = await session._connect(timeout)
        return session, run

    async def _connect(self, timeout: float) -> Run:
        url = f"{self.base}/{self.page}" + (f"?{self.query}" if self.query else "")
        try:
            self.http_status = self._get(url)
        except urllib.error.HTTPError as error:
            # A browser stops here (e.g. a link longer than the server's request line limit); a script can still
            # send the same query string over the websocket, so the session goes on.
            self.http_status = error.code
        self._get(f"{self.base}/_stcore/health")  # where Streamlit sets its XSRF cookie, which uploads need
        ws_url = "ws" + self.base.removeprefix("http") + "/_stcore/stream"
        headers = {"Cookie": self.cookie} if self.cookie else None
        self._ws = await websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None,
                                            additional_headers=headers, open_timeout=timeout)
        return await self._run(timeout)

    def _get(self, url: str) -> int:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as response:  # noqa: S310
            cookies = dict(c.split("=", 1) for c in self.cookie.split("; ") if c)
            for header in response.headers.get_all("Set-Cookie") or []:
                name, value = header.split(";", 1)[0].split("=", 1)
                cookies[name] = value
            self.cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
            return response.status

    async def rerun(self, changes: dict[str, float] | None = None, timeout: float = 120,
                    fragment_id: str = "") -> Run:
        """Rerun the page (or only the fragment `fragment_id`) with `changes` ({slider id: value}) applied on top
        of the values set so far. The slider keeps the new value itself, as the browser's does: a rerun of another
        fragment (ui.layout.rerun_only) does not send the slider back."""
        for slider_id, value in (changes or {}).items():
            self.sliders[slider_id].value = value
        return await self._run(timeout, fragment_id=fragment_id)

    async def nudge_first_slider(self, walk: bool = False, timeout: float = 120) -> Run:
        """Move the page's first slider (the first in the sidebar, if it has one) as the browser would: a slider
        inside a fragment reruns only its fragment."""
        slider = min(self.sliders.values(), key=lambda known: known.position)
        return await self.rerun({slider.id: slider.nudged(walk)}, timeout, fragment_id=slider.fragment_id)

    async def upload(self, widget_id: str, name: str, data: bytes, timeout: float = 120) -> Run:
        """Upload `data` as the browser does (ask for an upload URL, PUT the file, rerun with the file's info);
        the returned Run times the rerun that reads it."""
        msg = BackMsg()
        msg.file_urls_request.request_id = "bench"
        msg.file_urls_request.file_names.append(name)
        msg.file_urls_request.session_id = self.session_id
        await self._ws.send(msg.SerializeToString())
        while True:
            forward = ForwardMsg()
            forward.ParseFromString(await asyncio.wait_for(self._ws.recv(), timeout))
            if forward.WhichOneof("type") == "file_urls_response":
                urls = forward.file_urls_response.file_urls[0]
                break
        await asyncio.to_thread(self._put, urls.upload_url, name, data)
        state = WidgetState(id=widget_id)  # sent with every later rerun too, as the browser does
        info = state.file_uploader_state_value.uploaded_file_info.add()
        info.file_id, info.name, info.size = urls.file_id, name, len(data)
        info.file_urls.CopyFrom(urls)
        self.other_widgets[widget_id] = state
        return await self._run(timeout)

    def _put(self, upload_url: str, name: str, data: bytes) -> None:
        boundary = "bnlabbenchmarkboundary"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
                f"Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        url = upload_url if upload_url.startswith("http") else f"{self.base}{upload_url}"
        xsrf = next((c.split("=", 1)[1] for c in self.cookie.split("; ") if c.startswith("_streamlit_xsrf=")), "")
        request = urllib.request.Request(url, data=body, method="PUT", headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}", "Cookie": self.cookie,
            "X-Xsrftoken": xsrf})
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (127.0.0.1 only)
            response.read()

    async def _run(self, timeout: float, fragment_id: str = "") -> Run:
        msg = BackMsg()
        state = msg.rerun_script
        state.fragment_id = fragment_id
        state.query_string = self.query
        state.page_name = self.page
        state.context_info.url = f"{self.base}/{self.page}"
        for slider in self.sliders.values():
            widget = state.widget_states.widgets.add()
            widget.id = slider.id
            if slider.options:  # a select slider sends the option's label
                widget.string_array_value.data.append(slider.options[int(slider.value)])
            else:
                widget.double_array_value.data.append(slider.value)
        state.widget_states.widgets.extend(self.other_widgets.values())
        start = time.perf_counter()
        await self._ws.send(msg.SerializeToString())
        run = Run(0.0)
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{self.page}: no script_finished within {timeout} s")
            data = await asyncio.wait_for(self._ws.recv(), remaining)
            run.bytes_received += len(data)
            forward = ForwardMsg()
            forward.ParseFromString(data)
            kind = forward.WhichOneof("type")
            if kind == "new_session":
                self.session_id = forward.new_session.initialize.session_id
            elif kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
                self._read_element(forward.delta.new_element, run, forward.delta.fragment_id,
                                   (forward.metadata.delta_path[0] != SIDEBAR, *forward.metadata.delta_path))
            elif kind == "script_finished" and forward.script_finished != FINISHED_EARLY_FOR_RERUN:
                run.seconds = time.perf_counter() - start
                return run

    def _read_element(self, element, run: Run, fragment_id: str = "", position: tuple[int, ...] = ()) -> None:
        kind = element.WhichOneof("type")
        if kind == "exception":
            run.exceptions.append(f"{element.exception.type}: {element.exception.message}"[:300])
        elif kind == "file_uploader":
            self.uploaders[element.file_uploader.id] = element.file_uploader.label
        elif kind == "slider":
            proto = element.slider
            known = self.sliders.get(proto.id)
            if proto.set_value and proto.raw_value:  # a select slider set by the server: its option's label
                value = float(list(proto.options).index(proto.raw_value[0]))
            elif proto.set_value and proto.value:
                value = proto.value[0]
            else:  # the value the client set, or the default
                value = known.value if known is not None else (proto.default[0] if proto.default else proto.min)
            if known is not None:
                known.value, known.position = value, position
            else:
                self.sliders[proto.id] = Slider(proto.id, proto.label, proto.min, proto.max, proto.step, value,
                                                list(proto.options), fragment_id, position)
        elif kind in BROWSER_SENT:
            proto = getattr(element, kind)
            if proto.set_value or proto.id not in self.other_widgets:
                self.other_widgets[proto.id] = browser_state(kind, proto)

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()

