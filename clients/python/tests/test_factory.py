"""The client against a real `factory serve` (see conftest.py)."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest

from content_factory import Factory, RateLimited, UnsupportedMediaType, ValidationError

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


def test_a_document_is_uploaded_and_read_as_the_source(server: Server) -> None:
    document = REPO / "corpus" / "docs" / "en-python-sorting-howto.docx"
    with Factory(server.url, api_key=server.key("documents")) as factory:
        job = factory.wait(factory.submit_file(document, kinds=["faq", "flashcards"]), timeout=120)

    assert str(job.status) == "succeeded"
    assert job.source.name == "en-python-sorting-howto.docx"
    assert job.source.file.media_type == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert job.source.file.bytes_ == document.stat().st_size
    assert job.source.file.sha256 == hashlib.sha256(document.read_bytes()).hexdigest()


def test_a_file_that_is_not_a_document_raises_its_typed_error(
    server: Server, tmp_path: Path
) -> None:
    picture = tmp_path / "chapter.pdf"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")
    with Factory(server.url, api_key=server.key("not-documents")) as factory:
        with pytest.raises(UnsupportedMediaType) as raised:
            factory.submit_file(picture, kinds=["faq"])

    assert raised.value.type.endswith("/problems/unsupported-document")
    assert [e.path for e in raised.value.errors] == ["file"]
