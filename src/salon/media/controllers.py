"""HTTP surface of media: upload, read, alt text, and the locally stored files behind signed URLs."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.params import FromPath, HeaderParameter, JSONBody, MultipartBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from salon.lib.errors import NotFound
from salon.lib.params import Config, MaybeViewer, SignedIn
from salon.media import files, services, storage
from salon.media.schemas import MediaPatch, MediaUpload, MediaView
from salon.settings import MEDIA_UPLOAD_CEILING, get_settings

PUBLIC = {"public": True}
MULTIPART_OVERHEAD = 64 * 1024  # boundaries, part headers and the alt field around the file


async def refuse_oversized_upload(request: Request[Any, Any, Any]) -> None:
    """Answer 413 from the declared Content-Length before reading a byte of an upload that cannot fit."""
    settings = get_settings()
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > settings.media_max_upload_bytes + MULTIPART_OVERHEAD:
        raise services.upload_too_large(settings)


class MediaController(Controller):
    path = "/media"
    tags = ["media"]

    @post(
        "/",
        operation_id="uploadMedia",
        status_code=HTTP_201_CREATED,
        before_request=refuse_oversized_upload,
        request_max_body_size=MEDIA_UPLOAD_CEILING,
    )
    async def upload(self, viewer: SignedIn, settings: Config, data: MultipartBody[MediaUpload]) -> MediaView:
        """Upload an image (JPEG, PNG, WebP or GIF; the type is read from the bytes) as multipart field ``file``, with
        optional ``alt`` text. 201 with ``status: processing``; a ``media.processed`` event follows when the web copy
        and thumbnail are made. The upload is private to you until you attach it to a post or your profile."""
        return await services.upload(viewer, data, settings)

    @get("/{media_id:str}", operation_id="getMedia", opt=PUBLIC)
    async def get_media(self, maybe_viewer: MaybeViewer, settings: Config, media_id: FromPath[str]) -> MediaView:
        """An image you may see, with signed URLs (404 when it is not yours and not on anything you may see)."""
        return await services.get_media(media_id, maybe_viewer.uuid if maybe_viewer else None, settings)

    @patch("/{media_id:str}", operation_id="updateMedia")
    async def update(
        self, viewer: SignedIn, settings: Config, media_id: FromPath[str], data: JSONBody[MediaPatch]
    ) -> MediaView:
        """Change the ``alt`` text of your image."""
        return await services.set_alt(viewer, media_id, data.alt, settings)

    @get("/files/{media_id:str}/{variant:str}", operation_id="getMediaFile", opt=PUBLIC, include_in_schema=False)
    async def file(
        self,
        media_id: FromPath[str],
        variant: FromPath[str],
        expires: Annotated[int, QueryParameter()],
        signature: Annotated[str, QueryParameter()],
        range_header: Annotated[str | None, HeaderParameter(name="Range")] = None,
        if_range: Annotated[str | None, HeaderParameter(name="If-Range")] = None,
        if_none_match: Annotated[str | None, HeaderParameter(name="If-None-Match")] = None,
    ) -> Response[bytes]:
        """A locally stored file behind a signed URL (from ``url``/``thumbnail_url``); supports Range requests."""
        backend = storage.get_storage()
        if not isinstance(backend, storage.LocalStorage):
            raise NotFound("Media files are served by the object store: use the url from GET /api/v1/media/{id}.")
        return await files.serve(
            backend,
            media_id,
            variant,
            expires=expires,
            signature=signature,
            range_header=range_header,
            if_range=if_range,
            if_none_match=if_none_match,
        )


ROUTES = [MediaController]
