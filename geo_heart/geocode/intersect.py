"""Intersections: where two streets cross, and how sure that is (mixed into :class:`Geocoder`)."""

from __future__ import annotations

import math

from geo_heart.geocode.address import ParsedAddress
from geo_heart.geocode.types import _Match

_NEAR_INTERSECTION_FT = 600.0


class IntersectionMatcher:
    """Locate ``A & B`` from road lines, the streets' known points or their fitted lines."""

    def _match_intersection(self, p: ParsedAddress) -> _Match:
        c1, f1, _ = self.resolve_street(p.street_key, p.number)
        c2, f2, _ = self.resolve_street(p.street2_key)
        # "MAIN ST & GREGSON ST": also the same-name streets with a directional (W MAIN ST)
        c1 = c1 + [k for k in self._siblings(c1) if k not in c1]
        c2 = c2 + [k for k in self._siblings(c2) if k not in c2]
        factor = min(f1 or 0.0, f2 or 0.0)
        pair_hist = None
        crossing = None
        inter, ph = self.index.intersections, self.index.pair_history
        for a in c1[:8]:
            for b in c2[:8]:
                k = (a, b) if a <= b else (b, a)
                if pair_hist is None:
                    pair_hist = ph.get(k)
                if crossing is None and k in inter:
                    crossing = k
                if crossing is not None and pair_hist is not None:
                    break  # both found: later pairs change nothing
            if crossing is not None and pair_hist is not None:
                break
        label = f"{c1[0] if c1 else p.street} & {c2[0] if c2 else p.street2}"
        if crossing is not None:
            lon, lat = inter[crossing]
            hist = ph.get(crossing, pair_hist)
            return _Match(lon, lat, "intersection", round(0.8 * factor, 3),
                          f"{crossing[0]} & {crossing[1]}", "crossing of the two road lines",
                          hist=hist, prefer_history=hist is not None)  # fmt: skip
        # near each other: closest pair of known points on the two streets
        best = None
        p1 = [a for a in c1[:8] if self.index.streets[a].numbers is not None][:2]
        p2 = [b for b in c2[:8] if self.index.streets[b].numbers is not None][:2]
        for a in p1:
            for b in p2:
                i, j, d = self._closest_pair(a, b)
                if d <= _NEAR_INTERSECTION_FT:
                    # candidates are ranked (exact names first): the first close pair wins
                    pa, pb = self._pts[a], self._pts[b]
                    lon = (pa[1][i] + pb[1][j]) / 2
                    lat = (pa[2][i] + pb[2][j]) / 2
                    best = (d, lon, lat, f"{a} & {b}")
                    break
            if best is not None:
                break
        if best is not None:
            return _Match(best[1], best[2], "intersection", round(0.65 * factor, 3), best[3],
                          f"between the nearest known addresses of the two streets ({best[0] * 0.3048:.0f} m apart)",
                          hist=pair_hist, prefer_history=pair_hist is not None)  # fmt: skip
        if pair_hist is not None:
            return _Match(None, None, "history_intersection", round(0.6 * factor, 3), label,
                          "beat from past records of this intersection", hist=pair_hist,
                          prefer_history=True)  # fmt: skip
        # fall back to the first street (its block when a number is given)
        if c1:
            if p.number is not None:
                m = self._on_street(self.index.streets[c1[0]], p.number, True)
            else:
                m = self._match_street_only(
                    ParsedAddress(
                        raw=p.raw, kind="street", street=p.street, street_key=p.street_key
                    )
                )
            m.score = round(m.score * 0.8 * (f1 or 1.0), 3)
            m.reason = f"intersection with {p.street2!r} not found; located on {c1[0]!r}" + (
                f" ({m.reason})" if m.reason else ""
            )
            return m
        return _Match(None, None, "unmatched", 0.0, None,
                      f"intersection {p.street!r} / {p.street2!r}: streets not in the reference")  # fmt: skip

    def _closest_pair(self, a: str, b: str) -> tuple[int, int, float]:
        """(i, j, feet) of the closest pair of known points of streets ``a`` and ``b``.

        The first pair in (i, j) order wins a tie, as ``argmin`` over the distance matrix would.
        """
        xa, ya = self._xy[a]
        xb, yb = self._xy[b]
        if len(xa) * len(xb) > 100:
            sa, sb = self.index.streets[a], self.index.streets[b]
            dx = sa.x_ft[:, None] - sb.x_ft[None, :]
            dy = sa.y_ft[:, None] - sb.y_ft[None, :]
            d2 = dx * dx + dy * dy
            flat = int(d2.argmin())
            i, j = divmod(flat, d2.shape[1])
            return i, j, math.sqrt(float(d2.flat[flat]))
        best, bi, bj = math.inf, 0, 0
        pb = list(enumerate(zip(xb, yb, strict=True)))
        for i, (x1, y1) in enumerate(zip(xa, ya, strict=True)):
            for j, (x2, y2) in pb:
                dx = x1 - x2
                dy = y1 - y2
                d2 = dx * dx + dy * dy
                if d2 < best:
                    best, bi, bj = d2, i, j
        return bi, bj, math.sqrt(best)
