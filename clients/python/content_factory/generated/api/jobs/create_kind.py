from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.job import Job
from ...models.kind import Kind
from ...models.kind_request import KindRequest
from ...models.plan import Plan
from ...models.problem import Problem
from ...models.upload_form import UploadForm
from ...types import UNSET, Response, Unset


def _get_kwargs(
    kind: Kind,
    *,
    body: KindRequest | UploadForm | Unset = UNSET,
    wait: int | Unset = UNSET,
    dry_run: bool | Unset = UNSET,
    idempotency_key: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    params: dict[str, Any] = {}

    params["wait"] = wait

    params["dry_run"] = dry_run

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/{kind}".format(
            kind=quote(str(kind), safe=""),
        ),
        "params": params,
    }

    if isinstance(body, KindRequest):
        _kwargs["json"] = body.to_dict()

        headers["Content-Type"] = "application/json"
    if isinstance(body, UploadForm):
        _kwargs["files"] = body.to_multipart()

        headers["Content-Type"] = "multipart/form-data; boundary=+++"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Job | Job | Plan | Problem | None:
    if response.status_code == 200:

        def _parse_response_200(data: object) -> Job | Plan:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_job_or_plan_type_0 = Job.from_dict(data)

                return componentsschemas_job_or_plan_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_job_or_plan_type_1 = Plan.from_dict(data)

            return componentsschemas_job_or_plan_type_1

        response_200 = _parse_response_200(response.json())

        return response_200

    if response.status_code == 202:
        response_202 = Job.from_dict(response.json())

        return response_202

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Job | Job | Plan | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    kind: Kind,
    *,
    client: AuthenticatedClient,
    body: KindRequest | UploadForm | Unset = UNSET,
    wait: int | Unset = UNSET,
    dry_run: bool | Unset = UNSET,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[Job | Job | Plan | Problem]:
    """Create a job for one content kind.

    Args:
        kind (Kind): One kind of learning material. The slug (`faq`, `podcast-script`, …) is the
            public name
            used in routes, options and file names.
        wait (int | Unset):
        dry_run (bool | Unset):
        idempotency_key (None | str | Unset):
        body (KindRequest): Create one kind (its outline is built too).
        body (UploadForm): A `multipart/form-data` request: the document and, optionally, the rest
            of the request.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Job | Job | Plan | Problem]
    """

    kwargs = _get_kwargs(
        kind=kind,
        body=body,
        wait=wait,
        dry_run=dry_run,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    kind: Kind,
    *,
    client: AuthenticatedClient,
    body: KindRequest | UploadForm | Unset = UNSET,
    wait: int | Unset = UNSET,
    dry_run: bool | Unset = UNSET,
    idempotency_key: None | str | Unset = UNSET,
) -> Job | Job | Plan | Problem | None:
    """Create a job for one content kind.

    Args:
        kind (Kind): One kind of learning material. The slug (`faq`, `podcast-script`, …) is the
            public name
            used in routes, options and file names.
        wait (int | Unset):
        dry_run (bool | Unset):
        idempotency_key (None | str | Unset):
        body (KindRequest): Create one kind (its outline is built too).
        body (UploadForm): A `multipart/form-data` request: the document and, optionally, the rest
            of the request.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Job | Job | Plan | Problem
    """

    return sync_detailed(
        kind=kind,
        client=client,
        body=body,
        wait=wait,
        dry_run=dry_run,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    kind: Kind,
    *,
    client: AuthenticatedClient,
    body: KindRequest | UploadForm | Unset = UNSET,
    wait: int | Unset = UNSET,
    dry_run: bool | Unset = UNSET,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[Job | Job | Plan | Problem]:
    """Create a job for one content kind.

    Args:
        kind (Kind): One kind of learning material. The slug (`faq`, `podcast-script`, …) is the
            public name
            used in routes, options and file names.
        wait (int | Unset):
        dry_run (bool | Unset):
        idempotency_key (None | str | Unset):
        body (KindRequest): Create one kind (its outline is built too).
        body (UploadForm): A `multipart/form-data` request: the document and, optionally, the rest
            of the request.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Job | Job | Plan | Problem]
    """

    kwargs = _get_kwargs(
        kind=kind,
        body=body,
        wait=wait,
        dry_run=dry_run,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    kind: Kind,
    *,
    client: AuthenticatedClient,
    body: KindRequest | UploadForm | Unset = UNSET,
    wait: int | Unset = UNSET,
    dry_run: bool | Unset = UNSET,
    idempotency_key: None | str | Unset = UNSET,
) -> Job | Job | Plan | Problem | None:
    """Create a job for one content kind.

    Args:
        kind (Kind): One kind of learning material. The slug (`faq`, `podcast-script`, …) is the
            public name
            used in routes, options and file names.
        wait (int | Unset):
        dry_run (bool | Unset):
        idempotency_key (None | str | Unset):
        body (KindRequest): Create one kind (its outline is built too).
        body (UploadForm): A `multipart/form-data` request: the document and, optionally, the rest
            of the request.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Job | Job | Plan | Problem
    """

    return (
        await asyncio_detailed(
            kind=kind,
            client=client,
            body=body,
            wait=wait,
            dry_run=dry_run,
            idempotency_key=idempotency_key,
        )
    ).parsed
