"""Model server: both encodings, malicious pickles, concurrency, bad messages."""

from __future__ import annotations

import os
import pickle
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

zmq = pytest.importorskip("zmq")
pytest.importorskip("msgpack")

from graspvla.geometry import axis_angle_to_matrix, euler_to_matrix, matrix_to_axis_angle  # noqa: E402
from graspvla.serve import (  # noqa: E402
    PolicyClient,
    PolicyServer,
    ProtocolError,
    RemotePolicy,
    Request,
    ServerConfig,
    ServerError,
    decode,
    encode,
    split_delta_actions,
)


def fake_handler(requests: list[Request]) -> list[dict[str, Any]]:
    """Deterministic stand-in for the model: every output is a function of the request, so a
    reply routed to the wrong client is detected."""
    outs = []
    for r in requests:
        key = float(r.proprio[-1, 0]) + len(r.text) + float(r.front_image[0, 0, 0])
        outs.append({"result": np.full((8, 7), key), "bbox": np.arange(8.0).reshape(2, 4) + key,
                     "pose": np.array([key, 0, 0, 0, 0, 0.0])})
    return outs


@pytest.fixture()
def server(request: pytest.FixtureRequest) -> Iterator[PolicyServer]:
    allow_pickle = getattr(request, "param", False)
    srv = PolicyServer(fake_handler, ServerConfig(port=0, allow_pickle=allow_pickle, max_message_bytes=2_000_000)).start()
    yield srv
    srv.stop()


def _msg(key: float = 0.5, text: str = "pick up the mug") -> dict[str, Any]:
    img = np.zeros((32, 32, 3), np.uint8)
    return {"text": text, "front_view_image": [img], "side_view_image": [img],
            "proprio_array": np.tile(np.array([key, 0, 0.4, np.pi, 0, 0, 1.0]), (4, 1))}


def test_msgpack_roundtrip_with_latency(server: PolicyServer) -> None:
    with PolicyClient(f"tcp://127.0.0.1:{server.bound_port}") as c:
        reply = c.call(_msg(0.25))
        key = 0.25 + len("pick up the mug")
        assert reply["info"] == "success"
        assert np.allclose(np.stack(reply["result"]), key)
        assert np.allclose(reply["debug"]["bbox"], np.arange(8.0).reshape(2, 4) + key)
        assert reply["debug"]["latency_ms"] >= 0
        assert c.health()["status"] == "healthy"


@pytest.mark.parametrize("server", [True], indirect=True)
def test_pickle_roundtrip_like_original_client(server: PolicyServer) -> None:
    ctx = zmq.Context.instance()
    s = ctx.socket(zmq.REQ)
    s.setsockopt(zmq.RCVTIMEO, 5000)
    s.connect(f"tcp://127.0.0.1:{server.bound_port}")
    s.send_pyobj(_msg(1.0))  # what the original GraspVLA clients do
    reply = s.recv_pyobj()
    s.close(0)
    assert reply["info"] == "success" and np.allclose(reply["result"][0], 1.0 + len("pick up the mug"))


class _Evil:
    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, ("touch /tmp/graspvla_pwned",))


@pytest.mark.parametrize("server", [True], indirect=True)
def test_malicious_pickle_refused(server: PolicyServer, tmp_path: Any) -> None:
    with PolicyClient(f"tcp://127.0.0.1:{server.bound_port}", encoding="pickle") as c:
        reply = c.send_raw(pickle.dumps({"text": _Evil()}, protocol=4))
    assert reply["info"] == "error" and "forbidden" in reply["error"]
    assert not os.path.exists("/tmp/graspvla_pwned")


def test_pickle_off_by_default(server: PolicyServer) -> None:
    with PolicyClient(f"tcp://127.0.0.1:{server.bound_port}", encoding="pickle") as c:
        reply = c.send_raw(pickle.dumps(_msg(), protocol=4))
    assert reply["info"] == "error" and "disabled" in reply["error"]


def test_restricted_unpickler_direct() -> None:
    with pytest.raises(ProtocolError, match="forbidden"):
        decode(pickle.dumps(_Evil()), "pickle", allow_pickle=True)
    ok = decode(pickle.dumps({"a": np.arange(3), "b": [1, 2.5, "x", b"y"]}), "pickle", allow_pickle=True)
    assert list(ok["a"]) == [0, 1, 2]
    with pytest.raises(ProtocolError):
        decode(pickle.dumps(np.array([object()], dtype=object)), "pickle", allow_pickle=True)


def test_eight_concurrent_clients(server: PolicyServer) -> None:
    errors: list[str] = []

    def worker(cid: int) -> None:
        with PolicyClient(f"tcp://127.0.0.1:{server.bound_port}", timeout_s=30) as c:
            for i in range(100):
                key = cid * 1000 + i
                reply = c.call(_msg(float(key)))
                expect = key + len("pick up the mug")
                if not np.allclose(reply["result"][3], expect):
                    errors.append(f"client {cid} request {i}: got {reply['result'][3][0]}, want {expect}")

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[:5]
    assert server.stats["requests"] >= 800
    assert server.stats["batches"] < 800  # requests were batched


def test_oversized_truncated_and_malformed(server: PolicyServer) -> None:
    with PolicyClient(f"tcp://127.0.0.1:{server.bound_port}") as c:
        big = encode(_msg() | {"front_view_image": [np.zeros((1000, 1000, 3), np.uint8)]})
        assert len(big) > 2_000_000
        r = c.send_raw(big)
        assert r["info"] == "error" and "exceeds" in r["error"]
        full = encode(_msg())
        r = c.send_raw(full[: len(full) // 2])
        assert r["info"] == "error" and "decode" in r["error"]
        for bad, needle in [({"text": "x"}, "missing"),
                            (_msg() | {"proprio_array": np.full((4, 7), np.nan)}, "NaN"),
                            (_msg() | {"front_view_image": [np.zeros((32, 32), np.uint8)]}, "HxWx3"),
                            (_msg() | {"compressed": True}, "bytes"),
                            ([1, 2, 3], "dict")]:
            r = c.send_raw(encode(bad))
            assert r["info"] == "error" and needle in r["error"], (needle, r)
        # the server is still alive and correct
        assert c.call(_msg(2.0))["info"] == "success"


def test_jpeg_requests_and_remote_policy(server: PolicyServer) -> None:
    pytest.importorskip("PIL")
    policy = RemotePolicy(f"tcp://127.0.0.1:{server.bound_port}")
    img = np.full((64, 64, 3), 100, np.uint8)
    out = policy.client.predict("pick up the can", img, img, np.zeros((4, 7)), compress=True)
    assert out["info"] == "success"
    res = policy.predict_action_chunk("pick up the can", img, img, np.zeros((4, 7)))
    assert res["actions"].shape == (8, 7) and res["bbox"].shape == (2, 4) and res["pose"].shape == (6,)
    policy.close()


def test_handler_failure_becomes_error_reply() -> None:
    def broken(reqs: list[Request]) -> list[dict[str, Any]]:
        raise RuntimeError("model exploded")

    srv = PolicyServer(broken, ServerConfig(port=0)).start()
    try:
        with PolicyClient(f"tcp://127.0.0.1:{srv.bound_port}") as c:
            with pytest.raises(ServerError, match="model exploded"):
                c.call(_msg())
            assert c.health()["info"] == "ok"
    finally:
        srv.stop()


def test_split_delta_actions_composes_back() -> None:
    rng = np.random.default_rng(0)
    chunk = np.concatenate([rng.normal(0, 0.01, (4, 3)), rng.normal(0, 0.2, (4, 3)), [[1], [0.5], [0.1], [0.9]]], 1)
    sub = split_delta_actions(chunk)
    assert sub.shape == (8, 7)
    np.testing.assert_allclose(sub[0::2, :3] + sub[1::2, :3], chunk[:, :3])
    for i in range(4):
        R_half = euler_to_matrix(sub[2 * i, 3:6])
        np.testing.assert_allclose(R_half @ R_half, euler_to_matrix(chunk[i, 3:6]), atol=1e-10)
    assert list(sub[0::2, 6]) == [0, 0, 0, 0]
    assert list(sub[1::2, 6]) == [1, 0, -1, 1]
    assert np.allclose(matrix_to_axis_angle(axis_angle_to_matrix(np.zeros(3))), 0)
