"""The sticky comment against the fake GitHub REST API on loopback."""

from __future__ import annotations

import pytest

from ctask_sync.github.api import GitHubApi, GitHubApiError, marker, upsert_sticky_comment
from tests.action.action_support import PAT, REPOSITORY
from tests.action.fake_github import BOT_LOGIN, FakeGitHub

TARGET = "octo/tasks"


def crowd(fake: FakeGitHub, issue: int, count: int) -> None:
    for n in range(count):
        fake.add_comment(issue, f"reviewer{n % 3}", f"looks good {n}")


def test_login_of_an_installation_token_is_the_actions_bot(github_api: FakeGitHub) -> None:
    assert GitHubApi(github_api.base_url, "ghs_install").login() == BOT_LOGIN
    assert ("GET", "/user") in github_api.requests


def test_login_of_a_personal_token_comes_from_user(github_api: FakeGitHub) -> None:
    assert GitHubApi(github_api.base_url, PAT).login() == "ci-bot"


def test_comments_follow_every_next_link(github_api: FakeGitHub) -> None:
    crowd(github_api, 5, 250)
    found = GitHubApi(github_api.base_url, PAT).comments(REPOSITORY, 5)
    assert [c["body"] for c in found] == [f"looks good {n}" for n in range(250)]
    pages = [path for method, path in github_api.requests if "/issues/5/comments" in path]
    assert pages == [
        "/repos/octo/tasks/issues/5/comments?per_page=100",
        "/repos/octo/tasks/issues/5/comments?per_page=100&page=2",
        "/repos/octo/tasks/issues/5/comments?per_page=100&page=3",
    ]


def test_sticky_comment_is_updated_not_duplicated_over_three_runs(
    github_api: FakeGitHub,
) -> None:
    crowd(github_api, 9, 130)
    # Someone else copied our marker into their comment: it must never be edited.
    forged = github_api.add_comment(9, "mallory", marker(TARGET, "f" * 40, "1") + "\nfake plan")
    crowd(github_api, 9, 90)
    api = GitHubApi(github_api.base_url, "ghs_install")
    results = []
    for run in range(3):
        body = f"{marker(TARGET, str(run) * 40, str(run))}\nplan number {run}"
        results.append(upsert_sticky_comment(api, REPOSITORY, 9, TARGET, body, create=True))
    assert [r.action for r in results] == ["created", "updated", "updated"]
    assert len({r.comment_id for r in results}) == 1
    ours = [c for c in github_api.on(9) if c.login == BOT_LOGIN]
    assert len(ours) == 1
    assert ours[0].body.endswith("plan number 2")
    assert "sha=" + "2" * 40 in ours[0].body
    assert forged.body.endswith("fake plan")
    assert len(github_api.on(9)) == 130 + 1 + 90 + 1


def test_targets_keep_separate_comments(github_api: FakeGitHub) -> None:
    api = GitHubApi(github_api.base_url, "ghs_install")
    for target in ("octo/tasks", "octo/tasks#shard-1-of-2"):
        body = f"{marker(target, 'a' * 40, '1')}\nplan"
        assert upsert_sticky_comment(api, REPOSITORY, 3, target, body, create=True).action == (
            "created"
        )
    assert len(github_api.on(3)) == 2


def test_nothing_to_say_and_no_comment_yet_creates_nothing(github_api: FakeGitHub) -> None:
    api = GitHubApi(github_api.base_url, "ghs_install")
    body = f"{marker(TARGET, 'a' * 40, '1')}\nno changes"
    result = upsert_sticky_comment(api, REPOSITORY, 4, TARGET, body, create=False)
    assert (result.action, github_api.on(4)) == ("skipped", [])
    # Once a comment exists it is kept current even when the news is "no changes".
    upsert_sticky_comment(api, REPOSITORY, 4, TARGET, body.replace("no", "some"), create=True)
    assert upsert_sticky_comment(api, REPOSITORY, 4, TARGET, body, create=False).action == (
        "updated"
    )
    assert github_api.on(4)[0].body.endswith("no changes")


def test_marker_cannot_close_the_html_comment_early() -> None:
    assert marker("a--b-->x", "s", "1") == "<!-- ctask-sync:a-b->x sha=s run=1 -->"


def test_bad_credentials_are_a_clear_error(github_api: FakeGitHub) -> None:
    with pytest.raises(GitHubApiError) as info:
        upsert_sticky_comment(
            GitHubApi(github_api.base_url, "not-a-token"), REPOSITORY, 1, TARGET, "x", create=True
        )
    assert info.value.message == ("GitHub GET /user failed (HTTP 401): Bad credentials")
    assert "pull-requests: write" in str(info.value)


def test_next_links_to_another_host_are_not_followed(github_api: FakeGitHub) -> None:
    crowd(github_api, 6, 150)
    github_api.link_base = "http://attacker.invalid"
    with pytest.raises(GitHubApiError) as info:
        GitHubApi(github_api.base_url, PAT).comments(REPOSITORY, 6)
    assert info.value.message == (
        "GitHub sent a next-page link to another host: http://attacker.invalid"
        "/repos/octo/tasks/issues/6/comments?per_page=100&page=2"
    )


def test_looping_next_links_stop(github_api: FakeGitHub) -> None:
    crowd(github_api, 8, 350)
    github_api.link_page = 2
    with pytest.raises(GitHubApiError) as info:
        GitHubApi(github_api.base_url, PAT).comments(REPOSITORY, 8)
    assert info.value.message.startswith("GitHub's next-page links loop back to http://127.0.0.1:")
    assert len([r for r in github_api.requests if "/issues/8/" in r[1]]) == 2
