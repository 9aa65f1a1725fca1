#!/usr/bin/env python3
"""Breaks one thing in a copy of the repository, for the infrastructure checks' self-test.

    python3 scripts/infra/mutations.py ROOT NAME     # apply mutation NAME to the tree at ROOT
    python3 scripts/infra/mutations.py --list        # NAME, CHECK, EXPECTED OUTPUT, description (tab-separated)

Each mutation changes text that must be there; if the text is gone (the file was rewritten),
the mutation fails loudly instead of silently breaking nothing.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def replace(root: Path, relative: str, old: str, new: str, count: int = 1) -> None:
    path = root / relative
    text = path.read_text()
    found = text.count(old)
    if found < count:
        raise SystemExit(f"mutation: {old!r} not found in {relative} (found {found}, wanted {count})")
    path.write_text(text.replace(old, new))


def append(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.write_text(path.read_text() + text)


def crate_without_service(root: Path) -> None:
    """Copies the faq crate to a new folder (a name no crate has) without a Terraform entry."""
    name = "unlisted-kind"
    source, target = root / "functions" / "faq", root / "functions" / name
    if target.exists():
        raise SystemExit(f"mutation: functions/{name} exists already")
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("target"))
    replace(root, f"functions/{name}/Cargo.toml", 'name = "fn-faq"', f'name = "fn-{name}"')
    replace(root, f"functions/{name}/Cargo.toml", 'name = "faq"', f'name = "{name}"')


def drop_block(root: Path, relative: str, start: str) -> None:
    """Removes the block opened on the line containing `start`, up to its closing brace."""
    path = root / relative
    lines = path.read_text().splitlines(keepends=True)
    for index, line in enumerate(lines):
        if start in line:
            depth = 0
            for end in range(index, len(lines)):
                depth += lines[end].count("{") - lines[end].count("}")
                if depth == 0:
                    break
            del lines[index : end + 1]
            path.write_text("".join(lines))
            return
    raise SystemExit(f"mutation: {start!r} not found in {relative}")


# name → (check that must fail, text its output must contain, description, function)
MUTATIONS = {
    "misformatted-tf": (
        "fmt",
        '+  value = "x"',
        "a Terraform file that is not formatted",
        lambda r: append(r, "terraform/outputs.tf", '\noutput "badly_formatted" {\nvalue="x"\n}\n'),
    ),
    "public-bucket": (
        "checkov",
        "CKV_GCP_114",
        "the bucket without public access prevention or uniform access",
        lambda r: (
            replace(r, "terraform/storage.tf", 'public_access_prevention    = "enforced"', 'public_access_prevention    = "inherited"'),
            replace(r, "terraform/storage.tf", "uniform_bucket_level_access = true", "uniform_bucket_level_access = false"),
        ),
    ),
    "root-image-checkov": (
        "checkov",
        "CKV_DOCKER_8",
        "a Dockerfile whose last USER is root",
        lambda r: replace(r, "Dockerfile", "USER 65532:65532", "USER root"),
    ),
    "write-all-workflow": (
        "checkov",
        "CKV2_GHA_1",
        "a workflow with write-all permissions",
        lambda r: replace(r, ".github/workflows/ci.yml", "permissions:\n  contents: read\n", "permissions: write-all\n"),
    ),
    "bad-workflow-expression": (
        "actionlint",
        'undefined variable "secret"',
        "a workflow using an undefined context",
        lambda r: replace(r, ".github/workflows/ci.yml", "run: scripts/test", "run: scripts/test ${{ secret.TOKEN }}"),
    ),
    "unquoted-shell-variable": (
        "actionlint",
        "SC2086",
        "a run: script shellcheck rejects (unquoted variable)",
        lambda r: replace(r, ".github/workflows/ci.yml", "run: scripts/test", "run: cd $RUNNER_TEMP && scripts/test"),
    ),
    "root-image-hadolint": (
        "hadolint",
        "DL3002",
        "a Dockerfile whose last USER is root",
        lambda r: replace(r, "Dockerfile", "USER 65532:65532", "USER root"),
    ),
    "unpinned-base": (
        "hadolint",
        "DL3006",
        "a Dockerfile with an untagged base image",
        lambda r: replace(r, "Dockerfile", "FROM ${RUNTIME_IMAGE} AS runtime", "FROM debian AS runtime"),
    ),
    "crate-without-service": (
        "consistency",
        "functions/unlisted-kind has no entry",
        "a new function crate with no entry in local.functions",
        crate_without_service,
    ),
    "service-without-crate": (
        "consistency",
        "'ghost' has no crate",
        "a service with no crate",
        lambda r: replace(r, "terraform/functions.tf", '"bundle"            = { type = "api" }', '"bundle"            = { type = "api" }\n    "ghost" = { type = "api" }'),
    ),
    "unread-env": (
        "consistency",
        "FACTORY_NOBODY_READS",
        "an environment variable no code reads",
        lambda r: replace(r, "terraform/environment.tf", 'FACTORY_LOG_FORMAT          = "json"', 'FACTORY_LOG_FORMAT          = "json"\n    FACTORY_NOBODY_READS = "1"'),
    ),
    "missing-required-env": (
        "consistency",
        "env FACTORY_DISPATCH is needed",
        "FACTORY_DISPATCH not set (steps would run in-process)",
        lambda r: replace(r, "terraform/environment.tf", '    FACTORY_DISPATCH            = "pubsub:${var.project_id}/${google_pubsub_topic.steps.name}"\n', ""),
    ),
    "missing-index": (
        "consistency",
        "query unfinished_jobs on jobs needs a composite index",
        "the index of the maintenance sweep's query removed",
        lambda r: drop_block(r, "terraform/firestore.tf", "jobs_unfinished = {"),
    ),
    "internal-made-public": (
        "consistency",
        "internal function 'maintenance' is publicly invokable",
        "maintenance made public",
        lambda r: replace(r, "terraform/functions.tf", '"maintenance"       = { type = "internal" }', '"maintenance"       = { type = "internal", public = true, ingress = "INGRESS_TRAFFIC_ALL" }'),
    ),
    "wrong-step-route": (
        "consistency",
        "calls /internal/step on 'faq'",
        "step subscriptions pushing to a route nobody serves",
        lambda r: replace(r, "terraform/pubsub.tf", "/internal/steps", "/internal/step"),
    ),
    "wrong-filter-attribute": (
        "consistency",
        "filters on attribute 'step'",
        "step subscriptions filtering on an attribute the dispatcher does not publish",
        lambda r: replace(r, "terraform/pubsub.tf", 'filter = "attributes.kind = ', 'filter = "attributes.step = '),
    ),
    "scheduler-wrong-route": (
        "consistency",
        "calls /internal/maintain on 'maintenance'",
        "the scheduler calling a route maintenance does not serve",
        lambda r: replace(r, "terraform/scheduler.tf", "/internal/maintenance\"", "/internal/maintain\""),
    ),
    "unlogged-metric": (
        "consistency",
        "no code logs the message 'job finished'",
        "a log-based metric on a message no code logs",
        lambda r: replace(r, "terraform/monitoring_metrics.tf", 'jsonPayload.message=\\"job ended\\"', 'jsonPayload.message=\\"job finished\\"'),
    ),
    "unlogged-field": (
        "consistency",
        "jsonPayload.priceUsd",
        "a log-based metric on a field the message does not carry",
        lambda r: replace(r, "terraform/monitoring_metrics.tf", "EXTRACT(jsonPayload.costUsd)", "EXTRACT(jsonPayload.priceUsd)"),
    ),
}


def main(argv: list[str]) -> int:
    if argv == ["--list"]:
        for name, (check, expect, description, _) in MUTATIONS.items():
            print(f"{name}\t{check}\t{expect}\t{description}")
        return 0
    if len(argv) != 2 or argv[1] not in MUTATIONS:
        print(__doc__, file=sys.stderr)
        return 2
    MUTATIONS[argv[1]][3](Path(argv[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
