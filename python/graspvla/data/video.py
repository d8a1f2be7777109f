"""MP4 encoding (PyAV, in-process) and random-access decoding for training.

Encoding is single-threaded on purpose: generation runs one process per core, and a single
libx264 thread gives byte-identical files for identical frames.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from graspvla.errors import CorruptShardError, InvalidInputError

__all__ = ["VideoConfig", "VideoEncoder", "VideoReader", "CODECS"]

# user-facing codec name -> (PyAV encoder, name recorded in info.json)
CODECS = {"h264": ("libx264", "h264"), "av1": ("libsvtav1", "av1")}


@dataclass(frozen=True)
class VideoConfig:
    """Encoder settings. ``gop`` = keyframe interval in frames (small = cheap random access)."""

    codec: str = "h264"
    crf: int = 23
    preset: str = "veryfast"  # libx264 preset; for av1 a number 0..13 as a string, e.g. "12"
    gop: int = 2
    pix_fmt: str = "yuv420p"

    def __post_init__(self) -> None:
        if self.codec not in CODECS:
            raise InvalidInputError(f"codec: expected one of {sorted(CODECS)}, got {self.codec!r}")
        if self.gop < 1:
            raise InvalidInputError(f"gop: must be >= 1, got {self.gop}")

    def encoder_options(self) -> dict[str, str]:
        if self.codec == "h264":
            # bframes=0:mbtree=0: with the defaults, repeated encodes of the same frames differed
            # in ~1% of runs (measured); without B-frames/MB-tree they are byte-identical.
            return {"crf": str(self.crf), "preset": self.preset, "threads": "1", "x264-params": "bframes=0:mbtree=0"}
        preset = self.preset if self.preset.isdigit() else "12"
        return {"crf": str(self.crf), "preset": preset, "svtav1-params": "lp=1"}


class VideoEncoder:
    """Appends RGB frames (H, W, 3) uint8 to one MP4 file at a fixed frame rate.

    Frame k gets the presentation time k / fps seconds, so an episode starting at frame s of
    the file spans [s / fps, (s + length) / fps).
    """

    def __init__(self, path: str | os.PathLike[str], width: int, height: int, fps: int, config: VideoConfig) -> None:
        import av

        if width % 2 or height % 2:
            raise InvalidInputError(f"image size: width and height must be even for yuv420p, got {width}x{height}")
        self.path = Path(path)
        self.fps = int(fps)
        self.width, self.height = width, height
        self.frames_written = 0
        self._container = av.open(str(self.path), mode="w", format="mp4")
        encoder, _ = CODECS[config.codec]
        self._stream = self._container.add_stream(encoder, rate=self.fps, options=config.encoder_options())
        self._stream.width = width
        self._stream.height = height
        self._stream.pix_fmt = config.pix_fmt
        # Do not set stream.time_base: with it, libx264 output varied from run to run (measured).
        self._stream.codec_context.gop_size = config.gop
        self._stream.codec_context.thread_count = 1

    def write(self, frames: NDArray[np.uint8]) -> None:
        import av

        arr = np.asarray(frames)
        if arr.ndim == 3:
            arr = arr[None]
        if arr.dtype != np.uint8 or arr.shape[1:] != (self.height, self.width, 3):
            raise InvalidInputError(f"frames: expected uint8 (N, {self.height}, {self.width}, 3), got {arr.dtype} {arr.shape}")
        for img in arr:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")
            frame.pts = self.frames_written
            for packet in self._stream.encode(frame):
                self._container.mux(packet)
            self.frames_written += 1

    def close(self) -> None:
        for packet in self._stream.encode():
            self._container.mux(packet)
        self._container.close()

    def __enter__(self) -> VideoEncoder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_INHERITED: list[object] = []


class VideoReader:
    """Random access to frames of one MP4 by timestamp, with a small decoded-frame cache.

    Seeks to the keyframe at or before the request and decodes forward, so the cost per
    random access is at most ``gop`` decodes. Opened lazily and reopened after a fork, so
    one instance can be shared by torch DataLoader workers.
    """

    def __init__(self, path: str | os.PathLike[str], cache_frames: int = 64) -> None:
        self.path = Path(path)
        self._pid = -1
        self._container = None
        self._stream = None
        self._cache: OrderedDict[int, NDArray[np.uint8]] = OrderedDict()
        self._cache_frames = cache_frames
        self._next_pts: int | None = None
        self._decoder = None

    def _open(self) -> None:
        import av

        if self._container is not None and self._pid == os.getpid():
            return
        if self._container is not None:
            # Opened before a fork: freeing FFmpeg state inherited from the parent can
            # deadlock, so keep it alive (a few KiB) and open afresh in this process.
            _INHERITED.append((self._container, self._decoder))
            self._container = self._decoder = None
        try:
            self._container = av.open(str(self.path), mode="r")
            self._stream = self._container.streams.video[0]
        except (av.error.FFmpegError, OSError, IndexError) as e:
            raise CorruptShardError(f"{self.path}: cannot open video ({e}); the file is truncated or corrupt, regenerate its shard") from e
        self._stream.codec_context.thread_count = 1  # no decoder threads: safe across fork, one process per core
        self._pid = os.getpid()
        self._cache.clear()
        self._decoder = None
        self._next_pts = None

    def _pts_of(self, timestamp: float) -> int:
        assert self._stream is not None
        tb = self._stream.time_base
        return int(round(timestamp / float(tb)))

    def frame_at(self, timestamp: float) -> NDArray[np.uint8]:
        """The frame whose presentation time is ``timestamp`` seconds (nearest within half a frame)."""
        return self.frames_at([timestamp])[0]

    def frames_at(self, timestamps: list[float]) -> list[NDArray[np.uint8]]:
        import av

        self._open()
        assert self._stream is not None and self._container is not None
        out: list[NDArray[np.uint8]] = []
        fps = float(self._stream.average_rate or self._stream.guessed_rate or 1)
        for ts in timestamps:
            key = int(round(ts * fps))
            if key in self._cache:
                self._cache.move_to_end(key)
                out.append(self._cache[key])
                continue
            target = self._pts_of(key / fps)
            try:
                img = self._decode_to(target, key, fps)
            except av.error.FFmpegError as e:
                raise CorruptShardError(f"{self.path}: decoding failed near t={ts:.3f}s ({e}); the file is corrupt, regenerate its shard") from e
            if img is None:
                raise CorruptShardError(f"{self.path}: no frame at t={ts:.3f}s; the video is truncated, regenerate its shard")
            out.append(img)
        return out

    def _decode_to(self, target_pts: int, key: int, fps: float) -> NDArray[np.uint8] | None:
        assert self._stream is not None and self._container is not None
        half = max(1, self._pts_of(0.5 / fps))
        sequential = self._next_pts is not None and self._decoder is not None and 0 <= target_pts - self._next_pts <= 8 * half
        if not sequential:
            self._container.seek(max(target_pts, 0), stream=self._stream, backward=True, any_frame=False)
            self._decoder = self._container.decode(self._stream)
        assert self._decoder is not None
        for frame in self._decoder:
            if frame.pts is None:
                continue
            img = frame.to_ndarray(format="rgb24")
            k = int(round(float(frame.pts * self._stream.time_base) * fps))
            self._cache[k] = img
            if len(self._cache) > self._cache_frames:
                self._cache.popitem(last=False)
            self._next_pts = frame.pts + 1
            if abs(frame.pts - target_pts) <= half:
                return img
            if frame.pts > target_pts + half:
                return None
        self._decoder = None
        self._next_pts = None
        return None

    def num_frames(self) -> int:
        """Count decodable frames (decodes the whole file; used by verification)."""
        import av

        try:
            with av.open(str(self.path)) as c:
                return sum(1 for _ in c.decode(video=0))
        except (av.error.FFmpegError, OSError, IndexError) as e:
            raise CorruptShardError(f"{self.path}: cannot decode ({e}); the file is truncated or corrupt, regenerate its shard") from e

    def close(self) -> None:
        if self._container is not None and self._pid == os.getpid():
            self._container.close()
        self._container = None
        self._decoder = None

    def __getstate__(self) -> dict[str, object]:
        return {"path": self.path, "cache_frames": self._cache_frames}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(state["path"], state["cache_frames"])  # type: ignore[misc,arg-type]
