"""Text fields of request bodies, shared by the APIs' schemas."""

from typing import Annotated

from pydantic import AfterValidator, StringConstraints
from pydantic import Field as PydanticField

from commerce.inputs import control_characters

# --- Text in request bodies ----------------------------------------------------------------
# PostgreSQL text can't hold NUL, and a name, id or token is one line: a JSON string
# with "\u0000" or another control character is a 400 with a field error, never a
# query that fails. (The query string, path and form bodies are checked earlier, by
# commerce.inputs.NulGuardMiddleware.)


def _one_line(value: str) -> str:
    if control_characters(value):
        raise ValueError("Must not contain control characters (such as \\u0000).")
    return value


def _lines(value: str) -> str:
    if control_characters(value, multiline=True):
        raise ValueError("Must not contain control characters other than line breaks and tabs.")
    return value


# The same rule, as the OpenAPI schema states it to clients (and to schemathesis).
ONE_LINE_PATTERN = r"^[^\x00-\x1f\x7f]*$"
LINES_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


def text(*, min_length: int | None = None, max_length: int, multiline: bool = False):
    """A request string of bounded length without NUL or other control characters."""
    return Annotated[
        str,
        StringConstraints(min_length=min_length, max_length=max_length),
        AfterValidator(_lines if multiline else _one_line),
        PydanticField(
            json_schema_extra={"pattern": LINES_PATTERN if multiline else ONE_LINE_PATTERN}
        ),
    ]
