"""Wire encodings of the model server.

* ``msgpack`` (default): maps, lists, numbers, strings, bytes, and numpy arrays of numeric
  dtypes (as an extension type carrying dtype, shape and raw bytes). Nothing in it can run code.
* ``pickle`` (compatibility with the original GraspVLA clients, which use ``send_pyobj``):
  decoded with a restricted unpickler that admits only plain containers, numbers, strings,
  bytes and numpy arrays. Off unless the server is started with ``allow_pickle=True``.
"""

from __future__ import annotations

import io
import pickle
from typing import Any, Literal

import msgpack
import numpy as np

from graspvla.errors import InvalidInputError

__all__ = ["Encoding", "ProtocolError", "decode", "detect_encoding", "encode"]

Encoding = Literal["msgpack", "pickle"]
_NDARRAY_EXT = 42
_ALLOWED_KINDS = set("biufc")  # bool, int, uint, float, complex: never object/void


class ProtocolError(InvalidInputError):
    """A message that cannot be decoded or is not a valid request."""


def _default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in _ALLOWED_KINDS:
            raise TypeError(f"cannot encode numpy array of dtype {obj.dtype}")
        arr = np.ascontiguousarray(obj)
        header = msgpack.packb([arr.dtype.str, list(arr.shape)])
        return msgpack.ExtType(_NDARRAY_EXT, header + arr.tobytes())
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, tuple):
        return list(obj)
    raise TypeError(f"cannot encode {type(obj).__name__}")


def _ext_hook(code: int, data: bytes) -> Any:
    if code != _NDARRAY_EXT:
        raise ProtocolError(f"unknown msgpack extension type {code}")
    unpacker = msgpack.Unpacker(raw=False)
    unpacker.feed(data)
    dtype_str, shape = unpacker.unpack()
    offset = unpacker.tell()
    dtype = np.dtype(dtype_str)
    if dtype.kind not in _ALLOWED_KINDS:
        raise ProtocolError(f"array dtype {dtype} is not allowed")
    count = int(np.prod(shape)) if shape else 1
    if len(data) - offset != count * dtype.itemsize:
        raise ProtocolError("truncated numpy array in message")
    return np.frombuffer(data, dtype=dtype, offset=offset, count=count).reshape(shape).copy()


class _RestrictedUnpickler(pickle.Unpickler):
    """Resolves only the globals numpy needs to rebuild arrays and scalars."""

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("builtins", "set"),
        ("builtins", "frozenset"),
        ("builtins", "bytearray"),
        ("builtins", "complex"),
    }

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"global '{module}.{name}' is forbidden in requests")


def _check_plain(obj: Any, depth: int = 0) -> None:
    if depth > 32:
        raise ProtocolError("message nested too deeply")
    if isinstance(obj, dict):
        for k, v in obj.items():
            _check_plain(k, depth + 1)
            _check_plain(v, depth + 1)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for v in obj:
            _check_plain(v, depth + 1)
    elif isinstance(obj, np.ndarray):
        if obj.dtype.kind not in _ALLOWED_KINDS:
            raise ProtocolError(f"array dtype {obj.dtype} is not allowed")
    elif not isinstance(obj, (str, bytes, bytearray, int, float, complex, bool, type(None), np.generic)):
        raise ProtocolError(f"type {type(obj).__name__} is not allowed in requests")


def detect_encoding(payload: bytes) -> Encoding:
    """Pickle protocol >= 2 starts with 0x80 followed by the protocol number; a non-empty
    msgpack map never does."""
    if len(payload) >= 2 and payload[0] == 0x80 and 2 <= payload[1] <= 5:
        return "pickle"
    return "msgpack"


def encode(obj: Any, encoding: Encoding = "msgpack") -> bytes:
    """Serialises a reply/request dict."""
    if encoding == "pickle":
        return pickle.dumps(obj, protocol=4)
    return msgpack.packb(obj, default=_default, use_bin_type=True)


def decode(payload: bytes, encoding: Encoding, allow_pickle: bool = False) -> Any:
    """Parses a message; raises :class:`ProtocolError` on anything malformed or forbidden."""
    try:
        if encoding == "pickle":
            if not allow_pickle:
                raise ProtocolError("pickle requests are disabled on this server (start it with --allow-pickle)")
            obj = _RestrictedUnpickler(io.BytesIO(payload)).load()
        else:
            obj = msgpack.unpackb(payload, ext_hook=_ext_hook, raw=False, strict_map_key=False)
    except ProtocolError:
        raise
    except Exception as exc:
        raise ProtocolError(f"could not decode {encoding} message: {type(exc).__name__}: {exc}") from exc
    _check_plain(obj)
    return obj
