"""Shared pieces of the area file's schema: the strict base model and the field types."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from geo_heart.config.safe_files import relative_file_name


def _code(value: Any) -> Any:
    """TOML may hold beat codes as integers (``111``); geo-heart always uses strings."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return value


Code = Annotated[str, BeforeValidator(_code), Field(min_length=1)]
Text = Annotated[str, Field(min_length=1)]
#: A file named by the area file: a name inside its folder (no absolute path, no ``..`` out)
FileName = Annotated[str, Field(min_length=1), AfterValidator(relative_file_name)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
