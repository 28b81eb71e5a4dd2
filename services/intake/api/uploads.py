"""Multipart submissions: a `ticket` JSON field plus `attachments` files (the web form's shape).

The route reads the body itself because one operation accepts both JSON and multipart;
`ticket_request_body` documents both in the OpenAPI document.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from services.intake.api.errors import FieldError
from services.intake.api.schemas import TicketCreate
from services.intake.service_layer.submissions import IncomingFile


async def read_uploads(
    request: Request, max_files: int
) -> tuple[dict[str, str], list[IncomingFile]]:
    """Text fields and files of a multipart body; too many files is the caller's error."""
    try:
        form = await request.form(max_files=max_files, max_fields=20)
    except Exception as error:  # multipart errors come as several exception types
        raise FieldError(("body",), f"unreadable multipart body: {error}") from error
    fields: dict[str, str] = {}
    files: list[IncomingFile] = []
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            data = await value.read()
            files.append(
                IncomingFile(
                    filename=(value.filename or "attachment")[:255],
                    content_type=value.content_type or "application/octet-stream",
                    data=data,
                )
            )
        else:
            fields[name] = value
    await form.close()
    return fields, files


def ticket_request_body() -> dict[str, Any]:
    """OpenAPI: the same TicketCreate as JSON, or inside a multipart form with files."""
    schema = TicketCreate.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": schema},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["ticket"],
                        "properties": {
                            "ticket": {
                                "type": "string",
                                "description": "the TicketCreate object as JSON",
                            },
                            "attachments": {
                                "type": "array",
                                "items": {"type": "string", "format": "binary"},
                            },
                        },
                    }
                },
            },
        }
    }
