"""The gripper channel of the control loop: commands reach the MuJoCo finger servo (the width
changes and is reported per tick), NaN / out-of-limit commands are rejected, and the pylibfranka
bridge hands commands to a gripper worker (tested against fakes: no Franka here)."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest

from graspvla.control import FLAGS, ControlLoop, ControllerConfig, GripperWorker, LoopConfig, SimBackend
from graspvla.errors import ControlError, InvalidInputError, LimitViolationError

pytest.importorskip("franky_sim")


def _run_until_idle(loop: ControlLoop, seq: int, max_ticks: int = 3000) -> None:
    for _ in range(max_ticks // 50):
        loop.step(50)
        s = loop.state()
        if s.gripper_seq == seq and not s.gripper_busy:
            return
    raise AssertionError("gripper command did not finish")


@pytest.fixture(scope="module")
def robot_model():
    import mujoco

    from graspvla.sim.robot_model import fr3_spec

    return fr3_spec(actuation="torque").compile()  # graspvla.sim's FR3 + Hand, "gripper" = width servo


@pytest.fixture()
def loop(robot_model):
    import mujoco

    from graspvla.scene.layout import HOME_Q

    data = mujoco.MjData(robot_model)
    data.qpos[:7] = HOME_Q
    data.qpos[7:9] = 0.04
    data.ctrl[-1] = 0.08
    backend = SimBackend.attach(robot_model, data)  # the loop steps this MjData
    assert backend.has_gripper
    with ControlLoop(backend, ControllerConfig(mode="joint_impedance"), LoopConfig(lockstep=True)) as lp:
        lp.step(10)
        yield lp
    assert data.qpos[7:9].sum() == pytest.approx(lp.state().gripper_width, abs=1e-3)  # the same MjData


def test_franky_hand_actuator_is_driven():
    backend = SimBackend.fr3()  # franky-sim's MJCF: its 0..255 "hand" actuator is the fallback
    assert backend.has_gripper
    with ControlLoop(backend, loop=LoopConfig(lockstep=True)) as lp:
        lp.step(10)
        w0 = lp.state().gripper_width
        lp.send_gripper("move", width=0.02, speed=0.1)
        lp.step(800)
        assert lp.state().gripper_width < w0 - 0.005  # its finger friction makes it sluggish


def test_gripper_command_moves_the_fingers(loop):
    w0 = loop.state().gripper_width
    seq = loop.grasp(width=0.0, speed=0.1, force=30.0)
    loop.step(20)
    assert loop.state().gripper_busy
    _run_until_idle(loop, seq)
    closed = loop.state().gripper_width
    assert closed < 0.005 < w0
    seq = loop.open_gripper(0.06, speed=0.1)
    _run_until_idle(loop, seq)
    assert abs(loop.state().gripper_width - 0.06) < 0.003
    tr = loop.read_records()
    assert tr.gripper_width.min() < 0.005 and tr.gripper_width[-1] > 0.055
    assert tr.has_flag("GRIPPER_BUSY").any() and not tr.has_flag("GRIPPER_BUSY")[-1]
    assert FLAGS["GRIPPER_GRASPED"] > 0
    assert loop.stats()["gripper_commands"] == 2


def test_invalid_gripper_commands_are_rejected(loop):
    seq = loop.open_gripper(0.05)
    _run_until_idle(loop, seq)
    for bad in (dict(width=float("nan")), dict(speed=float("inf")), dict(force=float("nan"))):
        with pytest.raises(InvalidInputError):
            loop.send_gripper("grasp", **bad)
    for bad in (dict(width=0.2), dict(width=-0.01), dict(force=500.0), dict(speed=5.0)):
        with pytest.raises(LimitViolationError):
            loop.send_gripper("grasp", **bad)
    with pytest.raises(InvalidInputError):
        loop.send_gripper("squeeze")
    loop.step(500)
    s = loop.state()
    assert abs(s.gripper_width - 0.05) < 0.003 and s.gripper_seq == seq  # the last valid command holds
    assert loop.stats()["gripper_rejected"] == 7


def test_backend_without_gripper_raises():
    from graspvla.control import SimConfig
    from graspvla.control.sim import fr3_mjcf

    backend = SimBackend(SimConfig(model=fr3_mjcf(), gripper_actuator="none", finger_joints=("x", "y")))
    assert not backend.has_gripper
    with ControlLoop(backend, loop=LoopConfig(lockstep=True)) as lp:
        with pytest.raises(ControlError, match="no gripper"):
            lp.grasp()


# ---- pylibfranka bridge against fakes ------------------------------------------------------------
class FakeGripper:
    """pylibfranka.Gripper's interface; grasp() blocks like the real Hand."""

    def __init__(self) -> None:
        self.width = 0.08
        self.calls: list[tuple] = []
        self.release = threading.Event()

    def move(self, width, speed):
        self.calls.append(("move", width, speed))
        self.width = width
        return True

    def grasp(self, width, speed, force, epsilon_inner, epsilon_outer):
        self.calls.append(("grasp", width, speed, force, epsilon_inner, epsilon_outer))
        self.release.wait(5.0)
        self.width = 0.031  # an object stopped the fingers
        return True

    def stop(self):
        self.calls.append(("stop",))
        return True

    def read_once(self):
        return SimpleNamespace(width=self.width, is_grasped=self.width < 0.07)


class FakeActive:
    q = np.array([0.0, -0.3, 0.0, -2.0, 0.0, 1.7, 0.78])

    def __init__(self) -> None:
        self.t = 0.0

    def readOnce(self):
        self.t += 0.001
        st = SimpleNamespace(q=self.q, dq=np.zeros(7), tau_ext_hat_filtered=np.zeros(7),
                             time=SimpleNamespace(to_sec=lambda t=self.t: t))
        return st, SimpleNamespace(to_sec=lambda: 0.001)

    def writeOnce(self, cmd):
        pass


class FakeRobot:
    def start_torque_control(self):
        return FakeActive()


def _wait(pred, timeout=5.0):
    t0 = time.monotonic()
    while not pred():
        if time.monotonic() - t0 > timeout:
            raise AssertionError("timed out")
        time.sleep(0.005)


def test_pylibfranka_bridge_gripper_worker():
    pytest.importorskip("pylibfranka")
    from graspvla.control import PylibfrankaBridge

    fake = FakeGripper()
    bridge = PylibfrankaBridge("fake", robot_handle=FakeRobot(), gripper=fake)
    try:
        loop = ControlLoop(bridge, ControllerConfig(mode="joint_impedance"), LoopConfig(lockstep=True))
        loop.start()
        loop.step(5)
        with pytest.raises(InvalidInputError):
            loop.grasp(width=float("nan"))
        seq = loop.grasp(width=0.04, speed=0.2, force=30.0, epsilon_inner=0.04, epsilon_outer=0.04)
        # queued, not run on the caller's thread: run here, the fake's grasp would have blocked
        # until its release (never set yet) and left the fingers at 0.031 m
        assert not fake.release.is_set() and fake.width == 0.08
        _wait(lambda: len(fake.calls) == 1)
        assert fake.calls[0] == ("grasp", 0.04, 0.2, 30.0, 0.04, 0.04)  # the NaN command never got here
        loop.step(5)  # the arm keeps ticking while the Hand's call blocks
        assert loop.state().gripper_busy and loop.state().gripper_seq == seq
        fake.release.set()
        _wait(lambda: fake.width < 0.05)
        for _ in range(200):
            loop.step(1)
            s = loop.state()
            if not s.gripper_busy and s.gripper_width < 0.05:
                break
            time.sleep(0.005)
        assert not s.gripper_busy and s.gripper_grasped and abs(s.gripper_width - 0.031) < 1e-9
        loop.open_gripper()
        _wait(lambda: fake.calls[-1][0] == "move")
        loop.stop()
    finally:
        bridge.close()
    assert not bridge.gripper_worker.errors


def test_gripper_worker_collapses_backlog():
    fake = FakeGripper()
    fake.release.set()
    reports = []
    w = GripperWorker(fake, poll_period=0.01)
    fake_block = threading.Event()
    orig_move = fake.move

    def slow_move(width, speed):
        fake_block.wait(5.0)
        return orig_move(width, speed)

    fake.move = slow_move
    w.start(lambda *a: reports.append(a))
    w.submit(0, 0.01, 0.1, 0.0, 0.005, 0.005, 1)
    _wait(lambda: any(r[1] and r[3] == 1 for r in reports))  # busy with command 1
    for k in range(2, 6):
        w.submit(0, 0.01 * k, 0.1, 0.0, 0.005, 0.005, k)
    fake_block.set()
    _wait(lambda: any(not r[1] and r[3] == 5 for r in reports))
    w.close()
    assert [c[1] for c in fake.calls] == [0.01, 0.05]  # 2..4 were superseded by 5
