"""GitHub REST for the one sticky pull-request comment per target.

The comment is found by a hidden marker, across every page of the PR's comments, and only among
those written by the token's own user, so a copied marker in someone else's comment is never
edited and a busy PR never gets a second copy."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import requests

from ctask_sync.errors import CtaskSyncError
from ctask_sync.redact import redact

# What GITHUB_TOKEN (an app installation token) comments as; `GET /user` is 403 for it.
ACTIONS_BOT_LOGIN = "github-actions[bot]"
MAX_COMMENT_CHARS = 65536  # GitHub rejects longer bodies
_TIMEOUT = 30.0
_NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


class GitHubApiError(CtaskSyncError):
    """GitHub answered with an error status or could not be reached."""


def marker_prefix(target: str) -> str:
    """The start of the hidden marker that identifies the comment for `target`."""
    # `--` would end the HTML comment early; a namespace never needs it.
    return f"<!-- ctask-sync:{target.replace('--', '-')} "


def marker(target: str, sha: str, run_id: str) -> str:
    """The hidden marker line: target, plus the commit and run that wrote the comment."""
    return f"{marker_prefix(target)}sha={sha} run={run_id} -->"


@dataclass
class GitHubApi:
    """A minimal GitHub REST client (requests; `base_url` is GITHUB_API_URL)."""

    base_url: str
    token: str
    session: requests.Session = field(default_factory=requests.Session)

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
        if not url.startswith(("http://", "https://")):
            url = self.base_url + url
        try:
            response = self.session.request(method, url, timeout=_TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            raise GitHubApiError(f"GitHub {method} {url} failed: {redact(str(exc))}") from exc
        return response

    def _check(self, method: str, url: str, response: requests.Response) -> Any:
        if response.status_code >= 400:
            try:
                message = str(response.json().get("message", ""))
            except ValueError:
                message = response.text[:200]
            raise GitHubApiError(
                f"GitHub {method} {url} failed (HTTP {response.status_code}): {redact(message)}",
                hint="give the workflow `permissions: pull-requests: write` and pass "
                "`github-token`, or set `comment: false`",
            )
        return response.json()

    def login(self) -> str:
        """The login the token comments as (GITHUB_TOKEN cannot read /user: 403)."""
        response = self._request("GET", "/user")
        if response.status_code == 403:
            return ACTIONS_BOT_LOGIN
        body = self._check("GET", "/user", response)
        return str(body["login"])

    def comments(self, repository: str, number: int) -> list[dict[str, Any]]:
        """Every comment on issue/PR `number`, following `Link: rel="next"` to the last page."""
        url: str | None = f"/repos/{repository}/issues/{number}/comments?per_page=100"
        found: list[dict[str, Any]] = []
        seen: set[str] = set()
        while url:
            seen.add(url)
            response = self._request("GET", url)
            page = self._check("GET", url, response)
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
        result: dict[str, Any] = self._check(
            "POST", url, self._request("POST", url, json={"body": body})
        )
        return result

    def update_comment(self, repository: str, comment_id: int, body: str) -> dict[str, Any]:
        """PATCH the body of an existing comment."""
        url = f"/repos/{repository}/issues/comments/{comment_id}"
        result: dict[str, Any] = self._check(
            "PATCH", url, self._request("PATCH", url, json={"body": body})
        )
        return result


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
    login = api.login()
    prefix = marker_prefix(target)
    mine = [
        c
        for c in api.comments(repository, number)
        if (c.get("user") or {}).get("login") == login and str(c.get("body", "")).startswith(prefix)
    ]
    if mine:
        # The oldest one is the sticky comment; it keeps its place in the conversation.
        existing = min(mine, key=lambda c: int(c["id"]))
        updated = api.update_comment(repository, int(existing["id"]), body)
        return CommentResult("updated", int(existing["id"]), updated.get("html_url"))
    if not create:
        return CommentResult("skipped", None, None)
    created = api.create_comment(repository, number, body)
    return CommentResult("created", int(created["id"]), created.get("html_url"))
