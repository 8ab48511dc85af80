"""HTTP plumbing shared by the API and admin handlers: JSON responses, errors, paging."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from ctask_sync.emulator.multipart import form_data_parser_class

T = TypeVar("T")


class ApiFailure(Exception):
    """An error response in DataRobot's shape: `{"message": ..., "errors"?: {...}, ...}`."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.extra = extra or {}
        self.headers = headers or {}

    def response(self) -> Response:
        """The JSON error response with any extra headers (e.g. Retry-After)."""
        body: dict[str, Any] = {"message": self.message}
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra)
        response = json_response(body, self.status)
        for name, value in self.headers.items():
            response.headers[name] = value
        return response


class EmulatorRequest(Request):
    """A request whose multipart parser accepts as many parts as a big task folder needs."""

    # werkzeug's default (1000 parts) would cap a version at 500 files; DataRobot publishes no
    # such limit, so only max_upload_bytes limits uploads.
    max_form_parts = 10_000_000
    # werkzeug's parser without two regex compilations per upload, while it parses the same
    form_data_parser_class = form_data_parser_class()


def encode_json(body: Any) -> str:
    """The emulator's one JSON encoding (compact); cached task JSON must use it too so a page
    spliced from cached parts has the same bytes as one encoded whole."""
    return json.dumps(body, separators=(",", ":"))


def json_response(body: Any, status: int = 200) -> Response:
    """A JSON response with exactly `Content-Type: application/json` (the client requires it)."""
    return encoded_json_response(encode_json(body), status)


def encoded_json_response(text: str, status: int = 200) -> Response:
    """A JSON response from text already encoded by `encode_json`."""
    return Response(text, status=status, headers={"Content-Type": "application/json"})


def no_content() -> Response:
    """204 without a body."""
    return Response(status=204)


def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object; 422 when it is not a JSON object."""
    raw = request.get_data(cache=True)
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiFailure(422, f"Request body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ApiFailure(422, "Request body must be a JSON object")
    return data


def _int_arg(request: Request, name: str, default: int, minimum: int, maximum: int) -> int:
    text = request.args.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise ApiFailure(
            400, f"Invalid query parameter {name}", errors={name: f"{text!r} is not an integer"}
        ) from None
    if not minimum <= value <= maximum:
        raise ApiFailure(
            400,
            f"Invalid query parameter {name}",
            errors={name: f"must be between {minimum} and {maximum}, got {value}"},
        )
    return value


def _page(
    request: Request, items: Sequence[T], *, default_limit: int, max_limit: int
) -> tuple[Sequence[T], dict[str, Any]]:
    """The items of the requested page and the envelope around them, all but `data`."""
    offset = _int_arg(request, "offset", 0, 0, 10**9)
    limit = _int_arg(request, "limit", default_limit, 1, max_limit)
    page = items[offset : offset + limit]
    filters = [(k, v) for k, v in request.args.items(multi=True) if k not in ("offset", "limit")]

    def link(new_offset: int) -> str:
        query = urlencode([*filters, ("offset", str(new_offset)), ("limit", str(limit))])
        return f"{request.base_url}?{query}"

    has_next = offset + limit < len(items)
    envelope = {
        "count": len(page),
        "totalCount": len(items),
        "next": link(offset + limit) if has_next else None,
        "previous": link(max(0, offset - limit)) if offset > 0 else None,
    }
    return page, envelope


def paged(
    request: Request,
    items: Sequence[T],
    render: Callable[[T], dict[str, Any]],
    *,
    default_limit: int,
    max_limit: int,
) -> Response:
    """DataRobot's page envelope with absolute next/previous URLs that keep every filter."""
    page, envelope = _page(request, items, default_limit=default_limit, max_limit=max_limit)
    return json_response({**envelope, "data": [render(item) for item in page]})


def paged_encoded(
    request: Request,
    items: Sequence[T],
    encoded: Callable[[T], str],
    *,
    default_limit: int,
    max_limit: int,
) -> Response:
    """`paged` from each item's JSON already encoded by `encode_json`: the same bytes, since
    the compact encoding of a list is its elements' encodings joined by commas."""
    page, envelope = _page(request, items, default_limit=default_limit, max_limit=max_limit)
    head = encode_json(envelope)  # "data" goes last, where `paged` puts it
    data = ",".join(encoded(item) for item in page)
    return encoded_json_response(f'{head[:-1]},"data":[{data}]}}')
