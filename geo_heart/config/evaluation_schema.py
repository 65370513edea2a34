"""``[evaluation]``: how ``geo-heart evaluate`` measures a program's effect on incident reports.

Every key is optional; the defaults are the area file's own rule timeline (the first dated rule set
is the pilot, the next one ends its window) and the program's eligible call types. Published
volumes for the dose check carry their ``source`` and an ``assumed`` flag like every other fact.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field

from geo_heart.config.schema_base import Code, Text, _Model


class SourcedValues(_Model):
    """Keys every assumption may carry."""

    source: str | None = None
    assumed: bool = False
    note: str | None = None


class DoseFigure(SourcedValues):
    """``[[evaluation.dose]]``: a published count of calls the programs answered over a period.

    ``calls`` answered from ``start`` to ``end`` (local dates, ``end`` inclusive) by ``programs``
    (empty: all of them). The dose check pro-rates a figure to the evaluation window by days.
    """

    label: Text
    calls: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    start: date
    end: date
    programs: list[Text] = []


class EvaluationSection(SourcedValues):
    """``[evaluation]``: the default design and outcomes of ``geo-heart evaluate``.

    ``program``: the program whose effect is measured (default: the first in-person program of
    the pilot rule set, else the first program). ``pilot_rules``: the rule set whose service area
    is the treated group (default: the first dated rule set). ``targeted_call_types``: canonical
    call types counted as targeted (default: the program's eligible ``call_types``).
    ``placebo_codes``: raw call-type codes (as in the call table, compared upper-case with spaces
    folded) that no program can touch. ``placebo_label`` names them in outputs.
    """

    program: Code | None = None
    pilot_rules: Text | None = None
    targeted_call_types: list[Text] | None = None
    targeted_source: str | None = None
    placebo_label: Text = "placebo types"
    placebo_codes: list[Text] = []
    placebo_source: str | None = None
    dose: list[DoseFigure] = []
