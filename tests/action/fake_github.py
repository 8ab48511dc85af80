"""A small fake of GitHub's REST API for issue comments, served by werkzeug on loopback.

Modelled on the real API: `Authorization: Bearer <token>`; `GET /user` answers 403 "Resource not
accessible by integration" for an installation token (GITHUB_TOKEN, `ghs_…`) and the user for a
personal token (`users`); a GitHub App's installation token (`apps`, also `ghs_…`) comments as
`<slug>[bot]` and gets the same 403 on /user; comment lists are paged with `per_page`/`page`
and a `Link` header carrying absolute `rel="next"`/`rel="last"` URLs; comments are written as
the token's user. `faults` plans misbehaviour (5xx, 429, HTML bodies) request by request."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

BOT_LOGIN = "github-actions[bot]"


@dataclass
class Comment:
    id: int
    issue: int
    login: str
    body: str

    def json(self, base: str, repo: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "body": self.body,
            "user": {
                "login": self.login,
                "type": "Bot" if self.login.endswith("[bot]") else "User",
            },
            "html_url": f"https://github.com/{repo}/pull/{self.issue}#issuecomment-{self.id}",
            "url": f"{base}/repos/{repo}/issues/comments/{self.id}",
        }


@dataclass
class Fault:
    """One planned misbehaviour: the next request matching method and path gets this answer."""

    method: str
    path: str  # a substring of the request path
    status: int
    body: str = '{"message": "Server Error"}'
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeGitHub:
    """State and request log of the fake API. `users` maps personal tokens to logins."""

    repository: str = "octo/tasks"
    users: dict[str, str] = field(default_factory=dict)
    apps: dict[str, str] = field(default_factory=dict)  # installation token -> "<slug>[bot]"
    faults: list[Fault] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    base_url: str = ""
    link_base: str | None = None  # a misbehaving server: next links to this base instead
    link_page: int | None = None  # a misbehaving server: every next link names this page
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1000))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_comment(self, issue: int, login: str, body: str) -> Comment:
        with self._lock:
            comment = Comment(next(self._ids), issue, login, body)
            self.comments.append(comment)
            return comment

    def on(self, issue: int) -> list[Comment]:
        return [c for c in self.comments if c.issue == issue]

    def _login(self, request: Request) -> str | None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() not in ("bearer", "token") or not token:
            return None
        if token in self.apps:
            return self.apps[token]
        if token.startswith("ghs_"):
            return BOT_LOGIN
        return self.users.get(token)

    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        response = self._handle(request)
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        self.requests.append((request.method, request.full_path.rstrip("?")))
        fault = self._fault(request)
        if fault is not None:
            response = Response(fault.body, status=fault.status, content_type=fault.content_type)
            response.headers.update(fault.headers)
            return response
        login = self._login(request)
        if login is None:
            return _error(401, "Bad credentials")
        parts = request.path.strip("/").split("/")
        if request.path == "/user" and request.method == "GET":
            if login.endswith("[bot]"):
                return _error(403, "Resource not accessible by integration")
            return _json(200, {"login": login, "id": 1})
        repo = "/".join(parts[1:3])
        if parts[0] != "repos" or repo != self.repository:
            return _error(404, "Not Found")
        if parts[3:4] == ["issues"] and len(parts) == 6 and parts[5] == "comments":
            issue = int(parts[4])
            if request.method == "GET":
                return self._list(request, issue)
            if request.method == "POST":
                body = _body(request)
                return _json(201, self.add_comment(issue, login, body).json(self.base_url, repo))
        if parts[3:5] == ["issues", "comments"] and len(parts) == 6:
            comment = next((c for c in self.comments if c.id == int(parts[5])), None)
            if comment is None:
                return _error(404, "Not Found")
            if request.method == "PATCH":
                if comment.login != login:
                    return _error(403, "Must have admin rights to Repository.")
                comment.body = _body(request)
                return _json(200, comment.json(self.base_url, repo))
        return _error(404, "Not Found")

    def _fault(self, request: Request) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.method == request.method and fault.path in request.path:
                    self.faults.remove(fault)
                    return fault
        return None

    def _list(self, request: Request, issue: int) -> Response:
        per_page = min(int(request.args.get("per_page", "30")), 100)
        page = int(request.args.get("page", "1"))
        everything = self.on(issue)
        chunk = everything[(page - 1) * per_page : page * per_page]
        last = max(1, -(-len(everything) // per_page))
        response = _json(200, [c.json(self.base_url, self.repository) for c in chunk])
        url = f"{self.link_base or self.base_url}{request.path}?per_page={per_page}&page="
        links = []
        if page < last:
            links.append(f'<{url}{self.link_page or page + 1}>; rel="next"')
            links.append(f'<{url}{last}>; rel="last"')
        if page > 1:
            links.append(f'<{url}1>; rel="first"')
            links.append(f'<{url}{page - 1}>; rel="prev"')
        if links:
            response.headers["Link"] = ", ".join(links)
        return response


def _body(request: Request) -> str:
    return str(json.loads(request.get_data(as_text=True))["body"])


def _json(status: int, payload: object) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json")


def _error(status: int, message: str) -> Response:
    return _json(status, {"message": message, "documentation_url": "https://docs.github.com/rest"})


@contextmanager
def serve(fake: FakeGitHub) -> Iterator[FakeGitHub]:
    """Serve `fake` on 127.0.0.1 (a free port) while the block runs."""
    server = make_server("127.0.0.1", 0, fake.wsgi, threaded=True)
    fake.base_url = f"http://127.0.0.1:{server.server_port}"
    # A short poll interval keeps shutdown (once per test) from costing half a second.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        thread.join(timeout=5)
