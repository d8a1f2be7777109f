"""LeRobot v3.0 layout/schema, determinism, reader correctness, corrupt-shard detection."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import run_generate, tree_digest
from graspvla.data import LeRobotReader, ScriptedTestSource, WindowConfig, verify_dataset, verify_shard
from graspvla.data.shards import committed_shards
from graspvla.errors import CorruptShardError

FAST = {"image_size": 32, "frames": 12}


def test_v3_layout_and_schema(small_dataset):
    root = small_dataset
    info = json.loads((root / "meta/info.json").read_text())
    assert info["codebase_version"] == "v3.0"
    for k in ("fps", "robot_type", "features", "total_episodes", "total_frames", "total_tasks", "chunks_size",
              "data_files_size_in_mb", "video_files_size_in_mb", "data_path", "video_path", "splits"):
        assert k in info, k
    assert info["data_path"] == "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
    assert info["video_path"] == "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4"
    feats = info["features"]
    for k in ("timestamp", "frame_index", "episode_index", "index", "task_index"):
        assert feats[k]["shape"] == [1]
    assert feats["timestamp"]["dtype"] == "float32" and feats["index"]["dtype"] == "int64"
    for cam in ("front", "side"):
        f = feats[f"observation.images.{cam}"]
        assert f["dtype"] == "video" and f["shape"] == [32, 32, 3]
        for k in ("video.height", "video.width", "video.codec", "video.pix_fmt", "video.fps", "video.channels", "has_audio"):
            assert k in f["info"]
    # data parquet: vectors as fixed_size_list<float32>, scalars as columns; rows follow the global index
    files = sorted((root / "data").rglob("*.parquet"))
    assert all(p.relative_to(root).as_posix().startswith("data/chunk-000/file-") for p in files)
    tables = [pq.read_table(p) for p in files]
    t = pa.concat_tables(tables)
    assert t.schema.field("observation.state").type == pa.list_(pa.float32(), 7)
    assert t.schema.field("action").type == pa.list_(pa.float32(), 7)
    assert t.schema.field("annotation.bbox.front").type == pa.list_(pa.float32(), 4)
    assert t.schema.field("timestamp").type == pa.float32()
    for k in ("frame_index", "episode_index", "index", "task_index"):
        assert t.schema.field(k).type == pa.int64()
    assert t.column("index").to_pylist() == list(range(info["total_frames"]))
    assert set(feats) == set(t.column_names) | {"observation.images.front", "observation.images.side"}
    # episodes meta
    ep = pq.read_table(root / "meta/episodes/chunk-000/file-000.parquet")
    need = ["episode_index", "tasks", "length", "data/chunk_index", "data/file_index", "dataset_from_index",
            "dataset_to_index", "meta/episodes/chunk_index", "meta/episodes/file_index"]
    for cam in ("front", "side"):
        key = f"observation.images.{cam}"
        need += [f"videos/{key}/chunk_index", f"videos/{key}/file_index", f"videos/{key}/from_timestamp", f"videos/{key}/to_timestamp"]
    for c in need:
        assert c in ep.column_names, c
    for s in ("min", "max", "mean", "std", "count", "q01", "q10", "q50", "q90", "q99"):
        assert f"stats/observation.state/{s}" in ep.column_names
    assert ep.column("episode_index").to_pylist() == list(range(info["total_episodes"]))
    frm, to = ep.column("dataset_from_index").to_pylist(), ep.column("dataset_to_index").to_pylist()
    assert frm[0] == 0 and to[-1] == info["total_frames"] and all(a == b for a, b in zip(to[:-1], frm[1:]))
    # each episode's rows carry its episode_index
    ei = t.column("episode_index").to_numpy()
    for e, (a, b) in enumerate(zip(frm, to)):
        assert (ei[a:b] == e).all()
    # tasks.parquet readable as pandas writes it (index = task)
    tasks = pq.read_table(root / "meta/tasks.parquet")
    assert b"pandas" in tasks.schema.metadata
    assert tasks.column("task_index").to_pylist() == list(range(info["total_tasks"]))
    assert all(s.startswith("pick up the ") for s in tasks.column("__index_level_0__").to_pylist())
    stats = json.loads((root / "meta/stats.json").read_text())
    assert np.array(stats["observation.images.front"]["mean"]).shape == (3, 1, 1)
    state = np.asarray(t.column("observation.state").combine_chunks().flatten()).reshape(-1, 7)
    np.testing.assert_allclose(stats["observation.state"]["mean"], state.mean(0), rtol=1e-5, atol=1e-6)
    # videos: one file per shard per camera, each episode's frame span inside it
    import av

    for row in ep.to_pylist():
        key = "observation.images.front"
        p = root / info["video_path"].format(video_key=key, chunk_index=row[f"videos/{key}/chunk_index"],
                                             file_index=row[f"videos/{key}/file_index"])
        with av.open(str(p)) as c:
            n = c.streams.video[0].frames or sum(1 for _ in c.decode(video=0))
        assert row[f"videos/{key}/to_timestamp"] * info["fps"] <= n + 1e-6
    assert info["splits"] == {"train": f"0:{info['total_episodes']}"}
    assert all(ep.column("graspvla/success").to_pylist())


def test_only_successes_in_train_and_failures_counted(small_dataset):
    summary = json.loads((small_dataset / "meta/graspvla_summary.json").read_text())
    src = ScriptedTestSource(**FAST)
    expected = sum(src(s).meta.success for s in range(12))
    assert summary["attempted_episodes"] == 12
    assert summary["train_episodes"] == summary["dataset_episodes"] == expected
    assert summary["failed_episodes"] == 12 - expected > 0


def test_keep_failures_split(tmp_path):
    run_generate(tmp_path / "kf", n=8, per_shard=4, keep_failures=True)
    info = json.loads((tmp_path / "kf/meta/info.json").read_text())
    assert info["total_episodes"] == 8 and "failure" in info["splits"]
    t = pa.concat_tables([pq.read_table(p) for p in sorted((tmp_path / "kf/data").rglob("*.parquet"))])
    assert t.column("index").to_pylist() == list(range(info["total_frames"]))
    r = LeRobotReader(tmp_path / "kf", split="failure", decode_images=False)
    assert r.num_episodes == 8 - int(info["splits"]["train"].split(":")[1])


def test_same_seeds_byte_identical_dataset(tmp_path, small_dataset):
    run_generate(tmp_path / "again", n=12, per_shard=4, workers=1)
    a, b = tree_digest(small_dataset), tree_digest(tmp_path / "again")
    assert a == b and len(a) > 8


def test_reader_matches_source(small_dataset):
    src = ScriptedTestSource(**FAST)
    r = LeRobotReader(small_dataset, verify="sha256")
    ep = pq.read_table(small_dataset / "meta/episodes/chunk-000/file-000.parquet")
    seeds = ep.column("graspvla/seed").to_pylist()
    assert len(r) == sum(src(s).length for s in seeds)
    for i in [0, 1, 11, 12, len(r) // 2, len(r) - 1]:
        s = r[i]
        e = src(seeds[s["episode_index"]])
        t = s["frame_index"]
        np.testing.assert_array_equal(s["state"][-1], e.state[t])
        np.testing.assert_array_equal(s["state_is_pad"], [t - 3 < 0, False])
        np.testing.assert_array_equal(s["state"][0], e.state[max(t - 3, 0)])
        for j in range(4):
            np.testing.assert_array_equal(s["action"][j], e.action[min(t + j, e.length - 1)])
            assert s["action_is_pad"][j] == (t + j >= e.length)
        np.testing.assert_array_equal(s["box.front"][0], e.boxes["front"][t])
        np.testing.assert_array_equal(s["goal"][0], e.goal[t])
        assert s["instruction"] == e.meta.instruction
        for cam in ("front", "side"):
            err = np.abs(s["images"][cam][0].astype(int) - e.images[cam][t]).mean()
            assert err < 6.0, (i, cam, err)  # lossy h264 at crf 23


def test_reader_feature_map_and_window(small_dataset):
    from graspvla.data import FeatureMap

    fm = FeatureMap(cameras={"cam0": "observation.images.side"}, state="observation.joints", action="action.absolute",
                    joints=None, action_abs=None, goal=None, boxes=None)
    r = LeRobotReader(small_dataset, features=fm, window=WindowConfig(state_offsets=(0,), action_offsets=(0, 3, 6)))
    s = r[5]
    assert set(s["images"]) == {"cam0"} and s["state"].shape == (1, 7) and s["action"].shape == (3, 7)
    assert "goal" not in s


def test_dataloader_with_workers(small_dataset):
    torch = pytest.importorskip("torch")
    r = LeRobotReader(small_dataset)
    _ = r[3]  # decode in the parent before forking workers
    dl = torch.utils.data.DataLoader(r, batch_size=5, num_workers=2, shuffle=True,
                                     generator=torch.Generator().manual_seed(0))
    n = 0
    idx = []
    for b in dl:
        assert b["images"]["front"].shape[1:] == (1, 32, 32, 3) and b["action"].shape[1:] == (4, 7)
        idx += b["index"].tolist()
        n += len(b["index"])
    assert n == len(r) and sorted(idx) == list(range(len(r)))


def _copy(small_dataset, tmp_path):
    dst = tmp_path / "copy"
    shutil.copytree(small_dataset, dst)
    return dst


def test_truncated_video_shard_detected(small_dataset, tmp_path):
    root = _copy(small_dataset, tmp_path)
    shard = next(iter(committed_shards(root).values()))
    video = shard / "videos" / "front.mp4"
    data = video.read_bytes()
    video.unlink()  # break the hard link before truncating
    video.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptShardError, match=str(video)):
        verify_shard(shard)
    with pytest.raises(CorruptShardError, match="front.mp4"):
        run_generate(root, n=12, per_shard=4, workers=2)  # resume -> finalize verifies


def test_flipped_byte_in_parquet_detected(small_dataset, tmp_path):
    root = _copy(small_dataset, tmp_path)
    shard = list(committed_shards(root).values())[1]
    p = shard / "data.parquet"
    b = bytearray(p.read_bytes())
    b[len(b) // 2] ^= 0xFF
    p.write_bytes(bytes(b))
    verify_shard(shard, checksums=False)  # same size: only the checksum can tell
    with pytest.raises(CorruptShardError, match="data.parquet.*SHA-256"):
        verify_shard(shard)


def test_reader_detects_truncated_dataset_file(small_dataset, tmp_path):
    root = _copy(small_dataset, tmp_path)
    p = sorted((root / "data").rglob("*.parquet"))[0]
    data = p.read_bytes()
    p.unlink()
    p.write_bytes(data[:100])
    with pytest.raises(CorruptShardError, match=p.name):
        LeRobotReader(root)
    r = LeRobotReader(root, verify="none")
    with pytest.raises(CorruptShardError, match=p.name):
        r[0]
    with pytest.raises(CorruptShardError, match=p.name):
        verify_dataset(root)


def test_reader_refuses_episode_params_that_are_not_json(small_dataset, tmp_path):
    """The per-episode ``graspvla/params`` (where the cameras' calibration travels) is parsed
    when the reader opens: damage there is named, not a KeyError later in training."""
    root = _copy(small_dataset, tmp_path)
    ep = next((root / "meta" / "episodes").rglob("*.parquet"))
    t = pq.read_table(ep)
    assert not LeRobotReader(root, verify="none").has_cameras  # the scripted test source records none
    col = t.column_names.index("graspvla/params")
    bad = t.column("graspvla/params").to_pylist()
    bad[0] = "{not json"
    ep.unlink()  # break the hard link before rewriting
    pq.write_table(t.set_column(col, "graspvla/params", pa.array(bad, pa.string())), ep)
    with pytest.raises(CorruptShardError, match="graspvla/params is not a JSON object"):
        LeRobotReader(root, verify="none")


def test_reader_returns_validated_camera_calibrations(small_dataset, tmp_path):
    """Recorded cameras come back as :class:`CameraCalibration` objects; a malformed one (here a
    3x4 pose) is refused when the reader opens, naming the episode, not in a training step."""
    from graspvla.geometry.calibration import CameraCalibration

    root = _copy(small_dataset, tmp_path)
    ep = next((root / "meta" / "episodes").rglob("*.parquet"))
    t = pq.read_table(ep)
    col = t.column_names.index("graspvla/params")
    good = CameraCalibration(np.array([[100.0, 0, 32], [0, 100.0, 32], [0, 0, 1]]), np.eye(4), (64, 64))
    params = [json.loads(p) if p else {} for p in t.column("graspvla/params").to_pylist()]

    def write(cams):
        rows = [json.dumps({**p, "cameras": cams}) for p in params]
        ep.unlink()  # break the hard link before rewriting
        pq.write_table(t.set_column(col, "graspvla/params", pa.array(rows, pa.string())), ep)

    write({"front": good.to_dict()})
    r = LeRobotReader(root, verify="none")
    cam = r[0]["cameras"]["front"]
    assert r.has_cameras and isinstance(cam, CameraCalibration)
    np.testing.assert_array_equal(cam.intrinsics, good.intrinsics)
    bad = good.to_dict()
    bad["pose"] = np.eye(4)[:3].tolist()
    write({"front": bad})
    with pytest.raises(CorruptShardError, match="episode .*camera calibration"):
        LeRobotReader(root, verify="none")
