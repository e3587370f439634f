"""The whole pipeline on the real models over the seed corpus: answers, citations, abstention."""

from __future__ import annotations

import datetime as dt

import pytest

from index.store import Filters
from rag.reader.squad import normalize_answer


@pytest.fixture(scope="module")
def pipeline(seed_services):
    return seed_services.pipeline


def _check_citations(services, answer) -> None:
    assert answer.citations
    for c in answer.citations:
        article = services.store.document(c.doc_id).text
        assert normalize_answer(article[c.start : c.end]) and c.snippet_start <= c.start < c.end
        assert article[c.snippet_start : c.snippet_start + len(c.snippet)] == c.snippet
        assert article[c.start : c.end] in c.snippet
    top = answer.citations[0]
    assert services.store.document(top.doc_id).text[top.start : top.end] == answer.answer


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Who is the President of the European Commission?", "Ursula von der Leyen"),
        ("Who is the French President?", "Emmanuel Macron"),
    ],
)
def test_answers_with_exact_citations(pipeline, seed_services, question, expected):
    answer = pipeline.ask(question)
    assert answer.answer is not None and expected in answer.answer
    _check_citations(seed_services, answer)
    assert any(expected in c.snippet for c in answer.citations)


def test_says_not_found_when_the_corpus_does_not_say(pipeline):
    answer = pipeline.ask("What is the capital of Australia?")
    assert answer.answer is None
    assert answer.citations == []
    assert "not found" in answer.message.lower()
    assert answer.passages, "the passages read are still shown"


def test_an_answer_reported_by_several_articles_cites_each(pipeline, seed_services):
    answer = pipeline.ask("Who is the US vice president?")
    assert answer.answer is not None and "Vance" in answer.answer
    _check_citations(seed_services, answer)
    assert len({c.doc_id for c in answer.citations}) >= 2


def test_metadata_filters_narrow_the_passages(pipeline):
    only = pipeline.ask("Who is the French President?", filters=Filters(doc_ids=("000_c7d228fbe93999e3",)))
    assert {p.doc_id for p in only.passages} == {"000_c7d228fbe93999e3"}
    dated = pipeline.ask("Who met the EU sanctions envoy?", filters=Filters(since=dt.date(2025, 1, 1)))
    assert dated.passages and all(p.date and p.date >= dt.date(2025, 1, 1) for p in dated.passages)
    none = pipeline.ask("Who is the French President?", filters=Filters(until=dt.date(1990, 1, 1)))
    assert none.answer is None and none.passages == []


def test_timings_cover_every_stage(pipeline):
    answer = pipeline.ask("Who is the French President?")
    for stage in ("embed_ms", "dense_ms", "bm25_ms", "fuse_ms", "read_ms", "total_ms"):
        assert answer.timings_ms[stage] >= 0


def test_newer_article_wins_when_two_reports_disagree(tmp_path, seed_services):
    """Two equally confident answers from articles of different dates: the newer one is given."""
    from rag.service import Services
    from rag.settings import Settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "old.txt").write_text("date 2019-05-01 The mayor of Springfield is John Smith, the council said.\n")
    (corpus / "new.txt").write_text("date 2024-05-01 The mayor of Springfield is Jane Doe, the council said.\n")
    services = Services(Settings(data_dir=tmp_path / "data"))
    services.embedder, services.reader = seed_services.embedder, seed_services.reader  # share loaded models
    services.ingestor.ingest_paths([corpus])
    answer = services.pipeline.ask("Who is the mayor of Springfield?")
    assert answer.answer == "Jane Doe"
    assert answer.citations[0].doc_id == "new" and answer.citations[0].date == dt.date(2024, 5, 1)
    older_only = services.pipeline.ask("Who is the mayor of Springfield?", filters=Filters(until=dt.date(2020, 1, 1)))
    assert older_only.answer == "John Smith"


def test_new_chunking_settings_rechunk_unchanged_articles(tmp_path, seed_services, seeds_dir):
    from rag.service import Services
    from rag.settings import Settings

    def ingest(chunk_tokens: int):
        services = Services(Settings(data_dir=tmp_path / "data", chunk_tokens=chunk_tokens))
        services.embedder = seed_services.embedder  # share the loaded model
        report = services.ingestor.ingest_paths([seeds_dir / "003_dc648fb631336634.txt"])
        return report, services.store.counts()[1]

    first, chunks_160 = ingest(160)
    again, _ = ingest(160)
    smaller, chunks_64 = ingest(64)
    assert first.added and again.unchanged and smaller.replaced
    assert chunks_64 > chunks_160


def test_rank_penalty_makes_low_ranked_passages_prove_more(seed_services):
    """The penalty only lowers the confidence of spans from passages below the first, so
    with a prohibitive one the answer comes from the top passage, or there is none."""
    from rag.answer import AnswerPipeline

    plain = seed_services.pipeline
    options = {**seed_services.pipeline_options(), "first_pass": None, "stop_confidence": 1.0}
    strict = AnswerPipeline(plain.retriever, plain.reader, **{**options, "rank_penalty": 100.0})
    for question in ("Who is the French President?", "Who is the US Treasury Secretary?", "Who is the NATO Secretary General?"):
        free, ranked = plain.ask(question), strict.ask(question)
        assert [p.chunk_id for p in free.passages] == [p.chunk_id for p in ranked.passages]
        if ranked.answer is not None:
            assert ranked.citations[0].chunk_id == ranked.passages[0].chunk_id


def test_staged_reading_reads_the_rest_only_when_the_first_pass_is_not_confident(seed_services):
    """The first passages are read alone; the rest of top-k only when none of them gave an
    answer of the stop confidence. The passages retrieved are the same either way."""
    from rag.answer import AnswerPipeline

    plain = seed_services.pipeline
    options = {**seed_services.pipeline_options(), "top_k": 5}
    whole = AnswerPipeline(plain.retriever, plain.reader, **{**options, "first_pass": None, "stop_confidence": 1.0})
    never_stops = AnswerPipeline(plain.retriever, plain.reader, **{**options, "first_pass": 2, "stop_confidence": 1.0})
    always_stops = AnswerPipeline(plain.retriever, plain.reader, **{**options, "first_pass": 2, "stop_confidence": 0.0})

    confident = whole.ask("Who is the French President?")
    assert confident.passages_read == 5 and confident.answer is not None
    assert never_stops.ask("Who is the French President?").answer == confident.answer
    assert never_stops.ask("Who is the French President?").passages_read == 5
    staged = always_stops.ask("Who is the French President?")
    assert staged.passages_read == 2
    assert [p.chunk_id for p in staged.passages] == [p.chunk_id for p in confident.passages]
    assert {c.chunk_id for c in staged.citations} <= {p.chunk_id for p in staged.passages[:2]}

    unsure = plain.ask("What is the capital of Australia?")  # nothing in the corpus: no confident first pass
    assert unsure.answer is None and unsure.passages_read == len(unsure.passages) == plain.top_k


def test_a_declined_question_still_shows_the_best_candidate_as_a_hint(seed_services):
    """Under the threshold the answer is null, yet the reply carries the span the reader liked best,
    with a citation whose offsets point at it in the article: where the user should look."""
    from rag.answer import AnswerPipeline

    question = "Who is the French President?"
    answered = seed_services.pipeline.ask(question)
    strict = AnswerPipeline(
        seed_services.retriever,
        seed_services.reader,
        top_k=5,
        no_answer_threshold=1.01,
        tie_margin=0.5,
        rank_penalty=0.0,
        first_pass=None,
        stop_confidence=1.0,
    )
    declined = strict.ask(question)
    assert declined.answer is None and declined.citations == []
    hint = declined.suggestion
    assert hint is not None and "Macron" in hint.answer and hint.confidence < 1.01
    article = seed_services.store.document(hint.citation.doc_id).text
    assert article[hint.citation.start : hint.citation.end] == hint.answer
    assert answered.suggestion is None
