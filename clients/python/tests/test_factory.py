"""The client against a real `factory serve` (see conftest.py)."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest

from content_factory import Factory, RateLimited, ValidationError

from .conftest import REPO, Server

SOURCE = REPO / "examples" / "syllabus-photosynthesis.md"


def test_a_bundle_is_submitted_waited_for_and_downloaded(server: Server, tmp_path: Path) -> None:
    with Factory(server.url, api_key=server.key("bundles")) as factory:
        job = factory.wait(factory.submit_file(SOURCE, kinds=["faq", "flashcards"]), timeout=120)
        written = factory.download(job, tmp_path)

    assert str(job.status) == "succeeded"
    assert sorted(str(step.kind) for step in job.steps) == ["faq", "flashcards", "outline"]
    names = {path.name for path in written}
    assert {a.name for a in job.artifacts} <= names
    assert {"faq.json", "flashcards.json", "outline.json", "manifest.json"} <= names
    for artifact in job.artifacts:
        data = (tmp_path / artifact.name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == artifact.sha256
    faq = json.loads((tmp_path / "faq.json").read_text())
    assert faq["kind"] == "faq"
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest


def test_invalid_options_raise_a_validation_error_with_field_paths(server: Server) -> None:
    with Factory(server.url, api_key=server.key("invalid")) as factory:
        with pytest.raises(ValidationError) as raised:
            factory.submit_file(SOURCE, options={"speakers": 9, "counts": {"faq": 99}})

    error = raised.value
    assert error.status == 422
    assert [e.path for e in error.errors] == ["/options/speakers", "/options/counts/faq"]
    assert all(e.message for e in error.errors)
    assert error.request_id


def test_a_rate_limit_is_honoured_after_its_retry_after(server: Server) -> None:
    key = server.key("limited", "--rate", "2/min")
    strict = Factory(server.url, api_key=key, retries=0)
    job = strict.submit_file(SOURCE, kinds=["faq"])  # the bucket's first token
    strict.job(job.id)  # and its second

    with pytest.raises(RateLimited) as raised:
        strict.job(job.id)
    assert raised.value.status == 429
    assert raised.value.retry_after is not None and 1 <= raised.value.retry_after <= 30

    waits: list[tuple[int, float]] = []
    patient = Factory(server.url, api_key=key, retries=1, on_retry=lambda s, w: waits.append((s, w)))
    started = time.monotonic()
    seen = patient.job(job.id)
    elapsed = time.monotonic() - started

    assert seen.id == job.id
    assert len(waits) == 1 and waits[0][0] == 429
    assert elapsed >= waits[0][1]
    strict.close()
    patient.close()
