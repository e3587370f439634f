"""One vote per story and answers that know when they were true, on the real models: the same
wire story on three sites, a fact that changes between two dates, relative time in questions."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from eval.run import evaluate
from eval.testset import load_testset
from index.feeds import FeedReader, Fetcher, doc_id_for
from index.store import Filters
from rag.service import Services
from rag.settings import Settings
from tests.news_site import NewsSite, Story, article_page

WIRE = (
    "Engineers in Kestrel finished replacing all 140 steel cables of the harbour bridge on Monday, eight months after "
    "cracks were found during a routine inspection.",
    "The work cost 32 million euros, four million more than planned, because a second crane had to be hired in January, "
    "the city's transport office said in a statement.",
    "Chief engineer Marta Oyelaran said the bridge would reopen to cars on Thursday and to lorries a week later, once "
    "load tests on the new deck are complete.",
    "About 40,000 vehicles crossed the bridge each day before it closed, and traffic on the coast road doubled during "
    "the repairs, according to the regional police.",
    "Shop owners on the harbour front said the closure had cut their takings by a third over the winter.",
)
# the same wire copy on three sites: own headlines, own chrome, one trims the last paragraph, one adds a line
COPIES = [
    ("gull", "The Daily Gull", Story("wire-gull", "Harbour bridge cables replaced", dt.date(2025, 3, 3), WIRE)),
    ("heron", "Heron Post", Story("wire-heron", "Kestrel bridge to reopen Thursday", dt.date(2025, 3, 3), WIRE[:4])),
    (
        "tern",
        "Tern Times",
        Story("wire-tern", "Bridge repairs done, says city", dt.date(2025, 3, 4), WIRE + ("Our reporter will follow the reopening live.",)),
    ),
]
# another reporter's own story on the same event: same names and numbers, different words
OWN_REPORT = Story(
    "own",
    "Drivers cheer as bridge work ends",
    dt.date(2025, 3, 4),
    (
        "Horns sounded along the Kestrel waterfront as the last of the bridge's new cables went in, and several drivers "
        "who had queued on the coast road for months told us they were relieved.",
        "Taxi driver Jonas Peltier said his daily commute had grown from twenty minutes to over an hour.",
        "The repair bill, put at 32 million euros by the city, will be debated by the council next month.",
    ),
)
MAYOR_2022 = "KESTREL, May 10, 2022 — The city council elected Tomas Kierny as mayor of Kestrel on Tuesday.\n\nThe mayor of Kestrel is Tomas Kierny, a former harbour pilot, who won 31 of the 45 council votes.\n"
MAYOR_2025 = Story(
    "mayor-2025",
    "Ilse Marrow sworn in as Kestrel mayor",
    dt.date(2025, 2, 3),
    (
        "The mayor of Kestrel is Ilse Marrow, who was sworn in on Monday after winning the city election.",
        "Marrow, a marine biologist, replaces Tomas Kierny, who did not stand again.",
    ),
)
COUNCIL = [
    {
        "id": "council-tram",
        "date": "2025-03-05",
        "title": "Council backs tram line",
        "text": "At its weekly meeting the Kestrel council approved a tram line to the airport. Building starts in autumn.",
    },
    {
        "id": "council-parks",
        "date": "2025-03-12",
        "title": "Council backs parks budget",
        "text": "At its weekly meeting the Kestrel council approved a parks budget of 9 million euros. The money goes to six new playgrounds.",
    },
]


@pytest.fixture(scope="module")
def news(tmp_path_factory) -> Services:
    """An index of the fixtures, ingested the way users do: pages from a local site, a plain-text
    file with a dateline, a JSON Lines file."""
    folder = tmp_path_factory.mktemp("news")
    (folder / "mayor-2022.txt").write_text(MAYOR_2022)
    (folder / "council.jsonl").write_text("\n".join(json.dumps(r) for r in COUNCIL))
    services = Services(Settings(data_dir=folder / "data"))
    assert not services.ingestor.ingest_paths([folder / "mayor-2022.txt", folder / "council.jsonl"]).failed
    reader = FeedReader(services.ingestor, Fetcher(timeout=5))
    with NewsSite() as site:
        for slug, name, story in COPIES:
            site.put(f"/{slug}/{story.slug}.html", article_page(story, name, menu=(name, "Local", slug.title(), "Weather")))
            reader.ingest_url(f"{site.url}/{slug}/{story.slug}.html")
        for story in (OWN_REPORT, MAYOR_2025):
            site.put(f"/gull/{story.slug}.html", article_page(story, "The Daily Gull"))
            reader.ingest_url(f"{site.url}/gull/{story.slug}.html")
        site.url_of = {s.slug: f"{site.url}/{slug}/{s.slug}.html" for slug, _, s in COPIES}
        ids = {s.slug: doc_id_for(f"{site.url}/{slug}/{s.slug}.html") for slug, _, s in COPIES}
        ids |= {s.slug: doc_id_for(f"{site.url}/gull/{s.slug}.html") for s in (OWN_REPORT, MAYOR_2025)}
    services.ids = ids
    yield services
    services.store.close()


def test_three_copies_are_one_story_and_another_report_is_not(news):
    stories = news.store.stories(news.ids.values())
    copies = {stories[news.ids[s.slug]] for _, _, s in COPIES}
    assert len(copies) == 1
    assert stories[news.ids["own"]] not in copies, "two reports of one event are two stories"
    assert len(set(stories.values())) == 3  # the wire story, the own report, the mayor


def test_retrieval_reads_one_copy_and_the_citation_names_the_others(news):
    answer = news.pipeline.ask("How many steel cables of the harbour bridge were replaced?")
    copy_ids = {news.ids[s.slug] for _, _, s in COPIES}
    assert len({p.doc_id for p in answer.passages} & copy_ids) == 1
    assert answer.answer and "140" in answer.answer
    [cited] = [c for c in answer.citations if c.doc_id in copy_ids]
    others = {o.doc_id for o in cited.also_published_by}
    assert others == copy_ids - {cited.doc_id}
    assert {o.source for o in cited.also_published_by} <= {"The Daily Gull", "Heron Post", "Tern Times"}
    assert all(o.date in (dt.date(2025, 3, 3), dt.date(2025, 3, 4)) for o in cited.also_published_by)


def test_copies_count_once_even_when_all_are_read(news):
    pipeline = news.pipeline
    pipeline.retriever.one_copy_per_story = False
    try:
        answer = pipeline.ask("How many steel cables of the harbour bridge were replaced?", top_k=5)
    finally:
        pipeline.retriever.one_copy_per_story = True
    copy_ids = {news.ids[s.slug] for _, _, s in COPIES}
    assert len({p.doc_id for p in answer.passages} & copy_ids) >= 2
    assert len({c.doc_id for c in answer.citations} & copy_ids) >= 2, "each copy gave the same answer"
    assert answer.message.startswith("Answer found in 1 report (") and "of the same story" in answer.message, answer.message


def test_the_newest_evidence_wins_and_the_earlier_answer_is_listed(news):
    assert news.store.document("mayor-2022").date == dt.date(2022, 5, 10), "dated from its dateline"
    answer = news.pipeline.ask("Who is the mayor of Kestrel?")
    assert answer.answer and "Marrow" in answer.answer
    assert answer.date == dt.date(2025, 2, 3) and "2025-02-03" in answer.message
    [earlier] = answer.earlier
    assert "Kierny" in earlier.answer and earlier.date == dt.date(2022, 5, 10)
    assert earlier.citations[0].doc_id == "mayor-2022" and "Earlier reports: " in answer.message


def test_an_archive_question_asked_as_of_a_day(news):
    question = "What did the Kestrel council approve last week?"
    first = news.pipeline.ask(question, as_of=dt.date(2025, 3, 14))
    assert (first.since, first.until) == (dt.date(2025, 3, 3), dt.date(2025, 3, 9))
    assert first.answer and "tram" in first.answer and first.date == dt.date(2025, 3, 5)
    later = news.pipeline.ask(question, as_of=dt.date(2025, 3, 20))
    assert later.answer and "parks" in later.answer
    explicit = news.pipeline.ask(question, as_of=dt.date(2025, 3, 20), filters=Filters(until=dt.date(2025, 3, 6)))
    assert explicit.until == dt.date(2025, 3, 6) and explicit.since is None, "explicit dates win"


def test_rag_eval_asks_each_line_as_of_its_own_day(news, tmp_path):
    """`rag eval` scores a line as a user asking on that line's `as_of` would have been answered:
    the same question, two days, two right answers; a line without one is asked today."""
    question = "Who is the mayor of Kestrel?"
    lines = [
        {"id": "in-2023", "question": question, "answers": ["Tomas Kierny"], "as_of": "2023-06-01", "doc_ids": ["mayor-2022"]},
        {"id": "in-2025", "question": question, "answers": ["Ilse Marrow"], "as_of": "2025-03-01"},
        {"id": "today", "question": question, "answers": ["Ilse Marrow"]},
    ]
    path = tmp_path / "as_of.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    results, problems = evaluate(load_testset(path), news.pipeline.answer)
    assert not problems
    assert {r.id: r.exact_match for r in results} == {"in-2023": 1.0, "in-2025": 1.0, "today": 1.0}, [r.predicted for r in results]
    assert results[0].gold_rank == 1, "in 2023 the 2025 report is not evidence"


@pytest.mark.parametrize("question", ["Who is the editor-in-chief of The Daily Gull?", "Who is the lighthouse keeper?"])
def test_a_fact_only_in_the_page_chrome_gets_no_answer(news, question):
    answer = news.pipeline.ask(question)
    assert answer.answer is None, answer.answer


def test_seed_articles_are_separate_stories_with_honest_dates(seed_services):
    docs = seed_services.store.documents()
    assert len(set(seed_services.store.stories(d.doc_id for d in docs).values())) == 5
    assert {d.doc_id: d.date for d in docs if d.date} == {
        "000_c7d228fbe93999e3": dt.date(2025, 9, 9),  # its header
        "003_dc648fb631336634": dt.date(2025, 9, 1),  # seeds/metadata.json: September 2025, from its text
        "004_c45d8345549db2a3": dt.date(2022, 1, 1),  # seeds/metadata.json: 2022, from who it names in office
    }, "only the dates the articles and their sidecar give; none guessed"
    answer = seed_services.pipeline.ask("Who is the US Treasury Secretary?")
    assert answer.answer and "Bessent" in answer.answer
    assert ("dated " + answer.date.isoformat() if answer.date else "undated") in answer.message


def test_a_range_from_time_words_keeps_undated_articles_an_explicit_one_does_not(seed_services):
    store = seed_services.store
    docs_of = lambda filters: {c.doc_id for c in store.chunks([int(i) for i in store.chunk_ids(filters)]).values()}  # noqa: E731
    after = dt.date(2025, 9, 10)  # the newest dated seed article is from the 9th
    dated = {d.doc_id for d in store.documents() if d.date}
    assert docs_of(Filters(since=after)) == set()
    assert docs_of(Filters(since=after, keep_undated=True)) == {d.doc_id for d in store.documents()} - dated
