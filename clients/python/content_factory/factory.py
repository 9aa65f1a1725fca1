"""The convenience layer: submit a source, wait for the job, download what it made.

It is a thin layer over the generated client in `content_factory.generated` (which mirrors
every operation of `docs/openapi.json`): requests are made through it, answers parsed into its
models, and every error answer is raised as a typed `ApiError` subclass. Answers `429` and
`503` are retried after their `Retry-After`, a bounded number of times.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import httpx

from .errors import ApiError, IntegrityError, JobTimeout, retry_after
from .generated import AuthenticatedClient
from .generated.api.jobs import create_bundle, create_kind, get_artifact, get_job
from .generated.models import (
    BundleRequest,
    Job,
    Kind,
    KindRequest,
    UploadForm,
    UploadFormRequestType0,
)
from .generated.types import UNSET, File

#: The media type of each document extension `submit_file` uploads rather than sends as text.
DOCUMENTS = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".html": "text/html",
    ".htm": "text/html",
}

#: Job statuses after which nothing changes any more.
TERMINAL = frozenset({"succeeded", "partial", "failed", "cancelled"})

#: Answers worth trying again after their `Retry-After`.
RETRYABLE = frozenset({429, 503})


class Factory:
    """A client of one AI Content Factory deployment, for one API key.

    >>> factory = Factory("http://127.0.0.1:8080", api_key="...")
    >>> job = factory.wait(factory.submit_file("notes.md", kinds=["faq", "flashcards"]))
    >>> factory.download(job, "out/")
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 90.0,
        retries: int = 3,
        on_retry: Callable[[int, float], None] | None = None,
    ) -> None:
        """`retries` is how many times an answer `429` or `503` is tried again (after its
        `Retry-After`); `on_retry(status, seconds)` is called before each such wait."""
        self.base_url = base_url.rstrip("/")
        self.client = AuthenticatedClient(
            base_url=self.base_url,
            token=api_key,
            timeout=httpx.Timeout(timeout),
            raise_on_unexpected_status=False,
        )
        self.retries = retries
        self.on_retry = on_retry

    def submit_text(
        self,
        text: str,
        *,
        kinds: Iterable[str] | None = None,
        options: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Job:
        """Create a job from a source text (Markdown or plain, 200 characters or more).

        One kind makes a `POST /v1/<kind>` job, several (or none: all of them) a bundle. The
        submission carries an `Idempotency-Key` (a fresh one unless given), so a retried
        request never creates a second job."""
        key = idempotency_key or str(uuid.uuid4())
        body: dict[str, Any] = {"source": {"text": text}}
        if options:
            body["options"] = _checked_options(options)
        wanted = list(kinds) if kinds is not None else None
        if wanted is not None and len(wanted) == 1:
            request = KindRequest.from_dict(body)
            kind = Kind(wanted[0])
            response = self._call(
                lambda: create_kind.sync_detailed(
                    kind, client=self.client, body=request, idempotency_key=key
                )
            )
        else:
            if wanted is not None:
                body["kinds"] = wanted
            request = BundleRequest.from_dict(body)
            response = self._call(
                lambda: create_bundle.sync_detailed(
                    client=self.client, body=request, idempotency_key=key
                )
            )
        return Job.from_dict(json.loads(response.content))

    def submit_file(self, path: str | Path, **kwargs: Any) -> Job:
        """Create a job from a file: a PDF, Word (`.docx`) or HTML document is uploaded (see
        `submit_document`), a UTF-8 text or Markdown file sent as text (see `submit_text`)."""
        path = Path(path)
        if path.suffix.lower() in DOCUMENTS:
            return self.submit_document(path, **kwargs)
        return self.submit_text(path.read_text(encoding="utf-8"), **kwargs)

    def submit_document(
        self,
        path: str | Path,
        *,
        kinds: Iterable[str] | None = None,
        options: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Job:
        """Create a job from a document (PDF, DOCX, HTML, Markdown or text), uploaded as
        `multipart/form-data`: the server reads its text, which becomes the source, and keeps
        the file with the job. A document that gives no text raises its typed error (415 for a
        type the server does not read, 413 for a zip bomb, 422 for an encrypted, scanned or
        damaged file), with the problem's `type` saying which."""
        path = Path(path)
        key = idempotency_key or str(uuid.uuid4())
        request: dict[str, Any] = {}
        if options:
            request["options"] = _checked_options(options)
        wanted = list(kinds) if kinds is not None else None
        if wanted is not None and len(wanted) > 1:
            request["kinds"] = wanted
        form = UploadForm(
            file=File(
                payload=io.BytesIO(path.read_bytes()),
                file_name=path.name,
                mime_type=DOCUMENTS.get(path.suffix.lower(), "application/octet-stream"),
            ),
            request=UploadFormRequestType0.from_dict(request),
        )
        if wanted is not None and len(wanted) == 1:
            kind = Kind(wanted[0])
            response = self._call(
                lambda: create_kind.sync_detailed(
                    kind, client=self.client, body=form, idempotency_key=key
                )
            )
        else:
            response = self._call(
                lambda: create_bundle.sync_detailed(
                    client=self.client, body=form, idempotency_key=key
                )
            )
        return Job.from_dict(json.loads(response.content))

    def job(self, job_id: str | Job) -> Job:
        """The job as it is now."""
        job_id = job_id.id if isinstance(job_id, Job) else job_id
        response = self._call(lambda: get_job.sync_detailed(job_id, client=self.client))
        return Job.from_dict(json.loads(response.content))

    def wait(
        self,
        job: str | Job,
        *,
        timeout: float = 600.0,
        first_delay: float = 0.5,
        max_delay: float = 5.0,
    ) -> Job:
        """Poll the job until it ends (`succeeded`, `partial`, `failed` or `cancelled`),
        waiting `first_delay` seconds at first and half as long again each time, up to
        `max_delay`, with a little jitter. Raises `JobTimeout` after `timeout` seconds."""
        current = job if isinstance(job, Job) else self.job(job)
        deadline = time.monotonic() + timeout
        delay = first_delay
        while str(current.status) not in TERMINAL:
            left = deadline - time.monotonic()
            if left <= 0:
                raise JobTimeout(current.id, timeout)
            time.sleep(min(left, delay * random.uniform(0.8, 1.2)))
            delay = min(max_delay, delay * 1.5)
            current = self.job(current.id)
        return current

    def download(self, job: str | Job, directory: str | Path) -> list[Path]:
        """Write every file the job lists into `directory` (or only the zip, when the job
        lists one), plus the manifest when there is one, checking each file's SHA-256.
        Returns the paths written."""
        current = job if isinstance(job, Job) else self.job(job)
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        artifacts = list(current.artifacts)
        zips = [a for a in artifacts if a.name.endswith(".zip")]
        wanted: list[tuple[str, str | None]] = [
            (a.name, a.sha256) for a in (zips or artifacts)
        ]
        manifest = current.links.manifest
        if not zips and isinstance(manifest, str) and all(n != "manifest.json" for n, _ in wanted):
            wanted.append(("manifest.json", None))
        written = []
        for name, sha256 in wanted:
            data = self._artifact(current.id, name)
            if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
                raise IntegrityError(f"{name} of job {current.id} does not match its SHA-256")
            target = out / Path(name).name
            target.write_bytes(data)
            written.append(target)
        return written

    def close(self) -> None:
        self.client.get_httpx_client().close()

    def __enter__(self) -> "Factory":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _artifact(self, job_id: str, name: str) -> bytes:
        response = self._call(
            lambda: get_artifact.sync_detailed(job_id, name, client=self.client)
        )
        if response.status_code == 307:
            # A signed URL on Cloud Storage: fetched without the API key.
            location = response.headers["location"]
            signed = httpx.get(location, timeout=self.client._timeout)
            signed.raise_for_status()
            return signed.content
        return response.content

    def _call(self, request: Callable[[], Any]) -> Any:
        """Makes the request, tries `429` and `503` again after `Retry-After`, and raises
        every other error answer as its `ApiError`."""
        attempt = 0
        while True:
            response = request()
            status = int(response.status_code)
            if status < 400:
                return response
            raw = httpx.Response(status, headers=response.headers, content=response.content)
            if status in RETRYABLE and attempt < self.retries:
                attempt += 1
                seconds = retry_after(raw)
                seconds = float(2**attempt) if seconds is None else seconds
                if self.on_retry is not None:
                    self.on_retry(status, seconds)
                time.sleep(seconds)
                continue
            raise ApiError.from_response(raw)


def _checked_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The options as a plain dict; refuses keys the description does not know, which the
    generated model would otherwise drop silently (the server rejects unknown ones)."""
    from .generated.models import Options

    known = set(Options.__annotations__) - {"additional_properties"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise ValueError(f"unknown option(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return dict(options)


__all__ = ["Factory", "TERMINAL", "UNSET"]
