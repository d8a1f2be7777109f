"""ZeroMQ model server speaking the original GraspVLA protocol (ROUTER socket).

Requests arriving within ``batch_window_ms`` of each other are batched (up to
``max_batch``) into one call of the handler. Malformed, oversized or forbidden messages get
an error reply; the server never crashes on client input.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import zmq

from graspvla.serve.codec import Encoding, ProtocolError, decode, detect_encoding, encode
from graspvla.serve.protocol import Request, error_reply, parse_request, success_reply

__all__ = ["BatchHandler", "PolicyServer", "ServerConfig"]

log = logging.getLogger(__name__)

#: Takes parsed requests, returns per request a dict with ``result`` ((2H, 7) sub-step actions),
#: ``bbox`` ((2, 4) pixels, front then side) and ``pose`` ((6,) grasp xyz + rpy, base frame).
BatchHandler = Callable[[list[Request]], list[dict[str, Any]]]


@dataclass
class ServerConfig:
    """Server settings.

    Attributes:
        host: interface to bind; 127.0.0.1 by default (use 0.0.0.0 deliberately).
        port: TCP port.
        allow_pickle: accept pickled requests from original GraspVLA clients (restricted
            unpickler: plain containers, numbers, strings, bytes, numpy arrays only).
        max_batch: most requests served by one handler call.
        batch_window_ms: how long to wait for more requests after the first one [ms].
        max_message_bytes: larger messages get an error reply without being decoded.
    """

    host: str = "127.0.0.1"
    port: int = 6666
    allow_pickle: bool = False
    max_batch: int = 8
    batch_window_ms: float = 5.0
    max_message_bytes: int = 32 * 1024 * 1024

    @property
    def address(self) -> str:
        return f"tcp://{self.host}:{self.port}"


@dataclass
class _Pending:
    envelope: list[bytes]
    encoding: Encoding
    received: float
    request: Request | None = None
    reply: dict[str, Any] | None = None


class PolicyServer:
    """Serves a :data:`BatchHandler` over ZeroMQ. Use :meth:`serve_forever` in the main
    thread, or :meth:`start` / :meth:`stop` to run it in a background thread."""

    def __init__(self, handler: BatchHandler, config: ServerConfig | None = None) -> None:
        self.handler = handler
        self.config = config or ServerConfig()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self.bound_port: int | None = None
        self.stats = {"requests": 0, "errors": 0, "batches": 0}

    # ---- lifecycle ----------------------------------------------------------------------
    def start(self) -> PolicyServer:
        self._thread = threading.Thread(target=self.serve_forever, name="graspvla-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("server did not start within 10 s")
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def serve_forever(self) -> None:
        ctx = zmq.Context.instance()
        sock = ctx.socket(zmq.ROUTER)
        sock.setsockopt(zmq.LINGER, 0)
        try:
            if self.config.port == 0:
                self.bound_port = sock.bind_to_random_port(f"tcp://{self.config.host}")
            else:
                sock.bind(self.config.address)
                self.bound_port = self.config.port
            log.info("graspvla server listening on tcp://%s:%s", self.config.host, self.bound_port)
            self._ready.set()
            poller = zmq.Poller()
            poller.register(sock, zmq.POLLIN)
            while not self._stop.is_set():
                if not poller.poll(100):
                    continue
                batch = self._collect(sock, poller)
                self._serve(sock, batch)
        finally:
            sock.close(0)

    # ---- internals ----------------------------------------------------------------------
    def _collect(self, sock: zmq.Socket, poller: zmq.Poller) -> list[_Pending]:
        batch: list[_Pending] = []
        deadline = time.perf_counter() + self.config.batch_window_ms / 1000.0
        while len(batch) < self.config.max_batch:
            try:
                frames = sock.recv_multipart(zmq.NOBLOCK, copy=True)
            except zmq.Again:
                remaining = deadline - time.perf_counter()
                if remaining <= 0 or not batch or not poller.poll(max(1, int(remaining * 1000))):
                    break
                continue
            batch.append(self._parse(frames))
        return batch

    def _parse(self, frames: list[bytes]) -> _Pending:
        # REQ clients: [identity, b"", payload]; DEALER clients may omit the empty delimiter.
        if len(frames) >= 3 and frames[1] == b"":
            envelope, payload = frames[:2], frames[2]
        else:
            envelope, payload = frames[:1], frames[-1]
        pending = _Pending(envelope=envelope, encoding=detect_encoding(payload), received=time.perf_counter())
        self.stats["requests"] += 1
        try:
            if len(frames) > 3:
                raise ProtocolError(f"expected one payload frame, got {len(frames) - len(envelope)}")
            if len(payload) > self.config.max_message_bytes:
                raise ProtocolError(f"message of {len(payload)} bytes exceeds the {self.config.max_message_bytes}-byte limit")
            parsed = parse_request(decode(payload, pending.encoding, allow_pickle=self.config.allow_pickle))
            if parsed == "health":
                pending.reply = {"info": "ok", "status": "healthy", "stats": dict(self.stats)}
            else:
                pending.request = parsed  # type: ignore[assignment]
        except ProtocolError as exc:
            self.stats["errors"] += 1
            pending.reply = error_reply(str(exc))
        return pending

    def _serve(self, sock: zmq.Socket, batch: list[_Pending]) -> None:
        todo = [p for p in batch if p.reply is None and p.request is not None]
        if todo:
            self.stats["batches"] += 1
            try:
                outputs = self.handler([p.request for p in todo])  # type: ignore[misc]
                if len(outputs) != len(todo):
                    raise RuntimeError(f"handler returned {len(outputs)} results for {len(todo)} requests")
                now = time.perf_counter()
                for p, out in zip(todo, outputs):
                    p.reply = success_reply(out["result"], out["bbox"], out["pose"], env_id=p.request.env_id,  # type: ignore[union-attr]
                                            latency_ms=(now - p.received) * 1000.0)
            except Exception as exc:  # the model failed: every request in the batch learns why
                log.exception("handler failed")
                self.stats["errors"] += len(todo)
                for p in todo:
                    p.reply = error_reply(f"inference failed: {type(exc).__name__}: {exc}")
        for p in batch:
            try:
                body = encode(p.reply, p.encoding)
            except Exception as exc:
                body = encode(error_reply(f"could not encode reply: {exc}"), p.encoding)
            sock.send_multipart([*p.envelope, body])
