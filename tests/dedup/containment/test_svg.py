"""The picture: equal tables merged, transitive edges reduced, well-formed SVG."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from thresher.dedup.containment.svg import containment_svg, transitive_reduction

NS = "{http://www.w3.org/2000/svg}"


def test_transitive_reduction():
    edges = {("a", "b"), ("b", "c"), ("a", "c"), ("c", "d"), ("a", "d"), ("x", "d")}
    assert transitive_reduction(edges) == {("a", "b"), ("b", "c"), ("c", "d"), ("x", "d")}


def test_svg_draws_reduced_graph_with_equal_tables_merged():
    edges = [("/l/a", "/l/b", "contained"), ("/l/b", "/l/c", "contained"), ("/l/a", "/l/c", "contained"),
             ("/l/c", "/l/c2", "contained"), ("/l/c2", "/l/c", "contained"),   # c and c2 are equal
             ("/l/d", "/l/b", "probable"), ("/l/e", "/l/b", "not_contained")]
    root = ET.fromstring(containment_svg(edges))
    labels = [t.text for t in root.iter(f"{NS}text")][1:]
    assert sorted(labels) == ["= c2", "a", "b", "c", "d"]   # e is in no containment; c2 is written
    lines = list(root.iter(f"{NS}line"))
    assert len(lines) == 3                                      # a->b, b->c, d->b; a->c implied
    assert sum(1 for ln in lines if ln.get("stroke-dasharray")) == 1   # the probable one
    titles = [t.text for t in root.iter(f"{NS}title")]
    assert "/l/c\n/l/c2" in titles


def test_empty_graph_is_valid_svg():
    ET.fromstring(containment_svg([]))


def test_merged_boxes_name_every_table_and_the_picture_ends_at_its_last_row():
    equal = [f"/l/t{i}" for i in range(9)]  # nine equal tables, all containing /l/small
    edges = [(a, b, "contained") for a in equal for b in equal if a != b]
    edges += [("/l/small", t, "contained") for t in equal]
    root = ET.fromstring(containment_svg(edges))
    texts = [t.text for t in root.iter(f"{NS}text")]
    at = texts.index("t0")
    assert texts[at:at + 7] == ["t0", "= t1", "= t2", "= t3", "= t4", "= t5", "(+3 more equal)"]
    assert "small" in texts
    rects = list(root.iter(f"{NS}rect"))
    bottom = max(float(r.get("y")) + float(r.get("height")) for r in rects)
    assert float(root.get("height")) == bottom + 30  # MARGIN below the last box, no empty row
    merged = max(rects, key=lambda r: float(r.get("height")))
    assert float(merged.get("height")) >= 34 + 6 * 14  # the box grew for its 7 lines
    assert float(root.get("width")) >= 8 * len(texts[0])  # the title fits
