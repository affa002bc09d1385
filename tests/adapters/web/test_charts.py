"""The SVG chart helpers: pure functions, checked as XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from adapters.webui.charts import axis, bars, empty, line_chart, sparkline, stacked_bars

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def test_a_line_chart_has_a_point_per_known_value_and_a_gap_for_none() -> None:
    svg = parse(line_chart(["w1", "w2", "w3", "w4"], [2.0, None, 5.0, 3.5], "Time to resolve", "h"))
    assert svg.tag == f"{SVG}svg" and svg.get("role") == "img" and svg.get("aria-label") == "Time to resolve"
    assert len(svg.findall(f"{SVG}circle")) == 3
    lines = svg.findall(f"{SVG}polyline")
    assert len(lines) == 1 and len(lines[0].get("points", "").split()) == 2  # w3 → w4; w1 stands alone
    labels = [t.text for t in svg.iter(f"{SVG}text")]
    assert "w1" in labels and "5h" in labels  # the axis goes up to a round 5


def test_stacked_bars_stack_each_series_with_a_legend() -> None:
    svg = parse(stacked_bars(["w1", "w2"], [("sev1", [1, 0]), ("sev2", [2, 3])], "Swarms per week"))
    bars_drawn = [r for r in svg.iter(f"{SVG}rect") if "bar" in (r.get("class") or "")]
    assert len(bars_drawn) == 3  # a zero draws nothing
    tips = [r.find(f"{SVG}title").text for r in bars_drawn]  # type: ignore[union-attr]
    assert tips == ["w1: 1 sev1", "w1: 2 sev2", "w2: 3 sev2"]
    legend = [t.text for t in svg.iter(f"{SVG}text")]
    assert "sev1" in legend and "sev2" in legend


def test_bars_escape_their_labels() -> None:
    markup = str(bars([("<script>alert(1)</script>", 3), ("#pdf", 1)], "Topics"))
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    svg = parse(markup)
    assert len([r for r in svg.iter(f"{SVG}rect")]) == 2


def test_nothing_to_draw_says_so() -> None:
    for chart in (line_chart(["w1"], [None], "A"), stacked_bars(["w1"], [("x", [0])], "B"), bars([], "C")):
        svg = parse(chart)
        assert "No data yet" in [t.text for t in svg.iter(f"{SVG}text")]
    assert "no data yet" in (parse(empty("D")).get("aria-label") or "")
    assert str(sparkline([1.0], "one point")) == ""


def test_axes_end_on_round_numbers() -> None:
    assert axis(0) == (1.0, 4)
    assert axis(3) == (3.0, 3)
    assert axis(7) == (8.0, 4)
    assert axis(9) == (10.0, 5)
    assert axis(99) == (100.0, 5)
    top, ticks = axis(0.3)
    assert round(top, 6) == 0.3 and ticks == 3


def test_a_sparkline_is_one_line() -> None:
    svg = parse(sparkline([1.0, 3.0, None, 2.0], "trend"))
    assert len(svg.findall(f"{SVG}polyline")) == 1
