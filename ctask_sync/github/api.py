"""GitHub REST for the one sticky pull-request comment per target.

The comment is found by a hidden marker, across every page of the PR's comments, and only among
those written by the token's own identity, so a copied marker in someone else's comment is never
edited and a busy PR never gets a second copy. A personal token's identity is `GET /user`; an
installation token (GITHUB_TOKEN, a GitHub App's) cannot read /user (403), and comments as a
Bot account (`github-actions[bot]`, `<app-slug>[bot]`) that no person can write as, so for it the
marker is matched on Bot-authored comments only.

Busy answers (429, 5xx, a secondary rate limit) are retried, honouring Retry-After."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from ctask_sync.errors import CtaskSyncError
from ctask_sync.redact import redact

MAX_COMMENT_CHARS = 65536  # GitHub rejects longer bodies
_TIMEOUT = 30.0
_RETRIES = 3
_MAX_WAIT = 60.0  # never sleep longer than this on one Retry-After
_HINTS = {
    401: "the github-token is invalid or expired: pass a valid token, or set `comment: false`",
    403: "give the workflow `permissions: pull-requests: write` (a personal token needs repo "
    "access), or set `comment: false`",
    404: "the token cannot see this repository or pull request: check `github-token`",
    422: "GitHub refused the comment body; the plan is in the job summary",
}
_BUSY_HINT = "GitHub is busy or down; the plan is in the job summary, the next run updates it"
_NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


class GitHubApiError(CtaskSyncError):
    """GitHub answered with an error status or could not be reached."""

    def __init__(self, message: str, *, hint: str | None = None, status: int | None = None):
        super().__init__(message, hint=hint)
        self.status = status


def marker_prefix(target: str) -> str:
    """The start of the hidden marker that identifies the comment for `target`."""
    # `--` would end the HTML comment early; a namespace never needs it.
    return f"<!-- ctask-sync:{target.replace('--', '-')} "


def marker(target: str, sha: str, run_id: str) -> str:
    """The hidden marker line: target, plus the commit and run that wrote the comment."""
    return f"{marker_prefix(target)}sha={sha} run={run_id} -->"


@dataclass(frozen=True)
class Identity:
    """Who the token comments as: a login (personal token), or some Bot (installation token)."""

    login: str | None  # None: an installation token, whose Bot login /user does not tell

    def wrote(self, comment: dict[str, Any]) -> bool:
        """Whether `comment` was written by this identity."""
        user = comment.get("user")
        if not isinstance(user, dict):
            return False
        if self.login is not None:
            return bool(user.get("login") == self.login)
        return bool(user.get("type") == "Bot")


@dataclass
class GitHubApi:
    """A minimal GitHub REST client (requests; `base_url` is GITHUB_API_URL)."""

    base_url: str
    token: str
    session: requests.Session = field(default_factory=requests.Session)
    retries: int = _RETRIES
    timeout: float = _TIMEOUT
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.session.headers.update(
            {
                "Authorization": f"Bearer {self.token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "ctask-sync",
            }
        )

    def _request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """One call, retried while GitHub answers busy (429, 5xx, a secondary rate limit)."""
        if not url.startswith(("http://", "https://")):
            url = self.base_url + url
        for attempt in range(self.retries + 1):
            try:
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except requests.RequestException as exc:
                if attempt == self.retries:
                    raise GitHubApiError(
                        f"GitHub {method} {url} failed: {redact(str(exc))}", hint=_BUSY_HINT
                    ) from exc
                self.sleep(min(2.0**attempt, _MAX_WAIT))
                continue
            wait = _busy_wait(response, attempt)
            if wait is None or attempt == self.retries:
                return response
            self.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _check(self, method: str, url: str, response: requests.Response) -> Any:
        status = response.status_code
        if status >= 400:
            try:
                message = str(response.json().get("message", ""))
            except (ValueError, AttributeError, RecursionError):
                message = " ".join(response.text[:200].split())
            retried = f" after {self.retries} retries" if _is_busy(response) else ""
            raise GitHubApiError(
                f"GitHub {method} {url} failed (HTTP {status}){retried}: {redact(message)}",
                hint=_HINTS.get(status, _BUSY_HINT),
                status=status,
            )
        try:
            return response.json()
        except (ValueError, RecursionError):
            kind = response.headers.get("Content-Type", "no content type")
            raise GitHubApiError(
                f"GitHub {method} {url} answered HTTP {status} with a body that is not JSON "
                f"({kind})",
                hint="GITHUB_API_URL may point at a proxy or a login page; " + _BUSY_HINT,
            ) from None

    def identity(self) -> Identity:
        """Who the token comments as (an installation token cannot read /user: 403)."""
        response = self._request("GET", "/user")
        if response.status_code == 403:
            return Identity(None)
        body = self._check("GET", "/user", response)
        login = body.get("login") if isinstance(body, dict) else None
        if not isinstance(login, str) or not login:
            raise GitHubApiError("GitHub GET /user answered without a login", hint=_BUSY_HINT)
        return Identity(login)

    def comments(self, repository: str, number: int) -> list[dict[str, Any]]:
        """Every comment on issue/PR `number`, following `Link: rel="next"` to the last page."""
        url: str | None = f"/repos/{repository}/issues/{number}/comments?per_page=100"
        found: list[dict[str, Any]] = []
        seen: set[str] = set()
        while url:
            seen.add(url)
            response = self._request("GET", url)
            page = self._check("GET", url, response)
            if not isinstance(page, list):
                raise GitHubApiError(f"GitHub GET {url} answered without a list of comments")
            found.extend(c for c in page if isinstance(c, dict))
            match = _NEXT_LINK.search(response.headers.get("Link", ""))
            url = match.group(1) if match else None
            if url is not None:
                self._check_next(url, seen)
        return found

    def _check_next(self, url: str, seen: set[str]) -> None:
        # The token is sent with every page: never to another host, and never in a loop.
        if not url.startswith(self.base_url + "/"):
            raise GitHubApiError(f"GitHub sent a next-page link to another host: {url}")
        if url in seen:
            raise GitHubApiError(f"GitHub's next-page links loop back to {url}")

    def create_comment(self, repository: str, number: int, body: str) -> dict[str, Any]:
        """POST a new comment on issue/PR `number`."""
        url = f"/repos/{repository}/issues/{number}/comments"
        return _comment("POST", url, self._check("POST", url, self._send("POST", url, body)))

    def update_comment(self, repository: str, comment_id: int, body: str) -> dict[str, Any]:
        """PATCH the body of an existing comment."""
        url = f"/repos/{repository}/issues/comments/{comment_id}"
        return _comment("PATCH", url, self._check("PATCH", url, self._send("PATCH", url, body)))

    def _send(self, method: str, url: str, body: str) -> requests.Response:
        # The last guard: nothing secret in a comment, and never over GitHub's limit.
        return self._request(method, url, json={"body": redact(body)[:MAX_COMMENT_CHARS]})


def _comment(method: str, url: str, answer: Any) -> dict[str, Any]:
    """A comment GitHub answered with, checked for the id the next run needs."""
    comment_id = answer.get("id") if isinstance(answer, dict) else None
    if not isinstance(comment_id, int) or isinstance(comment_id, bool):
        raise GitHubApiError(f"GitHub {method} {url} answered without a comment id")
    return dict(answer)


def _is_busy(response: requests.Response) -> bool:
    if response.status_code == 429 or response.status_code >= 500:
        return True
    # A secondary rate limit is a 403 that says when to come back.
    return response.status_code == 403 and (
        "Retry-After" in response.headers or response.headers.get("X-RateLimit-Remaining") == "0"
    )


def _busy_wait(response: requests.Response, attempt: int) -> float | None:
    """Seconds to wait before retrying a busy answer; None when it is not busy."""
    if not _is_busy(response):
        return None
    after = response.headers.get("Retry-After", "")
    if after.strip().isdigit():
        return min(float(after), _MAX_WAIT)
    reset = response.headers.get("X-RateLimit-Reset", "")
    if reset.isdigit():
        return min(max(float(reset) - time.time(), 1.0), _MAX_WAIT)
    return min(2.0**attempt, _MAX_WAIT)


@dataclass(frozen=True)
class CommentResult:
    """What upsert_sticky_comment did, and the comment's id and link."""

    action: str  # created | updated | skipped
    comment_id: int | None
    url: str | None


def upsert_sticky_comment(
    api: GitHubApi,
    repository: str,
    number: int,
    target: str,
    body: str,
    *,
    create: bool,
) -> CommentResult:
    """Update this target's comment in place, or create it when `create` (something to say).

    `body` must start with marker(target, ...)."""
    identity = api.identity()
    prefix = marker_prefix(target)
    mine = [
        c
        for c in api.comments(repository, number)
        if identity.wrote(c)
        and isinstance(c.get("id"), int)
        and str(c.get("body", "")).startswith(prefix)
    ]
    # The oldest one is the sticky comment; it keeps its place in the conversation. An
    # installation token only knows it is some Bot: a 403 on another app's comment moves on.
    for existing in sorted(mine, key=lambda c: int(c["id"])):
        try:
            updated = api.update_comment(repository, int(existing["id"]), body)
        except GitHubApiError as exc:
            if identity.login is None and exc.status == 403:
                continue
            raise
        return CommentResult("updated", int(existing["id"]), updated.get("html_url"))
    if not create:
        return CommentResult("skipped", None, None)
    created = api.create_comment(repository, number, body)
    return CommentResult("created", int(created["id"]), created.get("html_url"))
