"""Model serving: a ZeroMQ server speaking the original GraspVLA protocol, a client, and a
remote-policy adapter. Default encoding msgpack; pickle only when explicitly allowed, and
then through a restricted unpickler."""

from __future__ import annotations

from graspvla.serve.client import PolicyClient, RemotePolicy, ServerError
from graspvla.serve.codec import ProtocolError, decode, encode
from graspvla.serve.protocol import Request, parse_request, split_delta_actions
from graspvla.serve.server import BatchHandler, PolicyServer, ServerConfig

__all__ = [
    "BatchHandler",
    "PolicyClient",
    "PolicyServer",
    "ProtocolError",
    "RemotePolicy",
    "Request",
    "ServerConfig",
    "ServerError",
    "decode",
    "encode",
    "parse_request",
    "split_delta_actions",
]
