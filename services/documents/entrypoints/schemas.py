"""Request bodies of the documents HTTP API (responses are the views' dictionaries)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.vocab import Channel


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DocumentBody(_Body):
    document_type: str = Field(min_length=1, max_length=64, examples=["ktp"])
    form: Literal["original", "copy"] = "copy"


class DraftBody(_Body):
    product: str | None = Field(default=None, examples=["reset-pin-letter"])
    recipient: str | None = Field(
        default=None, max_length=500, examples=["Kepala Dinas Kesehatan Kota Mataram"]
    )
    text: str | None = Field(
        default=None,
        max_length=20_000,
        description="The drafter's paragraphs: a complaint answer, a referral's reason.",
    )


class IssueBody(_Body):
    channel: Channel = Field(
        default=Channel.WALK_IN, description="walk_in: handed over at the desk; else sent."
    )


class ApproveBody(_Body):
    comment: str = Field(default="", max_length=5000)
    expected_version: int | None = Field(
        default=None, description="The letter version the official saw; stale -> 409 conflict."
    )


class ReturnBody(_Body):
    comment: str = Field(min_length=1, max_length=5000)
    expected_version: int | None = None


class ResubmitBody(_Body):
    subject: str | None = Field(default=None, min_length=1, max_length=500)
    body: str | None = Field(default=None, min_length=1, max_length=20_000)
    expected_version: int | None = None


class SignBody(_Body):
    expected_version: int | None = None


UPLOAD_SCHEMA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["document_type", "file"],
                    "properties": {
                        "document_type": {"type": "string", "examples": ["ktp"]},
                        "form": {"type": "string", "enum": ["original", "copy"]},
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "PDF, JPEG or PNG; its part's content type must "
                            "match its bytes.",
                        },
                    },
                }
            }
        },
    }
}
