"""Publish: build the site for its public address and push it, as one commit, to a branch (gh-pages).

Only git plumbing is used (hash-object into a temporary index, write-tree, commit-tree, push,
update-ref), so the project's working tree, index and current branch are never touched.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from .config import Config
from .pipeline import build
from .write import MARKER


class PublishError(Exception):
    """A problem the author can fix; printed as `publish: message; what to do`."""


@dataclass(frozen=True)
class Published:
    commit: str
    parent: str | None
    files: int
    changed: bool


def run(config: Config, args: argparse.Namespace) -> int:
    try:
        published, target = publish(config, args.remote, args.branch, args.message, strict=args.strict)
    except PublishError as exc:
        print(f"publish: {exc}", file=sys.stderr)
        return 1
    if not args.quiet:
        if published.changed:
            print(f"published commit {published.commit} ({published.files} files) to {args.branch} on {args.remote}")
        else:
            print(f"nothing changed: {args.branch} on {args.remote} is already commit {published.commit}")
        print(f"GitHub Pages serves it at {target.base_url} (Settings → Pages → Source: Deploy from a branch, {args.branch}, / (root))")
    return 0


def publish(config: Config, remote: str, branch: str, message: str | None, strict: bool = False) -> tuple[Published, Config]:
    """Build into a temporary folder, commit that tree on top of the branch's tip and push it."""
    target = replace(config, base_url=_production_base_url(config))
    git = Git(config.root)
    git.check_remote(remote)
    git.check_branch(branch)
    git.check_identity()
    remote_tip, local_tip = git.remote_tip(remote, branch), git.local_tip(branch)
    if remote_tip is not None and local_tip is not None and not git.is_ancestor(local_tip, remote_tip):
        raise PublishError(f"the local branch '{branch}' has commits that are not on '{remote}' ({local_tip[:12]}), and publishing "
                           f"would drop them; push them first (`git push {remote} {branch}`), or drop them with "
                           f"`git branch -D {branch}` and publish again")
    parent = remote_tip or local_tip
    with tempfile.TemporaryDirectory(prefix="briefing-publish-") as scratch:
        site_dir = Path(scratch) / "site"
        result = build(replace(target, output_dir=site_dir), strict=strict, lock=False)  # a folder of its own
        for warning in result.warnings:
            print(warning, file=sys.stderr)
        (site_dir / MARKER).unlink(missing_ok=True)  # marks an output folder on disk; nothing to publish
        (site_dir / ".nojekyll").write_bytes(b"")  # serve the files as they are, without Jekyll
        if target.domain:
            (site_dir / "CNAME").write_text(target.domain + "\n", encoding="utf-8")
        files = sorted(p for p in site_dir.rglob("*") if p.is_file())
        tree = git.write_tree(site_dir, files, Path(scratch) / "index")
    if parent is not None and git.tree_of(parent) == tree:
        commit, changed = parent, False
    else:
        commit, changed = git.commit_tree(tree, parent, message or git.default_message()), True
    git.push(remote, commit, branch)
    git.update_branch(branch, commit)
    return Published(commit, parent, len(files), changed), target


def _production_base_url(config: Config) -> str:
    if config.base_url:
        return config.base_url
    if config.domain:
        return f"https://{config.domain}/"
    raise PublishError("site.yaml has no base_url, so links from the 404 page, canonical links and sitemap.xml "
                       "would be wrong; set base_url (e.g. https://USER.github.io/REPO/) in site.yaml or pass --base-url URL")


class Git:
    """The few git commands publishing needs, run against the project's repository."""

    def __init__(self, root: Path):
        executable = shutil.which("git")
        if executable is None:
            raise PublishError("git is not installed (or not on PATH); install git, or publish with the "
                               "GitHub Actions workflow described in README.md (Publish your briefing)")
        self.executable = executable
        self.root = root
        found = self._run("rev-parse", "--absolute-git-dir", check=False)
        if found.returncode != 0:
            raise PublishError(f"{root} is not in a git repository; run `git init` there and add the GitHub "
                               "repository with `git remote add origin URL`")
        self.git_dir = found.stdout.strip()

    def _run(self, *args: str, check: bool = True, input: str | None = None, cwd: Path | None = None,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([self.executable, *args], cwd=cwd or self.root, input=input, capture_output=True,
                              text=True, encoding="utf-8", errors="replace", env=env)
        if check and done.returncode != 0:
            reason = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise PublishError(f"`git {args[0]}` failed ({reason}); fix the repository and run publish again")
        return done

    # -- checks before building ----------------------------------------------------------------
    def check_remote(self, remote: str) -> None:
        if self._run("remote", "get-url", remote, check=False).returncode == 0:
            return
        names = self._run("remote").stdout.split()
        choice = f" or pass --remote with one of: {', '.join(names)}" if names else ""
        raise PublishError(f"there is no git remote named '{remote}'; add one with `git remote add {remote} URL`{choice}")

    def check_branch(self, branch: str) -> None:
        if branch.startswith("refs/"):  # git accepts it as a name, so the branch would be refs/heads/refs/heads/...
            raise PublishError(f"'{branch}' is a full ref name; pass the branch's name alone, e.g. --branch {branch.split('/')[-1]}")
        if branch.startswith("-") or self._run("check-ref-format", "--branch", branch, check=False).returncode != 0:
            raise PublishError(f"'{branch}' is not a valid branch name; pass --branch NAME, e.g. gh-pages")
        # Moving a checked-out branch would change someone's working tree under them.
        listing = self._run("worktree", "list", "--porcelain").stdout.splitlines()
        if f"branch refs/heads/{branch}" in listing:
            raise PublishError(f"the branch '{branch}' is checked out in this repository; switch to another "
                               "branch first, or publish to another --branch")

    def check_identity(self) -> None:
        for variable in ("GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT"):
            if self._run("var", variable, check=False).returncode != 0:
                raise PublishError("git does not know who you are; set `git config user.name \"Your Name\"` and "
                                   "`git config user.email you@example.org`, then run publish again")

    # -- the branch's history ------------------------------------------------------------------
    def remote_tip(self, remote: str, branch: str) -> str | None:
        """The branch's commit on the remote (fetched, so it can be the new commit's parent)."""
        listed = self._run("ls-remote", "--heads", remote, f"refs/heads/{branch}", check=False)
        if listed.returncode != 0:
            raise PublishError(f"cannot read from the remote '{remote}' ({_last_line(listed.stderr)}); "
                               f"check its URL with `git remote -v` and your access to it")
        tips = [line.split()[0] for line in listed.stdout.splitlines() if line.endswith(f"\trefs/heads/{branch}")]
        if not tips:
            return None
        self._run("fetch", "--quiet", "--no-tags", remote, f"+refs/heads/{branch}:refs/remotes/{remote}/{branch}")
        return tips[0]

    def local_tip(self, branch: str) -> str | None:
        found = self._run("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}^{{commit}}", check=False)
        return found.stdout.strip() or None

    def is_ancestor(self, commit: str, of: str) -> bool:
        """Whether `commit` is `of` or one of its ancestors (so moving a branch from it to `of` loses nothing)."""
        return self._run("merge-base", "--is-ancestor", commit, of, check=False).returncode == 0

    def tree_of(self, commit: str) -> str:
        return self._run("rev-parse", f"{commit}^{{tree}}").stdout.strip()

    def default_message(self) -> str:
        head = self._run("rev-parse", "--verify", "--quiet", "HEAD", check=False).stdout.strip()
        if not head:
            return "Publish the site"
        # --no-optional-locks: looking must not rewrite the project's index.
        dirty = self._run("--no-optional-locks", "status", "--porcelain").stdout.strip()
        return f"Publish the site built from {head[:12]}" + (" with uncommitted changes" if dirty else "")

    # -- writing -------------------------------------------------------------------------------
    def write_tree(self, site_dir: Path, files: list[Path], index_file: Path) -> str:
        """Store every file as a blob, list them in a temporary index and write that as a tree.

        hash-object --no-filters keeps the bytes exactly as built (no line-ending or other filters)."""
        blobs = self._run("hash-object", "-w", "--no-filters", "--stdin-paths",
                          input="".join(f"{p}\n" for p in files)).stdout.split()
        entries = "".join(f"100644 {blob}\t{p.relative_to(site_dir).as_posix()}\n" for blob, p in zip(blobs, files))
        env = {**os.environ, "GIT_INDEX_FILE": str(index_file)}
        self._run("update-index", "--add", "--index-info", input=entries, env=env)
        return self._run("write-tree", env=env).stdout.strip()

    def commit_tree(self, tree: str, parent: str | None, message: str) -> str:
        parents = ["-p", parent] if parent else []
        return self._run("commit-tree", tree, *parents, "-F", "-", input=message + "\n").stdout.strip()

    def push(self, remote: str, commit: str, branch: str) -> None:
        pushed = self._run("push", "--porcelain", remote, f"{commit}:refs/heads/{branch}", check=False)
        if pushed.returncode == 0:
            return
        for line in pushed.stderr.splitlines():
            if line.startswith("remote:"):
                print(line.rstrip(), file=sys.stderr)
        reason = _rejection(pushed.stdout) or _last_line(pushed.stderr)
        raise PublishError(f"the remote '{remote}' rejected the push to {branch} ({reason}); check that you may push "
                           f"to {branch} there (permissions, branch protection, hooks), then run publish again")

    def update_branch(self, branch: str, commit: str) -> None:
        self._run("update-ref", "-m", "publish", f"refs/heads/{branch}", commit)


def _rejection(porcelain: str) -> str | None:
    """The reason git gives for a rejected ref in `push --porcelain` output (`!\tsrc:dst\t[rejected] (why)`)."""
    for line in porcelain.splitlines():
        if line.startswith("!"):
            summary = line.split("\t")[-1]
            return summary[summary.find("(") + 1:summary.rfind(")")] if "(" in summary else summary
    return None


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].removeprefix("fatal: ").removeprefix("error: ") if lines else "no message from git"
