"""Slack's Block Kit limits: a button's value is valid JSON within 2,000 characters, and a select, radio or
checkbox group keeps at most its limit of options with its initial option(s) among them."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from bot.fakeslack.validate import validate_blocks, validate_view
from bot.ids import Act
from bot.views.inputs import checkboxes, option, radios, select
from bot.views.plan_modals import plan_modal
from bot.views.rmp import MAX_BUTTON_VALUE, button, button_value
from commands.rmp.editing import FormContext
from tests.harness import CHANNEL, Harness

NASTY = [
    '"' * 4000,
    "\\" * 4000,
    "é" * 4000,
    "\U0001f91d" * 4000,  # outside the BMP: a surrogate pair, 12 characters escaped
    ('a "quoted" \\path\\ ünïcødé \U0001f600 \n\t' * 200)[:4000],
]


@pytest.mark.parametrize("rest", NASTY, ids=["quotes", "backslashes", "latin", "astral", "mixed"])
def test_a_long_value_is_shortened_to_valid_json_that_fits(rest: str) -> None:
    value = {"channel": CHANNEL, "command": "setup", "rest": rest}
    encoded = button("Open the setup form", Act.CONTINUE, value)["value"]
    assert len(encoded) <= MAX_BUTTON_VALUE
    decoded = json.loads(encoded)
    assert decoded["channel"] == CHANNEL and decoded["command"] == "setup"  # short fields kept whole
    assert rest.startswith(decoded["rest"]) and len(decoded["rest"]) > 100  # the free text shortened, not dropped
    assert len(json.dumps({**value, "rest": rest[:len(decoded["rest"]) + 1]})) > MAX_BUTTON_VALUE  # as little as can


def test_the_longest_strings_are_shortened_first() -> None:
    value = {"channel": CHANNEL, "a": "x" * 3000, "b": "y" * 1500, "c": "z" * 150}
    decoded = json.loads(button_value(value))
    assert decoded["channel"] == CHANNEL and decoded["c"] == "z" * 150  # short enough: untouched
    assert len(decoded["a"]) == len(decoded["b"]) and 150 < len(decoded["a"]) < 1500  # both cut to one length


def test_a_value_that_fits_is_unchanged() -> None:
    value = {"channel": CHANNEL, "form": "kpi", "number": 3}
    assert button_value(value) == json.dumps(value)


def test_a_value_that_cannot_fit_without_cutting_an_id_is_refused() -> None:
    too_many_ids = {f"k{n}": f"C{n:08d}" for n in range(200)}  # 200 short strings: no free text to shorten
    with pytest.raises(ValueError, match="cannot fit"):
        button_value(too_many_ids)


def test_a_mention_with_long_text_gives_a_button_that_opens_the_form(harness: Harness) -> None:
    rest = ('She said "go" \\o/ — naïve café 日本 \U0001f91d ' * 200)[:4000]
    assert harness.driver.app_mention("UALICE", CHANNEL, f"<@UACCORD> setup {rest}").status_code == 200
    harness.sender.drain()
    [told] = [e for e in harness.fake.ephemerals(CHANNEL) if e["user"] == "UALICE"][-1:]
    assert validate_blocks(told["blocks"]) == []
    [element] = [el for b in told["blocks"] if b["type"] == "actions" for el in b["elements"]]
    assert element["action_id"] == Act.CONTINUE
    assert len(element["value"]) <= MAX_BUTTON_VALUE
    value = json.loads(element["value"])
    assert value["channel"] == CHANNEL and value["command"] == "setup" and rest.startswith(value["rest"])
    before = harness.fake.views_opened
    # the click carries the button's value exactly as Slack would send it back
    response = harness.driver.block_action("UALICE", CHANNEL, Act.CONTINUE, value=element["value"])
    assert response.status_code == 200
    assert harness.fake.views_opened == before + 1


def _options(count: int) -> list[dict[str, Any]]:
    return [option(str(n), f"#{n} KPI {n}") for n in range(1, count + 1)]


@pytest.mark.parametrize("initial", [None, "1", "100", "101", "150"])
def test_a_select_of_150_options_keeps_100_with_the_initial_one_among_them(initial: str | None) -> None:
    block = select("kpi", "KPI", _options(150), initial=initial, optional=True)
    element = block["element"]
    assert len(element["options"]) == 100
    values = [o["value"] for o in element["options"]]
    assert values == sorted(values, key=int)  # still in their order
    if initial is None:
        assert "initial_option" not in element
    else:
        assert element["initial_option"]["value"] == initial
        assert element["initial_option"] in element["options"]  # Slack refuses an initial option missing there
    assert validate_blocks([block]) == []


def test_a_select_never_names_an_initial_option_it_does_not_have() -> None:
    element = select("kpi", "KPI", _options(5), initial="9")["element"]
    assert "initial_option" not in element


def test_radios_and_checkboxes_keep_ten_with_the_initial_ones_among_them() -> None:
    radio = radios("kind", "Kind", _options(15), initial="14")["element"]
    assert len(radio["options"]) == 10 and radio["initial_option"] in radio["options"]
    assert radio["initial_option"]["value"] == "14"
    boxes = checkboxes("days", "Days", _options(15), initial=["2", "12", "15"])["element"]
    assert len(boxes["options"]) == 10
    assert [o["value"] for o in boxes["initial_options"]] == ["2", "12", "15"]
    assert all(o in boxes["options"] for o in boxes["initial_options"])
    assert validate_blocks([radios("kind", "Kind", _options(15), initial="14"),
                            checkboxes("days", "Days", _options(15), initial=["2", "12", "15"])]) == []


def test_the_exit_trigger_form_with_150_kpis_keeps_the_triggers_kpi() -> None:
    kpis = [SimpleNamespace(number=n, name=f"KPI {n}") for n in range(1, 151)]
    trigger = SimpleNamespace(kind="kpi", description="Two bad months", kpi_number=140, periods=2, threshold=None,
                              on_date=None, status="clear")
    context = FormContext(relationship=SimpleNamespace(), parties=[], item=trigger, kpis=kpis)  # type: ignore[arg-type]
    view = plan_modal("exit", context, channel=CHANNEL, number=4)
    assert validate_view(view) == []
    [kpi] = [b["element"] for b in view["blocks"] if b.get("block_id") == "kpi"]
    assert len(kpi["options"]) == 100 and kpi["initial_option"] == option("140", "#140 KPI 140")
    assert kpi["initial_option"] in kpi["options"]
