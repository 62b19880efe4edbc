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
    assert sorted(labels) == ["a", "b", "c (+1 equal)", "d"]   # e is in no containment
    lines = list(root.iter(f"{NS}line"))
    assert len(lines) == 3                                      # a->b, b->c, d->b; a->c implied
    assert sum(1 for ln in lines if ln.get("stroke-dasharray")) == 1   # the probable one
    titles = [t.text for t in root.iter(f"{NS}title")]
    assert "/l/c\n/l/c2" in titles


def test_empty_graph_is_valid_svg():
    ET.fromstring(containment_svg([]))
