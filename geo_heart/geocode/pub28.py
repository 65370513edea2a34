"""USPS Publication 28 tables (``data/usps_pub28.csv``): street suffixes, directionals, secondary
unit designators and states, each form → its standard abbreviation."""

from __future__ import annotations


def _load_pub28() -> tuple[dict[str, str], dict[str, str], dict[str, bool], dict[str, str]]:
    """USPS Publication 28 tables from ``data/usps_pub28.csv`` (suffixes, directionals, units,
    states): form → standard abbreviation (units: form → needs a number)."""
    import csv
    from importlib.resources import files

    suffixes: dict[str, str] = {}
    directionals: dict[str, str] = {}
    units: dict[str, bool] = {}
    states: dict[str, str] = {}
    text = files("geo_heart.geocode").joinpath("data/usps_pub28.csv").read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    for row in csv.DictReader(lines):
        form, std, kind = row["form"], row["standard"], row["kind"]
        if kind == "suffix":
            suffixes[form] = std
        elif kind == "directional":
            directionals[form] = std
        elif kind == "unit":
            units[form] = row["needs_number"] == "1"
        elif kind == "state":
            states[form] = std
    return suffixes, directionals, units, states


#: Street suffix forms → USPS standard abbreviation (Pub 28 Appendix C1).
#: Directional forms → abbreviation; secondary unit designators (C2) → whether a number follows;
#: state names and abbreviations (Appendix B) → abbreviation.
SUFFIXES, DIRECTIONALS, UNIT_DESIGNATORS, STATES = _load_pub28()
