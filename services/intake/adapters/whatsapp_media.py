"""WhatsApp Cloud API media: the bytes of an image or document a citizen sent.

Two calls, both with the app's token (`Authorization: Bearer <token>`):
`GET <api base>/<media id>` answers JSON `{url, mime_type, sha256, file_size, id}`, then
`GET <url>` answers the bytes (the url is short-lived, so both are made in one go).
A failure is a `MediaFetchError` with a machine-readable reason; `provider_unavailable`
(network, timeout, 429, 5xx) is worth another try, the others are not.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx


class MediaFetchError(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class FetchedMedia:
    content: bytes
    mime_type: str | None
    sha256: str | None  # as the provider announced it


def _status_error(response: httpx.Response, what: str) -> MediaFetchError:
    code = response.status_code
    if code == 429 or code >= 500:
        return MediaFetchError("provider_unavailable", f"{what}: the provider answered {code}.")
    if code in (401, 403):
        return MediaFetchError("provider_refused", f"{what}: the token was refused ({code}).")
    return MediaFetchError("media_not_found", f"{what}: the provider answered {code}.")


class WhatsAppMedia:
    """Fetches media by id from the Graph API (or the local fake that speaks it)."""

    def __init__(
        self,
        api_base: str,
        token: str,
        *,
        max_bytes: int,
        client: httpx.AsyncClient | None = None,
        timeout: float = 20.0,
    ) -> None:
        self.api_base = api_base.rstrip("/")
        self.token = token
        self.max_bytes = max_bytes
        self._client = client or httpx.AsyncClient(timeout=timeout, follow_redirects=True)

    async def close(self) -> None:
        await self._client.aclose()

    async def fetch(self, media_id: str) -> FetchedMedia:
        if not self.token:
            raise MediaFetchError(
                "not_configured", "SLRT_WHATSAPP_TOKEN is not set: media cannot be fetched."
            )
        if not media_id or "/" in media_id:
            raise MediaFetchError("media_not_found", "The message names no usable media id.")
        auth = {"Authorization": f"Bearer {self.token}"}
        try:
            meta = await self._client.get(f"{self.api_base}/{media_id}", headers=auth)
            if meta.status_code != 200:
                raise _status_error(meta, "media lookup")
            try:
                info = meta.json()
                url = str(info["url"])
            except (ValueError, KeyError, TypeError):
                raise MediaFetchError(
                    "provider_unavailable", "The media lookup answered no url."
                ) from None
            size = info.get("file_size")
            if isinstance(size, int) and size > self.max_bytes:
                raise MediaFetchError(
                    "file_too_large", f"The media has {size} bytes; at most {self.max_bytes}."
                )
            content = await self._download(url, auth)
        except httpx.HTTPError as exc:
            raise MediaFetchError(
                "provider_unavailable", f"{type(exc).__name__}: {exc}"[:500]
            ) from None
        mime = info.get("mime_type")
        sha = info.get("sha256")
        return FetchedMedia(content, str(mime) if mime else None, str(sha) if sha else None)

    async def _download(self, url: str, auth: dict[str, str]) -> bytes:
        chunks: list[bytes] = []
        size = 0
        async with self._client.stream("GET", url, headers=auth) as response:
            if response.status_code != 200:
                raise _status_error(response, "media download")
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise MediaFetchError(
                        "file_too_large", f"The media is larger than {self.max_bytes} bytes."
                    )
                chunks.append(chunk)
        return b"".join(chunks)
