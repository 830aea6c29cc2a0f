"""The forecast (漏斗数字孪生) section of the pack: validated, and compared in business language."""

from __future__ import annotations

import copy

import pytest
from pydantic import ValidationError

from salesflow.rules import packs
from salesflow.rules.compare import compare
from salesflow.rules.schema import RulePack


def _default() -> dict:
    return packs.to_document(packs.load_default())


def test_default_pack_declares_runs_pace_stages_and_milestones() -> None:
    pack = packs.load_default()
    assert pack.forecast.runs >= 10_000
    assert {(p.pipeline, p.stage) for p in pack.forecast.pace_stages} >= {("standard", "contract_signed")}
    kinds = {m.code: m.kind for m in pack.forecast.milestones}
    assert kinds["stage_evidence"] == "stage_evidence"
    assert kinds["approval_passed"] == "event"


@pytest.mark.parametrize(
    ("path", "value", "needle"),
    [
        (("runs",), 500, "runs"),
        (("pace_stages",), [{"pipeline": "standard", "stage": "nowhere"}], "pace_stages"),
        (("milestones",), [{"code": "x", "name": "X", "kind": "event", "odds_multiplier": 2}], "event"),
        (
            ("milestones",),
            [{"code": "x", "name": "X", "kind": "stage_evidence", "odds_multiplier": 0}],
            "odds",
        ),
    ],
)
def test_bad_forecast_settings_are_refused_naming_the_field(
    path: tuple[str, ...], value: object, needle: str
) -> None:
    document = _default()
    document["forecast"][path[0]] = value
    with pytest.raises(ValidationError) as exc:
        RulePack.model_validate(document)
    assert needle in str(exc.value)


def test_compare_names_forecast_changes_in_chinese() -> None:
    old = _default()
    new = copy.deepcopy(old)
    new["forecast"]["runs"] = 20_000
    new["forecast"]["milestones"][1]["odds_multiplier"] = 2
    text = [str(c) for c in compare(old, new)]
    assert "预测模拟次数 10000 → 20000" in text
    assert any(t.startswith("里程碑赢率加成：审批已通过 1.5 → 2") for t in text), text
