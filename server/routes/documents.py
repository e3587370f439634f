"""Documents over HTTP: list and read what your key may read; add, replace and delete (editor
or admin) in the collections your key may write.

Adding goes through the same Ingestor as `rag ingest` (same parsing, one transaction per
batch, snapshot written after), and a serving process picks the change up on its next
question because the store's generation moved. Uploads are parsed from temporary copies
named after the uploaded files, so doc_ids come from the file names as they do on the CLI.
Ingesting runs on a worker thread without the model-call deadline: a large upload is
finished, not abandoned half-way with a 503.
"""

from __future__ import annotations

import tempfile
from pathlib import Path, PurePath
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from index.ingest import IngestReport
from index.parse import ParseError, parse_record
from index.store import COLLECTION_PATTERN, DEFAULT_COLLECTION, Filters, StoredDocument, is_valid_collection
from rag.access import Principal
from rag.service import Services
from server.deps import PrincipalDep, ServicesDep, readable_filters

router = APIRouter(tags=["documents"])


# `?collection=NAME`: which collection a doc_id is meant in, when several hold it
CollectionQuery = Annotated[str | None, Query(pattern=COLLECTION_PATTERN)]


class DocumentOut(BaseModel):
    doc_id: str
    collection: str = DEFAULT_COLLECTION
    title: str
    date: str | None
    source: str | None
    chunks: int
    text: str | None = None

    @classmethod
    def of(cls, d: StoredDocument, with_text: bool = False) -> DocumentOut:
        return cls(
            doc_id=d.doc_id,
            collection=d.collection,
            title=d.title,
            date=str(d.date) if d.date else None,
            source=d.source,
            chunks=d.chunks,
            text=d.text if with_text else None,
        )


class NewDocument(BaseModel):
    """One article as JSON: the fields a .json file may hold (text, body, content or article)."""

    model_config = ConfigDict(extra="allow")

    doc_id: str | None = None
    title: str | None = None
    date: str | None = None
    source: str | None = None


class AddDocuments(BaseModel):
    model_config = ConfigDict(extra="forbid")

    collection: str | None = Field(None, pattern=COLLECTION_PATTERN, description="default: your key's only collection, else `default`")
    documents: list[NewDocument] = Field(min_length=1)


class Refused(BaseModel):
    name: str
    reason: str


class AddResult(BaseModel):
    collection: str
    added: list[str]
    replaced: list[str]
    unchanged: list[str]
    refused: list[Refused]
    chunks: int


class DeleteResult(BaseModel):
    collection: str
    deleted: str


def _inlined(schema: dict) -> dict:
    """A model's JSON schema with its `$defs` written in place: the route reads its body
    itself (JSON or multipart), so FastAPI cannot list the models among the components."""
    defs = schema.pop("$defs", {})

    def resolve(node):
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            return resolve(defs[ref.rsplit("/", 1)[1]]) if ref.startswith("#/$defs/") else {k: resolve(v) for k, v in node.items()}
        return [resolve(v) for v in node] if isinstance(node, list) else node

    return resolve(schema)


UPLOAD = {
    "type": "object",
    "required": ["files"],
    "properties": {
        "collection": {"type": "string"},
        "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
    },
}
ADD_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": _inlined(AddDocuments.model_json_schema())},
        "multipart/form-data": {"schema": UPLOAD},
    },
}


def _writer(principal: Principal) -> None:
    if principal.role == "reader":
        raise HTTPException(status_code=403, detail="this key is a reader: adding or deleting documents needs an editor key")


def _target(principal: Principal, collection: str | None) -> str:
    """The collection a write goes to, checked: a key may only write its own collections."""
    _writer(principal)
    if collection is None:
        only = principal.collections
        collection = next(iter(only)) if only is not None and len(only) == 1 else DEFAULT_COLLECTION
    if not principal.can_write(collection):
        raise HTTPException(status_code=403, detail=f"this key may not write to the collection {collection!r}")
    return collection


def _result(collection: str, report: IngestReport) -> AddResult:
    result = AddResult(
        collection=collection,
        added=report.added,
        replaced=report.replaced,
        unchanged=report.unchanged,
        refused=[Refused(name=n, reason=r) for n, r in report.failed],
        chunks=report.chunks,
    )
    if report.failed and not (report.added or report.replaced or report.unchanged):
        raise HTTPException(status_code=422, detail=result.model_dump())
    return result


async def _uploads(request: Request, limit: int) -> tuple[str | None, list[UploadFile]]:
    try:  # starlette stops parsing past max_files, before reading the rest
        form = await request.form(max_files=limit, max_fields=limit + 10)
    except StarletteHTTPException as exc:  # what starlette raises for a form it refuses
        if str(exc.detail).startswith("Too many files"):
            raise HTTPException(status_code=413, detail=f"more than {limit} files in one upload (RAG_MAX_UPLOAD_FILES)") from None
        raise
    files = [v for v in form.getlist("files") if isinstance(v, UploadFile)]
    collection = form.get("collection")
    if isinstance(collection, str) and not is_valid_collection(collection):
        error = {"loc": ("body", "collection"), "msg": f"invalid collection name {collection[:80]!r}", "type": "value_error"}
        raise RequestValidationError([error])
    if not files:
        raise HTTPException(status_code=422, detail="no files: send them as multipart form fields named `files`")
    return (collection if isinstance(collection, str) else None), files


def _ingest_uploads(services: Services, collection: str, files: list[tuple[str, bytes]]) -> IngestReport:
    """Write the uploads under their own (base) names into a temporary folder and ingest them
    as `rag ingest` would; the report and the stored articles name the uploaded files."""
    with tempfile.TemporaryDirectory(prefix="rag-upload-") as folder:
        names = {}
        for n, (name, data) in enumerate(files):
            path = Path(folder) / str(n) / (PurePath(name.replace("\\", "/")).name or "upload")
            path.parent.mkdir()
            path.write_bytes(data)
            names[path] = name
        return services.ingestor.ingest_files(list(names), collection=collection, names=names)


@router.post("/v1/documents", response_model=AddResult, openapi_extra={"requestBody": ADD_BODY})
async def add_documents(request: Request, principal: PrincipalDep, services: ServicesDep) -> AddResult:
    """Add or replace articles in a collection (editor or admin): a JSON body
    `{"collection": …, "documents": [{"doc_id", "title", "date", "source", "text"}, …]}`, or a
    multipart upload of `files` (.txt .md .html .json .jsonl, as `rag ingest` takes) with an
    optional `collection` field. The reply lists what was added, replaced, unchanged, refused and why."""
    _writer(principal)
    limit = services.settings.max_upload_files
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        collection, uploads = await _uploads(request, limit)
        collection = _target(principal, collection)
        files = [(u.filename or "upload.txt", await u.read()) for u in uploads]
        report = await run_in_threadpool(_ingest_uploads, services, collection, files)
        return _result(collection, report)
    try:
        body = AddDocuments.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]) from None
    if len(body.documents) > limit:
        raise HTTPException(status_code=413, detail=f"more than {limit} documents in one request (RAG_MAX_UPLOAD_FILES)")
    collection = _target(principal, body.collection)
    articles, report = [], IngestReport()
    for n, document in enumerate(body.documents):
        try:
            articles.append(parse_record(document.model_dump(exclude_none=True), f"document-{n}", f"documents[{n}]"))
        except ParseError as exc:
            report.failed.append((f"documents[{n}]", str(exc)))
    if articles:
        await run_in_threadpool(services.ingestor.ingest_articles, articles, report, False, collection)
    return _result(collection, report)


@router.get("/v1/documents", response_model=list[DocumentOut])
def list_documents(
    principal: PrincipalDep,
    services: ServicesDep,
    collection: Annotated[list[str] | None, Query(description="only these collections (repeatable)")] = None,
) -> list[DocumentOut]:
    """The documents of the collections your key may read."""
    filters = readable_filters(principal, Filters.of(collections=collection))
    return [DocumentOut.of(d) for d in services.store.documents(filters)]


def _readable_document(services: Services, principal: Principal, doc_id: str, collection: str | None) -> StoredDocument:
    filters = readable_filters(principal, Filters(doc_ids=(doc_id,), collections=(collection,) if collection else None))
    found = services.store.documents(filters, with_text=True)
    if not found:
        raise HTTPException(status_code=404, detail=f"no document with doc_id {doc_id!r}")
    if len(found) > 1:
        where = ", ".join(d.collection for d in found)
        raise HTTPException(status_code=409, detail=f"{doc_id!r} is in several collections ({where}): add ?collection=NAME")
    return found[0]


@router.get("/v1/documents/{doc_id}", response_model=DocumentOut)
def get_document(
    doc_id: str,
    principal: PrincipalDep,
    services: ServicesDep,
    collection: CollectionQuery = None,
) -> DocumentOut:
    """The stored article text: citation offsets point into `text`."""
    return DocumentOut.of(_readable_document(services, principal, doc_id, collection), with_text=True)


@router.delete("/v1/documents/{doc_id}", response_model=DeleteResult)
def delete_document(
    doc_id: str,
    principal: PrincipalDep,
    services: ServicesDep,
    collection: CollectionQuery = None,
) -> DeleteResult:
    """Delete a document (editor or admin) from a collection your key may write."""
    target = _target(principal, collection)
    if not services.ingestor.delete(doc_id, target):
        raise HTTPException(status_code=404, detail=f"no document with doc_id {doc_id!r} in the collection {target!r}")
    return DeleteResult(collection=target, deleted=doc_id)
