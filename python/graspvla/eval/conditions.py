"""The test conditions of the closed-loop benchmark, mirroring GraspVLA's Table 1 sets."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CONDITIONS", "Condition"]


@dataclass(frozen=True)
class Condition:
    """How one test set departs from the basic scene.

    Attributes:
        name: column name in the report.
        lighting: ``"nominal"`` (fixed, neutral lights) or ``"disco"`` (coloured, moving,
            strongly varying lights, the paper's disco light).
        background: ``"nominal"`` (fixed table/floor textures) or ``"random"`` (unseen
            table-cloth and background textures).
        distractors: extra objects beyond the basic layout (the paper adds 5).
        table_raise: extra table height [m] (the paper raises the table by 0.10 m).
    """

    name: str
    lighting: str = "nominal"
    background: str = "nominal"
    distractors: int = 0
    table_raise: float = 0.0


CONDITIONS: dict[str, Condition] = {
    c.name: c
    for c in (
        Condition("basic"),
        Condition("lighting", lighting="disco"),
        Condition("background", background="random"),
        Condition("distractors", distractors=5),
        Condition("height", table_raise=0.10),
    )
}
