"""Building blocks of the services' response models (issue 18.7): every JSON 2xx is a
pydantic model, so the OpenAPI document says what a client gets.

The read views hand out dictionaries whose times are already ISO 8601 strings (`+00:00`);
`IsoTime` keeps them exactly as they were sent before the models existed, while the document
still says `format: date-time`. `OpenModel` is a view row: the fields documented, and a
field a later version adds still reaches the client (never silently dropped).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

IsoTime = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
IsoDate = Annotated[str, Field(json_schema_extra={"format": "date"})]
NEXT_CURSOR_DESCRIPTION = "Pass as `cursor` for the next page; null on the last."


class OpenModel(BaseModel):
    """A response shape whose documented fields are always there; more may follow."""

    model_config = ConfigDict(extra="allow")


class Page(OpenModel):
    """A page of a list: `next_cursor` names the next page (shared.pagination)."""

    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)
