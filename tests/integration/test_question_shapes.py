"""Question shapes on a real index (real models, SQLite, FAISS) over three articles written for
these tests: lists, yes/no, why, and on-topic questions the articles cannot answer (among them a
"when will" question beside the years of what already happened)."""

from __future__ import annotations

import pytest

from index.sentences import sentence_spans
from index.store import Filters

BRIDGE = """date 2025-03-04
title: Kestrel council votes to rebuild the Alder Bridge
source: Harbour Gazette

The council of Kestrel voted on Monday to rebuild the Alder Bridge, the town's only road link to the port.
The motion was backed by councillors Mara Quill, Otto Brandt, Lena Forsythe and Samir Haddad. Councillor Ivo Renner voted against it.
The bridge was closed in January because engineers found deep cracks in two of its steel piers.
The rebuilding will cost 14 million euros, paid from a regional transport grant. Work starts in June and should end in 2027.
Shops near the port say they have lost a third of their customers since the closure.
"""

FERRY = """date 2025-03-10
title: Ferry talks bring five countries to Kestrel
source: Valley Times

Delegations from Norway, Portugal, Ireland, Iceland and Denmark met in Kestrel on Friday to discuss a shared ferry route across the North Atlantic.
The talks ended without a deal because Iceland asked for more time to study the costs of the new terminals.
The ministers agreed to meet again in September in Lisbon. The route has not been approved yet, officials said.
Kestrel's harbour master, Petra Solberg, said the port could take the larger ships after dredging.
"""

# a question about what will happen that the article cannot answer, beside years of what happened
MUSEUM = """date 2025-05-20
title: Brekkvik maritime museum stays shut
source: Harbour Gazette

The Brekkvik maritime museum, opened in 1998, has been closed since a storm flooded its ground floor in 2024.
Its director, Hanna Lindqvist, said on Tuesday that repairs to the roof and the archive are under way.
The town council has not set a date for the museum to reopen.
"""


@pytest.fixture(scope="module")
def kestrel(tmp_path_factory):
    from rag.service import Services
    from rag.settings import Settings

    corpus = tmp_path_factory.mktemp("kestrel")
    (corpus / "bridge.txt").write_text(BRIDGE)
    (corpus / "ferry.txt").write_text(FERRY)
    (corpus / "museum.txt").write_text(MUSEUM)
    services = Services(Settings(data_dir=corpus / "data"))
    assert not services.ingestor.ingest_paths([corpus]).failed
    return services


def _cited(services, citation) -> str:
    return services.store.document(citation.doc_id, citation.collection).text[citation.start : citation.end]


def _is_one_sentence_of(services, citation, text: str) -> bool:
    article = services.store.document(citation.doc_id, citation.collection).text
    return (citation.start, citation.end) in sentence_spans(article) and article[citation.start : citation.end] == text


@pytest.mark.parametrize(
    ("question", "doc_id", "expected"),
    [
        (
            "Which countries sent delegations to the ferry talks?",
            "ferry",
            ["Norway", "Portugal", "Ireland", "Iceland", "Denmark"],
        ),
        (
            "Which councillors backed the motion to rebuild the Alder Bridge?",
            "bridge",
            ["Mara Quill", "Otto Brandt", "Lena Forsythe", "Samir Haddad"],
        ),
    ],
)
def test_a_list_question_gets_every_item_each_cited(kestrel, question, doc_id, expected):
    answer = kestrel.pipeline.ask(question)
    assert answer.shape == "list" and answer.confidence_band == "answer"
    assert [i.text for i in answer.items] == expected
    assert answer.answer == "; ".join(expected)
    for item in answer.items:
        assert item.citation.doc_id == doc_id and _cited(kestrel, item.citation) == item.text
    assert [c.start for c in answer.citations] == [i.citation.start for i in answer.items]


@pytest.mark.parametrize(
    ("question", "deciding"),
    [
        ("Has the ferry route been approved?", "has not been approved"),
        ("Did Ivo Renner vote for the Alder Bridge motion?", "Ivo Renner voted against"),
    ],
)
def test_a_yes_no_question_gets_the_deciding_sentence_cited_and_no_made_up_verdict(kestrel, question, deciding):
    answer = kestrel.pipeline.ask(question)
    assert answer.shape == "yes_no" and answer.answer is not None
    assert deciding in answer.answer
    assert _is_one_sentence_of(kestrel, answer.citations[0], answer.answer)
    assert not answer.answer.lower().startswith(("yes", "no"))


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("Why was the Alder Bridge closed?", "because engineers found deep cracks"),
        ("Why did the ferry talks end without a deal?", "because Iceland asked for more time"),
    ],
)
def test_a_why_question_gets_the_sentence_giving_the_reason(kestrel, question, reason):
    answer = kestrel.pipeline.ask(question)
    assert answer.shape == "reason" and answer.answer is not None and reason in answer.answer
    assert _is_one_sentence_of(kestrel, answer.citations[0], answer.answer)


@pytest.mark.parametrize(
    "question",
    [
        "How much will the ferry route cost?",
        "How many passengers will the ferry carry?",
        # without the future-time rule: "1998", the year it opened, at 0.91
        "When will the Brekkvik maritime museum reopen?",
    ],
)
def test_an_on_topic_question_the_articles_cannot_answer_is_never_in_the_answer_band(kestrel, question):
    answer = kestrel.pipeline.ask(question)
    assert answer.confidence_band != "answer"
    if answer.confidence_band == "none":
        assert answer.answer is None and answer.citations == []


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("When will the rebuilding of the Alder Bridge end?", "2027"),  # a year after the report
        ("When will the ministers meet again?", "September"),  # a time the report does not place in a year
        ("When did the Brekkvik maritime museum open?", "1998"),  # the past, asked about the past
    ],
)
def test_a_when_question_keeps_the_times_that_can_answer_it(kestrel, question, expected):
    answer = kestrel.pipeline.ask(question)
    assert answer.confidence_band == "answer" and answer.answer is not None and expected in answer.answer


def test_a_plain_question_keeps_its_short_span_and_band(kestrel):
    answer = kestrel.pipeline.ask("Who is the harbour master of Kestrel?")
    assert (answer.shape, answer.confidence_band, answer.answer) == ("fact", "answer", "Petra Solberg")
    assert _cited(kestrel, answer.citations[0]) == "Petra Solberg"


def test_a_filter_that_leaves_nothing_is_named(kestrel):
    afp = kestrel.pipeline.ask("Who is the harbour master of Kestrel?", filters=Filters(sources=("AFP",)))
    assert afp.answer is None and afp.confidence_band == "none"
    assert "source AFP" in afp.message and "empty" not in afp.message
    both = kestrel.pipeline.ask("Who is the harbour master?", filters=Filters(sources=("Harbour Gazette",), doc_ids=("ferry",)))
    assert "all the filters at once" in both.message
