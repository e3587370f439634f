"""The peer: a Haystack extractive QA pipeline over the same chunks, reader and embedder as ours.

Runs under bench/.venv-peer (haystack-ai, transformers-haystack, sentence-transformers-haystack),
never under the product's environment, so it imports nothing from this repository: it reads
a JSON spec, writes a JSON result, and the caller scores the answers with our SQuAD scoring.

    bench/.venv-peer/bin/python bench/peer_haystack.py SPEC.json OUT.json
"""

from __future__ import annotations

import json
import os
import sys
import time
from importlib.metadata import version


def run(spec: dict) -> dict:
    os.environ["HF_HUB_OFFLINE"] = "1"
    from haystack import Document, Pipeline
    from haystack.components.retrievers.in_memory import InMemoryEmbeddingRetriever
    from haystack.document_stores.in_memory import InMemoryDocumentStore
    from haystack_integrations.components.embedders.sentence_transformers import (
        SentenceTransformersDocumentEmbedder,
        SentenceTransformersTextEmbedder,
    )
    from haystack_integrations.components.readers.transformers import TransformersExtractiveReader

    if spec.get("torch_threads"):
        import torch

        torch.set_num_threads(spec["torch_threads"])
    t0 = time.perf_counter()
    store = InMemoryDocumentStore(embedding_similarity_function="cosine")
    doc_embedder = SentenceTransformersDocumentEmbedder(
        model=spec["embedder"], local_files_only=True, progress_bar=False, normalize_embeddings=True
    )
    doc_embedder.warm_up()
    documents = [Document(id=str(c["chunk_id"]), content=c["text"], meta={"doc_id": c["doc_id"]}) for c in spec["chunks"]]
    t_index = time.perf_counter()
    store.write_documents(doc_embedder.run(documents)["documents"])
    index_seconds = time.perf_counter() - t_index

    pipeline = Pipeline()
    pipeline.add_component(
        "embedder",
        SentenceTransformersTextEmbedder(model=spec["embedder"], local_files_only=True, progress_bar=False, normalize_embeddings=True),
    )
    pipeline.add_component("retriever", InMemoryEmbeddingRetriever(document_store=store, top_k=spec["top_k"]))
    pipeline.add_component(
        "reader",
        TransformersExtractiveReader(
            model=spec["reader"],
            top_k=spec["answers"],
            max_seq_length=spec["max_seq_length"],
            stride=spec["stride"],
            model_kwargs={"dtype": "float32"},  # the shipped weights are fp16; CPU inference runs fp32 like ours
        ),
    )
    pipeline.connect("embedder.embedding", "retriever.query_embedding")
    pipeline.connect("retriever.documents", "reader.documents")
    pipeline.warm_up()

    def ask(question: str) -> dict:
        return pipeline.run({"embedder": {"text": question}, "reader": {"query": question}})["reader"]["answers"]

    ask("warm up?")
    load_seconds = time.perf_counter() - t0 - index_seconds
    results = []
    for question in spec["questions"]:
        t = time.perf_counter()
        answers = ask(question)
        ms = 1000 * (time.perf_counter() - t)
        top = answers[0] if answers else None
        best_text = next((a.data for a in answers if a.data), None)
        results.append(
            {
                "question": question,
                "latency_ms": round(ms, 2),
                "answer": top.data if top is not None else None,  # None: Haystack's no-answer ranked first
                "best_span": best_text,  # its best non-empty span, ignoring the no-answer option
                "score": round(float(top.score), 4) if top is not None else None,
            }
        )
    return {
        "versions": {
            p: version(p) for p in ("haystack-ai", "transformers-haystack", "sentence-transformers-haystack", "torch", "transformers")
        },
        "chunks": len(documents),
        "index_seconds": round(index_seconds, 2),
        "load_seconds": round(load_seconds, 2),
        "results": results,
    }


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as fh:
        spec = json.load(fh)
    result = run(spec)
    with open(argv[2], "w", encoding="utf-8") as fh:
        json.dump(result, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
