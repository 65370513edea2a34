"""Shared pieces of the area file's schema: the strict base model and the field types."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _code(value: Any) -> Any:
    """TOML may hold beat codes as integers (``111``); geo-heart always uses strings."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return value


Code = Annotated[str, BeforeValidator(_code), Field(min_length=1)]
Text = Annotated[str, Field(min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
