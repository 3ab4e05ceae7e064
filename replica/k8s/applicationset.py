"""An Argo CD ApplicationSet: one replica per open pull request, in namespace mina-staging-pr-<number>.

Argo CD's pull-request generator (GitHub) lists the repository's open pull requests (those with
the label, when one is given); each gets an Application syncing the rendered kustomization at
`path` from the pull request's head commit into its own namespace, created on first sync and
pruned when the pull request closes. The token (for private repositories and the API's rate
limit) is a Secret in Argo CD's namespace that the team creates (README: Kubernetes).
"""
from __future__ import annotations

import re

from ..core.errors import ConfigError

NAMESPACE_TEMPLATE = "mina-staging-pr-{{.number}}"
GITHUB_URL = re.compile(r"(?:https://github\.com/|git@github\.com:|ssh://git@github\.com/)"
                        r"(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+?)(?:\.git)?/?")
TOKEN_SECRET = {"secretName": "github-token", "key": "token"}


def github_repository(url: str) -> tuple[str, str]:
    """(owner, repository) of a GitHub clone URL; another host is an error naming the URL."""
    match = GITHUB_URL.fullmatch(url.strip())
    if not match:
        raise ConfigError(f"--git-url {url!r} is not a GitHub repository URL",
                          hint="the pull-request generator rendered here is GitHub's: "
                               "pass --git-url https://github.com/OWNER/REPO")
    return match.group("owner"), match.group("repo")


def application_set(git_url: str, path: str, label: str = "preview",
                    argocd_namespace: str = "argocd") -> dict:
    owner, repo = github_repository(git_url)
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet",
        "metadata": {"name": "mina-staging-pr", "namespace": argocd_namespace},
        "spec": {
            "goTemplate": True, "goTemplateOptions": ["missingkey=error"],
            "generators": [{"pullRequest": {
                "github": {"owner": owner, "repo": repo, "labels": [label],
                           "tokenRef": dict(TOKEN_SECRET)},
                "requeueAfterSeconds": 300}}],
            "template": {
                "metadata": {"name": "mina-staging-pr-{{.number}}",
                             "labels": {"app.kubernetes.io/part-of": "mina-staging"}},
                "spec": {
                    "project": "default",
                    "source": {"repoURL": git_url, "targetRevision": "{{.head_sha}}", "path": path},
                    "destination": {"server": "https://kubernetes.default.svc",
                                    "namespace": NAMESPACE_TEMPLATE},
                    "syncPolicy": {"automated": {"prune": True, "selfHeal": True},
                                   "syncOptions": ["CreateNamespace=true"]}}}}}
