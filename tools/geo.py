"""Regenerate ``api/geo/countries-110m.json``: the country shapes the ``/map`` page draws, pre-projected.

Run once at development time, never at run time (the server reads only the committed output, so the map works
offline and needs no geometry library)::

    cd "$(mktemp -d)" && npm pack world-atlas@2 && tar xzf world-atlas-2.*.tgz
    .venv/bin/python tools/geo.py --world-atlas "$PWD/package" [--iso-codes /usr/share/iso-codes/json/iso_3166-1.json]

Inputs, both public:
- ``world-atlas`` (npm, ISC licence, by Mike Bostock): Natural Earth 1:110m admin-0 countries (public domain) as
  quantised TopoJSON, each country keyed by its ISO 3166-1 *numeric* code.
- Debian's ``iso-codes`` (``iso_3166-1.json``): the ISO 3166-1 numeric -> alpha-3 table. The graph keys countries
  by alpha-3, so the output stores alpha-3 and the server needs no mapping.

Why pre-projected paths rather than TopoJSON: the page draws one fixed projection and crops with the SVG
``viewBox``, so decoding and projecting once here keeps run time to string formatting and the file small
(integer coordinates, relative path commands). Projection: Equal Earth (Šavrič, Patterson and Jenny 2018), an
equal-area projection, so shaded areas are not distorted; central meridian 0°. Rings of a country that lie just
west of the antimeridian while the rest of it lies east (Russia's Chukotka, Fiji) are shifted by 360° so each
country is one piece and a crop to East Asia does not stretch across the whole world.
"""
from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "api" / "geo" / "countries-110m.json"
ISO_CODES = Path("/usr/share/iso-codes/json/iso_3166-1.json")

#: projected world width in output units; integers at this size are finer than the 1:110m data
WIDTH = 4000
A1, A2, A3, A4 = 1.340264, -0.081106, 0.000893, 0.003796
M = math.sqrt(3) / 2


def equal_earth(lon: float, lat: float) -> tuple[float, float]:
    """Equal Earth in unit-sphere coordinates (x east, y north)."""
    lam, phi = math.radians(lon), math.radians(lat)
    t = math.asin(M * math.sin(phi))
    t2 = t * t
    t6 = t2 * t2 * t2
    x = lam * math.cos(t) / (M * (A1 + 3 * A2 * t2 + t6 * (7 * A3 + 9 * A4 * t2)))
    y = t * (A1 + A2 * t2 + t6 * (A3 + A4 * t2))
    return x, y


X_MAX = equal_earth(180, 0)[0]
Y_MAX = equal_earth(0, 90)[1]
SCALE = WIDTH / (2 * X_MAX)
HEIGHT = round(2 * Y_MAX * SCALE)


def project(lon: float, lat: float) -> tuple[int, int]:
    """Output units: origin top-left, y down, the world 0..WIDTH by 0..HEIGHT."""
    x, y = equal_earth(lon, lat)
    return round((x + X_MAX) * SCALE), round((Y_MAX - y) * SCALE)


def decode_arcs(topo: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """TopoJSON arcs (quantised, delta-encoded) as lists of (lon, lat)."""
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(arcs: list[list[tuple[float, float]]], indexes: list[int]) -> list[tuple[float, float]]:
    """One ring from arc indexes (``~i`` is arc ``i`` reversed); shared end points kept once."""
    out: list[tuple[float, float]] = []
    for i in indexes:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        out.extend(arc if not out else arc[1:])
    return out


def polygons(geometry: dict[str, Any], arcs: list[list[tuple[float, float]]]) -> list[list[list[tuple[float, float]]]]:
    if geometry["type"] == "Polygon":
        return [[ring(arcs, r) for r in geometry["arcs"]]]
    if geometry["type"] == "MultiPolygon":
        return [[ring(arcs, r) for r in p] for p in geometry["arcs"]]
    return []


def continuous(r: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """A ring without the jump at the antimeridian: world-atlas rings cross it (d3-geo cuts them when drawing),
    so consecutive longitudes are kept within 180° of each other. Rings round a pole (Antarctica) stay as they are."""
    out: list[tuple[float, float]] = []
    offset = 0.0
    for lon, lat in r:
        if out:
            prev = out[-1][0]
            while lon + offset - prev > 180:
                offset -= 360
            while lon + offset - prev < -180:
                offset += 360
        out.append((lon + offset, lat))
    lons = [lon for lon, _ in out]
    if max(lons) - min(lons) > 350:
        return r
    if sum(lons) / len(lons) < -180:
        out = [(lon + 360, lat) for lon, lat in out]
    return out


def unwrap(polys: list[list[list[tuple[float, float]]]]) -> list[list[list[tuple[float, float]]]]:
    """Each ring made continuous; then polygons lying wholly west of 169°W are shifted by 360° when the same
    country also reaches east of 169°E (Russia's Chukotka, Fiji), so each such country is drawn in one piece."""
    polys = [[continuous(r) for r in p] for p in polys]
    if not any(lon > 169 for p in polys for r in p for lon, _ in r):
        return polys
    return [[[(lon + 360, lat) for lon, lat in r] for r in p] if all(lon < -169 for r in p for lon, _ in r) else p
            for p in polys]


def path(polys: list[list[list[tuple[float, float]]]]) -> tuple[str, list[int]]:
    """An SVG path (absolute move, then relative lines; repeated points dropped) and its bounding box."""
    parts: list[str] = []
    xs: list[int] = []
    ys: list[int] = []
    for p in polys:
        for r in p:
            pts = [project(lon, lat) for lon, lat in r]
            dedup = [pts[0]] + [b for a, b in itertools.pairwise(pts) if a != b]
            if len(dedup) < 3:
                continue
            x0, y0 = dedup[0]
            seq = [f"M{x0} {y0}"]
            steps = []
            for (ax, ay), (bx, by) in itertools.pairwise(dedup):
                steps.append(f"{bx - ax} {by - ay}")
            seq.append("l" + " ".join(steps) + "z")
            parts.append("".join(seq).replace(" -", "-"))
            xs += [x for x, _ in dedup]
            ys += [y for _, y in dedup]
    return "".join(parts), [min(xs), min(ys), max(xs), max(ys)]


def build(world_atlas: Path, iso_codes: Path) -> dict[str, Any]:
    raw = (world_atlas / "countries-110m.json").read_bytes()
    topo = json.loads(raw)
    version = json.loads((world_atlas / "package.json").read_text(encoding="utf-8"))["version"]
    alpha3 = {c["numeric"]: c["alpha_3"] for c in json.loads(iso_codes.read_text(encoding="utf-8"))["3166-1"]}
    arcs = decode_arcs(topo)
    countries = []
    for g in topo["objects"]["countries"]["geometries"]:
        numeric = g.get("id")
        d, bbox = path(unwrap(polygons(g, arcs)))
        if not d:
            continue
        countries.append({"id": alpha3.get(numeric) if numeric else None, "numeric": numeric,
                          "ne_name": g["properties"]["name"], "bbox": bbox, "d": d})
    countries.sort(key=lambda c: (c["id"] is None, c["id"] or "", c["ne_name"]))
    return {
        "source": f"world-atlas {version} (npm), countries-110m.json: Natural Earth 1:110m admin-0 countries, "
                  "public domain; ISO 3166-1 numeric to alpha-3 from Debian iso-codes",
        "source_sha256": hashlib.sha256(raw).hexdigest(),
        "projection": "Equal Earth, central meridian 0, y down; units: the world is width x height",
        "width": WIDTH, "height": HEIGHT,
        "countries": countries,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--world-atlas", type=Path, required=True, help="the unpacked world-atlas@2 package directory")
    ap.add_argument("--iso-codes", type=Path, default=ISO_CODES, help="iso-codes' iso_3166-1.json")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    data = build(args.world_atlas, args.iso_codes)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(data['countries'])} countries, {args.out.stat().st_size} bytes")


if __name__ == "__main__":
    main()
