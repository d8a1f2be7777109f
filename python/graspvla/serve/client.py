"""Python client of the model server (REQ socket), and a policy adapter over it."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import zmq
from numpy.typing import NDArray

from graspvla.serve.codec import Encoding, decode, detect_encoding, encode

__all__ = ["PolicyClient", "RemotePolicy", "ServerError"]


class ServerError(RuntimeError):
    """The server answered with an error reply."""


class PolicyClient:
    """Talks to a :class:`graspvla.serve.PolicyServer` (or the original GraspVLA server when
    ``encoding="pickle"``).

    Args:
        address: e.g. ``tcp://127.0.0.1:6666``.
        encoding: ``"msgpack"`` (default) or ``"pickle"`` (original clients' format).
        timeout_s: reply timeout [s]; on timeout the socket is rebuilt and TimeoutError raised.
    """

    def __init__(self, address: str = "tcp://127.0.0.1:6666", encoding: Encoding = "msgpack",
                 timeout_s: float = 30.0) -> None:
        self.address, self.encoding, self.timeout_ms = address, encoding, int(timeout_s * 1000)
        self._ctx = zmq.Context.instance()
        self._sock = self._connect()

    def _connect(self) -> zmq.Socket:
        s = self._ctx.socket(zmq.REQ)
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.RCVTIMEO, self.timeout_ms)
        s.connect(self.address)
        return s

    def close(self) -> None:
        self._sock.close(0)

    def __enter__(self) -> PolicyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send_raw(self, payload: bytes) -> dict[str, Any]:
        """Sends bytes as they are and decodes the reply (for protocol tests)."""
        try:
            self._sock.send(payload)
            reply = self._sock.recv()
        except zmq.Again as exc:
            self._sock.close(0)
            self._sock = self._connect()
            raise TimeoutError(f"no reply from {self.address} within {self.timeout_ms} ms") from exc
        enc = detect_encoding(reply)
        return decode(reply, enc, allow_pickle=(enc == "pickle" and self.encoding == "pickle"))

    def call(self, message: dict[str, Any]) -> dict[str, Any]:
        reply = self.send_raw(encode(message, self.encoding))
        if reply.get("info") == "error":
            raise ServerError(reply.get("error", "unknown server error"))
        return reply

    def health(self) -> dict[str, Any]:
        return self.call({"type": "health"})

    def predict(self, text: str, front_image: NDArray[np.uint8], side_image: NDArray[np.uint8],
                proprio: NDArray[np.float64], compress: bool = False) -> dict[str, Any]:
        """One policy query. ``proprio``: (>=1, 7) rows [x, y, z, roll, pitch, yaw, g] in the
        base frame (g = -1 closed, +1 open); the server uses rows [-4] and [-1]."""
        front: Any = front_image
        side: Any = side_image
        if compress:
            front, side = _jpeg(front_image), _jpeg(side_image)
        return self.call({"text": text, "front_view_image": [front], "side_view_image": [side],
                          "proprio_array": np.asarray(proprio, dtype=np.float64), "compressed": compress})


def _jpeg(image: NDArray[np.uint8], quality: int = 95) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


class RemotePolicy:
    """A remote model used like a local one: ``predict_action_chunk`` returns the sub-step
    delta actions (2H, 7), the boxes (2, 4) and the grasp pose (6,) from the server."""

    def __init__(self, address: str = "tcp://127.0.0.1:6666", timeout_s: float = 30.0) -> None:
        self.client = PolicyClient(address, timeout_s=timeout_s)

    def predict_action_chunk(self, text: str, front_image: NDArray[np.uint8], side_image: NDArray[np.uint8],
                             proprio: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
        reply = self.client.predict(text, front_image, side_image, proprio)
        pose = reply["debug"]["pose"]
        return {
            "actions": np.stack([np.asarray(r, dtype=np.float64) for r in reply["result"]]),
            "bbox": np.asarray(reply["debug"]["bbox"], dtype=np.float64),
            "pose": np.concatenate([np.asarray(pose[0]), np.asarray(pose[1])]).astype(np.float64),
            "latency_ms": float(reply["debug"].get("latency_ms", float("nan"))),
        }

    def close(self) -> None:
        self.client.close()
