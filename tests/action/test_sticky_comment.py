"""The sticky comment against the fake GitHub REST API on loopback."""

from __future__ import annotations

import pytest
from pytest_mock import MockerFixture

from ctask_sync.github.api import (
    GitHubApi,
    GitHubApiError,
    Identity,
    marker,
    upsert_sticky_comment,
)
from tests.action.action_support import PAT, REPOSITORY
from tests.action.fake_github import BOT_LOGIN, FakeGitHub, Fault

TARGET = "octo/tasks"


def crowd(fake: FakeGitHub, issue: int, count: int) -> None:
    for n in range(count):
        fake.add_comment(issue, f"reviewer{n % 3}", f"looks good {n}")


def test_an_installation_token_is_known_only_as_a_bot(github_api: FakeGitHub) -> None:
    assert GitHubApi(github_api.base_url, "ghs_install").identity() == Identity(None)
    assert ("GET", "/user") in github_api.requests


def test_login_of_a_personal_token_comes_from_user(github_api: FakeGitHub) -> None:
    assert GitHubApi(github_api.base_url, PAT).identity() == Identity("ci-bot")


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
    assert info.value.hint == (
        "the github-token is invalid or expired: pass a valid token, or set `comment: false`"
    )


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


APP_TOKEN = "ghs_appInstallationToken00"


def test_an_app_token_updates_one_comment_over_three_runs(github_api: FakeGitHub) -> None:
    github_api.apps[APP_TOKEN] = "tasks-deployer[bot]"
    # A person copying the marker, and the Actions bot's comment from before the switch to an
    # App: neither is ours to edit (GitHub answers 403 for the other bot's comment).
    forged = github_api.add_comment(2, "mallory", marker(TARGET, "f" * 40, "1") + "\nfake")
    old_bot = github_api.add_comment(2, BOT_LOGIN, marker(TARGET, "e" * 40, "1") + "\nold")
    api = GitHubApi(github_api.base_url, APP_TOKEN)
    results = [
        upsert_sticky_comment(
            api, REPOSITORY, 2, TARGET, f"{marker(TARGET, 'a' * 40, str(n))}\nrun {n}", create=True
        )
        for n in range(3)
    ]
    assert [r.action for r in results] == ["created", "updated", "updated"]
    ours = [c for c in github_api.on(2) if c.login == "tasks-deployer[bot]"]
    assert [c.body.splitlines()[-1] for c in ours] == ["run 2"]
    assert (forged.body.endswith("fake"), old_bot.body.endswith("old")) == (True, True)


@pytest.mark.parametrize("status", [500, 502, 429])
def test_busy_answers_are_retried_honouring_retry_after(
    github_api: FakeGitHub, status: int, mocker: MockerFixture
) -> None:
    sleep = mocker.Mock()
    github_api.faults += [
        Fault("GET", "/comments", status, headers={"Retry-After": "7"}),
        Fault("POST", "/comments", status),
    ]
    api = GitHubApi(github_api.base_url, PAT, sleep=sleep)
    result = upsert_sticky_comment(
        api, REPOSITORY, 7, TARGET, marker(TARGET, "a", "1"), create=True
    )
    assert result.action == "created"
    assert [c.args[0] for c in sleep.call_args_list] == [7.0, 1.0]
    assert len(github_api.on(7)) == 1


def test_a_busy_github_gives_up_after_the_retry_budget(
    github_api: FakeGitHub, mocker: MockerFixture
) -> None:
    sleep = mocker.Mock()
    github_api.faults += [Fault("GET", "/user", 503) for _ in range(4)]
    with pytest.raises(GitHubApiError) as info:
        GitHubApi(github_api.base_url, PAT, sleep=sleep).identity()
    assert info.value.message == "GitHub GET /user failed (HTTP 503) after 3 retries: Server Error"
    assert [c.args[0] for c in sleep.call_args_list] == [1.0, 2.0, 4.0]


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (
            Fault("GET", "/user", 200, "<html>login</html>", "text/html"),
            "GitHub GET /user answered HTTP 200 with a body that is not JSON (text/html)",
        ),
        (
            Fault("POST", "/comments", 201, '{"html_url": "x"}'),
            "GitHub POST /repos/octo/tasks/issues/7/comments answered without a comment id",
        ),
    ],
    ids=["html", "no-id"],
)
def test_malformed_answers_are_clear_errors(
    github_api: FakeGitHub, fault: Fault, message: str
) -> None:
    github_api.faults.append(fault)
    with pytest.raises(GitHubApiError) as info:
        upsert_sticky_comment(
            GitHubApi(github_api.base_url, PAT), REPOSITORY, 7, TARGET, "x", create=True
        )
    assert info.value.message == message
