"""Collections and access, attacked from outside: a real uvicorn server over a real index of
three collections, a real keys file, the real models. Every way in a key might reach another
collection's articles is tried; none may yield a passage, a citation or a document of it.

Ways in tried: /v1/ask, /v1/chat, /v1/chat/completions (plain and streamed), `doc_ids` naming
another collection's documents, `collections` naming it, another key's conversation id, GET
/v1/documents and /v1/documents/{doc_id}, the OpenAI `model` field and /v1/models, Slack from
an unmapped channel, writes by a reader and by an editor of another collection, and random
keys, narrowings and questions (hypothesis).
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import subprocess

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from rag.access import add_key, load_keys_file
from rag.service import Services
from rag.settings import Settings
from server.middleware.timeouts import ModelCalls
from server.slack.handlers import NO_COLLECTION, SlackResponder
from tests.serve_process import RAG, rag_env
from tests.support import SEEDS_DIR, running_server

COLLECTIONS = {"news": ["000", "001"], "wire": ["002", "003"], "desk": ["004"]}
ONLY_IN = {  # a question, the collection whose articles alone answer it, a word of the answer
    "wire": ("Who is the Kremlin spokesperson?", "Peskov"),
    "desk": ("Who is the French President?", "Macron"),
    "news": ("Which Treasury undersecretary joined Bessent at the meeting?", "Hurley"),
}
WIRE_DOC = "003_dc648fb631336634"
READER_SETS = [frozenset(c) for n in (1, 2, 3) for c in itertools.combinations(sorted(COLLECTIONS), n)]
TIMEOUT = 180


def _reader(collections: frozenset[str]) -> str:
    return "reader-" + "-".join(sorted(collections))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The index, the keys (one reader per set of collections, an editor of news, an admin),
    the services shared by the server and the Slack responder, and the server's URL."""
    data = tmp_path_factory.mktemp("access-data")
    keys_file = data / "keys.toml"
    keys = {_reader(s): add_key(keys_file, _reader(s), "reader", sorted(s)) for s in READER_SETS}
    keys["editor-news"] = add_key(keys_file, "editor-news", "editor", ["news"])
    keys["admin"] = add_key(keys_file, "admin", "admin", ["*"])
    settings = Settings(
        data_dir=data,
        keys_file=keys_file,
        rate_limit_per_second=0,
        max_upload_bytes=64 * 1024,
        max_upload_files=3,
        slack_channel_collections={"C-NEWS": ["news"]},
    )
    services = Services(settings)
    for collection, prefixes in COLLECTIONS.items():
        files = [p for p in sorted(SEEDS_DIR.glob("*.txt")) if p.name[:3] in prefixes]
        report = services.ingestor.ingest_files(files, collection=collection)
        assert len(report.added) == len(prefixes) and not report.failed
    with running_server(settings, preloaded=services) as url:
        yield {"url": url, "keys": keys, "services": services, "settings": settings}


def _auth(world, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world['keys'][name]}"}


def _post(world, key: str, path: str, body: dict) -> httpx.Response:
    return httpx.post(world["url"] + path, json=body, headers=_auth(world, key), timeout=TIMEOUT)


def _collections_seen(answer: dict) -> set[str]:
    """Every collection a reply's passages or citations come from."""
    return {p["collection"] for p in answer.get("passages", [])} | {c["collection"] for c in answer.get("citations", [])}


def test_each_collection_answers_its_own_question_and_no_other(world):
    for owner, (question, word) in ONLY_IN.items():
        own = _post(world, _reader(frozenset({owner})), "/v1/ask", {"question": question}).json()
        assert word in (own["answer"] or ""), f"{owner} should answer {question!r}: the attack below would prove nothing"
        assert _collections_seen(own) == {owner}
        for other in set(COLLECTIONS) - {owner}:
            key = _reader(frozenset(set(COLLECTIONS) - {owner}))
            foreign = _post(world, key, "/v1/ask", {"question": question}).json()
            assert word not in (foreign["answer"] or "") and owner not in _collections_seen(foreign), other


def test_doc_ids_or_collections_naming_another_collection_find_nothing(world):
    question, word = ONLY_IN["wire"]
    r = _post(world, "reader-news", "/v1/ask", {"question": question, "doc_ids": [WIRE_DOC]})
    assert r.status_code == 200
    assert r.json()["answer"] is None and r.json()["passages"] == [] and r.json()["citations"] == []
    r = _post(world, "reader-news", "/v1/ask", {"question": question, "collections": ["wire"]})
    assert r.status_code == 403 and "wire" in r.json()["detail"]
    r = _post(world, "reader-news", "/v1/ask", {"question": question, "collections": ["news", "wire"]})
    assert r.status_code == 403
    # narrowing within what the key reads works
    r = _post(world, "reader-desk-wire", "/v1/ask", {"question": question, "collections": ["desk"]})
    assert word not in (r.json()["answer"] or "") and _collections_seen(r.json()) <= {"desk"}


def test_chat_and_another_keys_conversation(world):
    question, word = ONLY_IN["wire"]
    first = _post(world, "reader-news", "/v1/chat", {"message": question})
    assert first.status_code == 200
    assert word not in (first.json()["answer"] or "") and "wire" not in _collections_seen(first.json())
    conversation = first.json()["conversation_id"]
    theirs = _post(world, "reader-wire", "/v1/chat", {"message": question, "conversation_id": conversation})
    assert theirs.status_code == 404 and question not in theirs.text
    wire_chat = _post(world, "reader-wire", "/v1/chat", {"message": question}).json()
    assert word in (wire_chat["answer"] or "")
    stolen = _post(world, "reader-news", "/v1/chat", {"message": "And who else?", "conversation_id": wire_chat["conversation_id"]})
    assert stolen.status_code == 404
    mine = _post(world, "reader-news", "/v1/chat", {"message": "Who is the US Treasury Secretary?", "conversation_id": conversation})
    assert mine.status_code == 200 and "wire" not in _collections_seen(mine.json())


def _sse_events(response: httpx.Response) -> list[dict]:
    return [json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: {")]


def test_openai_compatible_api_plain_streamed_and_model_field(world):
    question, word = ONLY_IN["wire"]
    body = {"model": "rag-news", "messages": [{"role": "user", "content": question}]}
    plain = _post(world, "reader-news", "/v1/chat/completions", body).json()
    message = plain["choices"][0]["message"]
    assert word not in message["content"] and all(c["collection"] != "wire" for c in message["citations"])
    streamed = _post(world, "reader-news", "/v1/chat/completions", {**body, "stream": True})
    events = _sse_events(streamed)
    text = "".join(e["choices"][0]["delta"].get("content", "") for e in events)
    citations = [c for e in events for c in e["choices"][0]["delta"].get("citations", [])]
    assert word not in text and all(c["collection"] != "wire" for c in citations)
    # the model field cannot widen: another collection's model does not exist for this key
    for model in ("rag-news/wire", "rag-news/", "wire", "rag-news/news/../wire"):
        r = _post(world, "reader-news", "/v1/chat/completions", {**body, "model": model})
        assert r.status_code == 404 and word not in r.text, model
    assert httpx.get(world["url"] + "/v1/models/rag-news/wire", headers=_auth(world, "reader-news")).status_code == 404
    models = httpx.get(world["url"] + "/v1/models", headers=_auth(world, "reader-news")).json()
    assert [m["id"] for m in models["data"]] == ["rag-news", "rag-news/news"]
    # and a key that reads wire may narrow to it by model name
    narrowed = _post(world, "reader-news-wire", "/v1/chat/completions", {**body, "model": "rag-news/wire"}).json()
    assert word in narrowed["choices"][0]["message"]["content"]


def test_documents_are_listed_and_read_only_in_readable_collections(world):
    listed = httpx.get(world["url"] + "/v1/documents", headers=_auth(world, "reader-news")).json()
    assert {d["collection"] for d in listed} == {"news"} and len(listed) == 2
    for path in (f"/v1/documents/{WIRE_DOC}", f"/v1/documents/{WIRE_DOC}?collection=news"):
        r = httpx.get(world["url"] + path, headers=_auth(world, "reader-news"))
        assert r.status_code == 404 and "Kremlin" not in r.text, path
    r = httpx.get(world["url"] + f"/v1/documents/{WIRE_DOC}?collection=wire", headers=_auth(world, "reader-news"))
    assert r.status_code == 403 and "Kremlin" not in r.text
    r = httpx.get(world["url"] + "/v1/documents?collection=wire", headers=_auth(world, "reader-news"))
    assert r.status_code == 403
    r = httpx.get(world["url"] + f"/v1/documents/{WIRE_DOC}", headers=_auth(world, "reader-wire"))
    assert r.status_code == 200 and r.json()["collection"] == "wire" and "Peskov" in r.json()["text"]


def test_readers_cannot_write_and_editors_only_their_collection(world):
    article = {"doc_id": "bulletin", "title": "Bulletin", "text": "The harbour master of Valletta is Ramona Ellul."}
    for key, collection in (("reader-news", "news"), ("editor-news", "wire")):
        r = _post(world, key, "/v1/documents", {"collection": collection, "documents": [article]})
        assert r.status_code == 403, key
        r = httpx.delete(world["url"] + f"/v1/documents/{WIRE_DOC}?collection=wire", headers=_auth(world, key))
        assert r.status_code == 403, key
    assert world["services"].store.document(WIRE_DOC, "wire") is not None
    assert world["services"].store.document("bulletin", "wire") is None


def test_an_editor_adds_replaces_and_deletes_and_the_server_answers_from_it_at_once(world):
    question = "Who is the harbour master of Valletta?"
    article = {"doc_id": "bulletin", "title": "Bulletin", "text": "The harbour master of Valletta is Ramona Ellul."}
    r = _post(world, "editor-news", "/v1/documents", {"documents": [article, {"doc_id": "empty", "text": " "}]})
    assert r.status_code == 200
    assert r.json()["collection"] == "news" and r.json()["added"] == ["bulletin"]
    assert r.json()["refused"] == [{"name": "documents[1]", "reason": "documents[1]: the article text is empty"}]
    answer = _post(world, "reader-news", "/v1/ask", {"question": question}).json()
    assert "Ellul" in (answer["answer"] or "") and answer["citations"][0]["collection"] == "news"
    assert "Ellul" not in (_post(world, "reader-wire", "/v1/ask", {"question": question}).json()["answer"] or "")
    upload = {"files": ("bulletin.txt", b"title: Bulletin\n\nThe harbour master of Valletta is Karmenu Vella.", "text/plain")}
    r = httpx.post(
        world["url"] + "/v1/documents", files=upload, data={"collection": "news"}, headers=_auth(world, "editor-news"), timeout=TIMEOUT
    )
    assert r.status_code == 200 and r.json()["replaced"] == ["bulletin"]
    assert "Vella" in (_post(world, "reader-news", "/v1/ask", {"question": question}).json()["answer"] or "")
    r = httpx.delete(world["url"] + "/v1/documents/bulletin", headers=_auth(world, "editor-news"))
    assert r.status_code == 200 and r.json() == {"collection": "news", "deleted": "bulletin"}
    assert httpx.delete(world["url"] + "/v1/documents/bulletin", headers=_auth(world, "editor-news")).status_code == 404
    assert "Vella" not in (_post(world, "reader-news", "/v1/ask", {"question": question}).json()["answer"] or "")


def test_upload_limits_are_413_with_a_clear_message_and_one_warning_line(world, caplog):
    headers = _auth(world, "editor-news")
    with caplog.at_level(logging.WARNING):
        big = {"files": ("big.txt", b"word " * 20000, "text/plain")}
        r = httpx.post(world["url"] + "/v1/documents", files=big, headers=headers, timeout=TIMEOUT)
    assert r.status_code == 413 and "RAG_MAX_UPLOAD_BYTES" in r.json()["error"]
    warnings = [rec for rec in caplog.records if "413" in rec.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING and warnings[0].exc_info is None
    assert not [rec for rec in caplog.records if "unhandled" in rec.getMessage()]
    for count in (4, 9):
        many = [("files", (f"a{n}.txt", b"Some short article text.", "text/plain")) for n in range(count)]
        r = httpx.post(world["url"] + "/v1/documents", files=many, headers=headers, timeout=TIMEOUT)
        assert r.status_code == 413 and "RAG_MAX_UPLOAD_FILES" in r.json()["detail"]
    r = _post(world, "editor-news", "/v1/documents", {"documents": [{"text": "Short."}] * 4})
    assert r.status_code == 413 and "RAG_MAX_UPLOAD_FILES" in r.json()["detail"]
    assert world["services"].store.document("a0", "news") is None


def test_only_an_admin_lists_keys_and_never_sees_one(world):
    assert httpx.get(world["url"] + "/v1/keys", headers=_auth(world, "editor-news")).status_code == 403
    r = httpx.get(world["url"] + "/v1/keys", headers=_auth(world, "admin"))
    assert r.status_code == 200
    assert {"name": "editor-news", "role": "editor", "collections": ["news"]} in r.json()
    assert not any(key in r.text for key in world["keys"].values())


def test_metrics_count_questions_per_collection(world):
    _post(world, "reader-desk", "/v1/ask", {"question": ONLY_IN["desk"][0]})
    text = httpx.get(world["url"] + "/metrics", headers=_auth(world, "admin")).text
    assert 'rag_collection_questions_total{collection="desk"}' in text


def test_slack_from_an_unmapped_channel_gets_no_answer(world):
    calls = ModelCalls(timeout_seconds=TIMEOUT, concurrency=1)
    responder = SlackResponder(world["services"], calls)
    try:
        for text, _ in (responder.one_off(ONLY_IN["desk"][0], "C-ELSEWHERE"), responder.one_off("Who?", None)):
            assert text == NO_COLLECTION
        text, _ = responder.one_off(ONLY_IN["desk"][0], "C-NEWS")
        assert "Macron" not in text
        text, _ = responder.one_off(ONLY_IN["news"][0], "C-NEWS")
        assert "Hurley" in text
    finally:
        calls.shutdown()


@hypothesis_settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    readable=st.sampled_from(READER_SETS),
    narrowed=st.none() | st.sets(st.sampled_from(sorted(COLLECTIONS)), min_size=1),
    question=st.sampled_from([q for q, _ in ONLY_IN.values()] + ["Who is the head of the European Commission?"]),
    route=st.sampled_from(["/v1/ask", "/v1/chat"]),
)
def test_no_passage_or_citation_ever_comes_from_an_unreadable_collection(world, readable, narrowed, question, route):
    body = {"question" if route == "/v1/ask" else "message": question}
    if narrowed is not None:
        body["collections"] = sorted(narrowed)
    r = _post(world, _reader(readable), route, body)
    if narrowed is not None and not narrowed <= readable:
        assert r.status_code == 403
        return
    assert r.status_code == 200
    assert _collections_seen(r.json()) <= (narrowed or readable)


def test_rag_keys_add_prints_a_key_once_and_stores_only_its_hash(tmp_path):
    keys_file = tmp_path / "keys.toml"
    env = rag_env(tmp_path, keys_file=str(keys_file))
    run = subprocess.run(
        [str(RAG), "keys", "add", "team-a", "--role", "editor", "--collections", "news,desk"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    key = run.stdout.strip()
    assert key.startswith("rag_") and key not in keys_file.read_text()
    (entry,) = load_keys_file(keys_file)
    assert entry.principal.role == "editor" and entry.principal.collections == frozenset({"news", "desk"})
    again = subprocess.run(
        [str(RAG), "keys", "add", "team-a", "--collections", "news"], env=env, capture_output=True, text=True, timeout=60
    )
    assert again.returncode == 2 and "already has a key named 'team-a'" in again.stderr
    bad = subprocess.run([str(RAG), "keys", "add", "team-b", "--collections", "../x"], env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "invalid collection name" in bad.stderr
    assert len(load_keys_file(keys_file)) == 1


def test_an_upload_says_what_it_refused_and_why(world):
    files = [
        ("files", ("tool.exe", b"MZ\x00\x00", "application/octet-stream")),
        ("files", ("../../etc/notes.txt", b"   ", "text/plain")),
    ]
    r = httpx.post(world["url"] + "/v1/documents", files=files, headers=_auth(world, "editor-news"), timeout=TIMEOUT)
    assert r.status_code == 422
    refused = {item["name"]: item["reason"] for item in r.json()["detail"]["refused"]}
    assert "unsupported file type .exe" in refused["tool.exe"] and "empty" in refused["../../etc/notes.txt"]
    assert world["services"].store.document("notes", "news") is None


def test_a_bad_collection_name_is_a_422_that_names_the_field(world):
    article = {"doc_id": "x", "text": "Some text."}
    r = _post(world, "editor-news", "/v1/documents", {"collection": "../news", "documents": [article]})
    assert r.status_code == 422 and "collection" in r.json()["error"]
    r = httpx.post(
        world["url"] + "/v1/documents",
        files={"files": ("x.txt", b"Some text.", "text/plain")},
        data={"collection": "a b"},
        headers=_auth(world, "editor-news"),
    )
    assert r.status_code == 422 and "collection" in r.json()["error"]
    r = httpx.delete(world["url"] + "/v1/documents/x?collection=..%2Fnews", headers=_auth(world, "editor-news"))
    assert r.status_code == 422


def test_cli_ingests_lists_and_deletes_by_collection(tmp_path):
    env = rag_env(tmp_path)
    seed = next(SEEDS_DIR.glob("004_*.txt"))

    def rag(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(RAG), *args], env=env, capture_output=True, text=True, timeout=300)

    for collection in ("news", "desk"):
        out = rag("ingest", "-q", "--collection", collection, str(seed))
        assert out.returncode == 0, out.stderr
        assert re.match(rf"1 added, 0 replaced, 0 unchanged; \d+ chunks embedded into {collection}\.", out.stdout)
    listed = rag("docs", "--collection", "desk").stdout.splitlines()
    assert len(listed) == 1 and listed[0].startswith(f"desk\t{seed.stem}\t")
    assert len(rag("docs").stdout.splitlines()) == 2, "one doc_id in two collections is two documents"
    assert rag("delete", "--collection", "desk", seed.stem).returncode == 0
    assert [line.split("\t")[0] for line in rag("docs").stdout.splitlines()] == ["news"]
    missing = rag("delete", "--collection", "desk", seed.stem)
    assert missing.returncode == 2 and "in the collection 'desk'" in missing.stderr
    bad = rag("ingest", "--collection", "a/b", str(seed))
    assert bad.returncode == 2 and "invalid collection name" in bad.stderr


def test_a_wire_story_in_two_collections_is_two_stories_and_never_names_the_other_copy(world):
    """The same wire report, uploaded over HTTP into news (twice: two outlets) and into wire (once,
    under the same doc_id as one news copy): each collection clusters its own copies, and no
    citation, story count or `also_published_by` reveals the other collection's copy."""
    from tests.integration.test_news_answers import WIRE

    def copy(doc_id: str, source: str, headline: str, paragraphs: tuple[str, ...]) -> dict:
        return {"doc_id": doc_id, "title": headline, "date": "2025-03-03", "source": source, "text": "\n\n".join(paragraphs)}

    news_copies = [
        copy("kestrel-wire", "The Daily Gull", "Harbour bridge cables replaced", WIRE),
        copy("kestrel-heron", "Heron Post", "Kestrel bridge to reopen Thursday", WIRE[:4]),
    ]
    wire_copy = copy("kestrel-wire", "Kestrel Wire", "Bridge repairs done, says city", WIRE)
    for collection, documents in (("news", news_copies), ("wire", [wire_copy])):
        r = _post(world, "admin", "/v1/documents", {"collection": collection, "documents": documents})
        assert r.status_code == 200 and len(r.json()["added"]) == len(documents), r.text
    store = world["services"].store
    news_story = set(store.stories(["kestrel-wire", "kestrel-heron"], "news").values())
    assert len(news_story) == 1, "an upload over HTTP is clustered like `rag ingest`"
    assert store.stories(["kestrel-wire"], "wire") == {"kestrel-wire": "kestrel-wire"}, "its own story in wire"

    question = {"question": "How many steel cables of the harbour bridge were replaced?"}
    copies_in = {"news": {"kestrel-wire", "kestrel-heron"}, "wire": {"kestrel-wire"}}
    try:
        for readable in (["wire"], ["news"], ["news", "wire"]):
            answer = _post(world, _reader(frozenset(readable)), "/v1/ask", question).json()
            assert "140" in (answer["answer"] or ""), (readable, answer["answer"])
            cited = [c for c in answer["citations"] if c["doc_id"] in copies_in[c["collection"]]]
            assert {c["collection"] for c in cited} == set(readable), "each readable collection has its own copy to cite"
            for citation in cited:
                others = copies_in[citation["collection"]] - {citation["doc_id"]}
                assert {o["doc_id"] for o in citation["also_published_by"]} == others, (readable, citation)
                assert "Kestrel Wire" not in {o["source"] for o in citation["also_published_by"]}
            if readable == ["wire"]:
                assert answer["message"].startswith("Answer found in 1 report,"), answer["message"]
    finally:
        for collection, doc_ids in copies_in.items():
            for doc_id in doc_ids:
                r = httpx.delete(world["url"] + f"/v1/documents/{doc_id}?collection={collection}", headers=_auth(world, "admin"))
                assert r.status_code == 200, r.text
    left = store.story_signatures("news") + store.story_signatures("wire")
    assert not [doc_id for doc_id, _, _ in left if doc_id.startswith("kestrel-")], "deleting a document deletes its story row"
