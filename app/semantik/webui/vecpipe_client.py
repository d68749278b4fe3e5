"""webui's client for the vecpipe HTTP API (the contract lives in semantik.shared.schemas)."""

from __future__ import annotations

import contextlib
import time

import httpx

from semantik.shared import schemas
from semantik.shared.settings import Settings
from semantik.webui.errors import Conflict, InvalidInput, NotFound, UpstreamUnavailable
from semantik.webui.vecpipe_transport import KeepAliveTransport

# How long the served model's description is reused: every search checks it, and it changes only
# when vecpipe restarts with another model (one round trip per search saved).
MODEL_CACHE_SECONDS = 5.0


class VecpipeClient:
    def __init__(
        self, base_url: str, api_key: str | None = None, *,
        transport: httpx.AsyncBaseTransport | None = None, timeout: float = 120.0,
    ) -> None:
        headers = {"X-API-Key": api_key} if api_key else {}
        self._http = httpx.AsyncClient(
            base_url=base_url, headers=headers, timeout=timeout,
            transport=transport or KeepAliveTransport(base_url),
        )
        self._served: tuple[float, schemas.ModelInfo] | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, transport: httpx.AsyncBaseTransport | None = None
    ) -> VecpipeClient:
        key = settings.internal_api_key_current
        return cls(settings.vecpipe_url, key, transport=transport)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _request(
        self, method: str, url: str, *, idempotent: bool | None = None, **kwargs: object
    ) -> httpx.Response:
        # A pooled connection vecpipe closed at that very moment (it is restarting: its socket
        # keeps new connections waiting) fails at once; a request safe to repeat goes again, once,
        # on a new connection. A timeout is not repeated (the wait already took its full length).
        retry = method in ("GET", "HEAD", "DELETE") if idempotent is None else idempotent
        for attempt in (1, 2):
            try:
                response = await self._http.request(method, url, **kwargs)  # type: ignore[arg-type]
                break
            except httpx.TimeoutException as exc:
                raise UpstreamUnavailable(f"vecpipe is unreachable: {exc!r}") from exc
            except httpx.TransportError as exc:
                if retry and attempt == 1:
                    continue
                raise UpstreamUnavailable(f"vecpipe is unreachable: {exc!r}") from exc
            except httpx.HTTPError as exc:
                raise UpstreamUnavailable(f"vecpipe is unreachable: {exc!r}") from exc
        if response.status_code < 400:
            return response
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        detail = f"vecpipe: {detail}"
        if response.status_code == 404:
            raise NotFound(detail)
        if response.status_code == 409:
            raise Conflict(detail)
        if response.status_code in (400, 422):
            raise InvalidInput(detail)
        raise UpstreamUnavailable(f"{detail} (HTTP {response.status_code})")

    async def readyz(self) -> bool:
        try:
            response = await self._http.get("/readyz", timeout=5.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def models(self) -> schemas.ModelsResponse:
        return schemas.ModelsResponse.model_validate((await self._request("GET", "/models")).json())

    async def served_model(self) -> schemas.ModelInfo:
        now = time.monotonic()
        if self._served is not None and now - self._served[0] < MODEL_CACHE_SECONDS:
            return self._served[1]
        models = (await self.models()).models
        for model in models:
            if model.loaded:
                self._served = (now, model)
                return model
        raise UpstreamUnavailable("vecpipe serves no model yet (still loading?)")

    async def tokenizer_json(self) -> str:
        return (await self._request("GET", "/tokenizer")).text

    async def ensure_collection(self, name: str, model: str) -> schemas.CollectionInfo:
        body = schemas.CollectionCreate(name=name, model=model).model_dump()
        response = await self._request("POST", "/collections", json=body)
        return schemas.CollectionInfo.model_validate(response.json())

    async def get_collection(self, name: str) -> schemas.CollectionInfo:
        response = await self._request("GET", f"/collections/{name}")
        return schemas.CollectionInfo.model_validate(response.json())

    async def delete_collection(self, name: str) -> None:
        with contextlib.suppress(NotFound):  # already gone is what we wanted
            await self._request("DELETE", f"/collections/{name}")

    async def upsert(self, name: str, chunks: list[schemas.ChunkIn]) -> schemas.UpsertResponse:
        body = schemas.UpsertRequest(chunks=chunks).model_dump()
        response = await self._request("POST", f"/collections/{name}/points", json=body)
        return schemas.UpsertResponse.model_validate(response.json())

    async def delete_documents(self, name: str, document_ids: list[str]) -> int:
        total = 0
        for i in range(0, len(document_ids), 10000):
            body = schemas.DeleteDocumentsRequest(document_ids=document_ids[i : i + 10000])
            response = await self._request(
                "POST", f"/collections/{name}/points/delete", json=body.model_dump()
            )
            total += schemas.DeleteDocumentsResponse.model_validate(
                response.json()
            ).deleted_documents
        return total

    async def optimize(self, name: str) -> None:
        await self._request("POST", f"/collections/{name}/optimize")

    async def search(self, name: str, request: schemas.SearchRequest) -> schemas.SearchResponse:
        response = await self._request(  # a search only reads: safe to repeat
            "POST", f"/collections/{name}/search", idempotent=True,
            json=request.model_dump(exclude_none=True),
        )
        # Parsed by pydantic-core straight from the bytes: no dict of dicts in between.
        return schemas.SearchResponse.model_validate_json(response.content)

    async def passages(self, query: str, texts: list[str]) -> list[schemas.Passage]:
        body = schemas.PassagesRequest(query=query, texts=texts).model_dump()
        response = await self._request("POST", "/passages", json=body)
        return schemas.PassagesResponse.model_validate(response.json()).passages
