"""Answers as of a day, on a real index with the real models: a question that recurs every year
answered differently in 2022, 2024 and 2026 (plus an undated copy), two roles in two articles,
and the seeds' European Council president."""

from __future__ import annotations

import datetime as dt

import pytest

from rag.question import Question
from rag.service import Services
from rag.settings import Settings
from rag.types import Answer

FINALS = {
    "final-2022": ("2022-06-20", "Gullhaven Rovers"),
    "final-2024": ("2024-06-17", "Port Ellery Athletic"),
    "final-2026": ("2026-06-22", "Kestrel United"),
}
ARTICLE = (
    "date {date}\ntitle: Harbour Cup final\n\n"
    "The {year} Harbour Cup final was won by {winner} on Sunday, who beat the holders 2-1 in front of 9,000 fans "
    "at the coast stadium. The captain of {winner} lifted the trophy after a late header decided the match.\n"
)
ROLES = {
    "harbourmaster-2024": (
        "date 2024-03-01\ntitle: Quay closed\n\n"
        "Mara Quint, the harbourmaster of Port Ellery, closed the north quay on Friday after storm damage to its "
        "moorings. The harbourmaster said ships would use the south quay until repairs were done.\n"
    ),
    "port-authority-2025": (
        "date 2025-05-02\ntitle: Terminal opens\n\n"
        "Jon Brask, chief of the Port Ellery port authority, opened the new ferry terminal on Thursday. The port "
        "authority chief said the terminal would double the number of ferry crossings each day.\n"
    ),
}


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Services:
    corpus = tmp_path_factory.mktemp("archive-corpus")
    for doc_id, (date, winner) in FINALS.items():
        (corpus / f"{doc_id}.txt").write_text(ARTICLE.format(date=date, year=date[:4], winner=winner), encoding="utf-8")
    # the 2024 report again, as a site that states no date copied it
    undated = ARTICLE.format(date="", year="2024", winner=FINALS["final-2024"][1]).split("\n", 1)[1]
    (corpus / "final-2024-undated.txt").write_text("Republished. " + undated, encoding="utf-8")
    for doc_id, text in ROLES.items():
        (corpus / f"{doc_id}.txt").write_text(text, encoding="utf-8")
    services = Services(Settings(data_dir=tmp_path_factory.mktemp("archive-data"), one_copy_per_story=False))
    report = services.ingestor.ingest_paths([corpus])
    assert not report.failed and len(report.added) == 6
    return services


def evidence_dates(answer: Answer) -> list[dt.date | None]:
    cited = [c.date for c in answer.citations] + [c.date for e in answer.earlier for c in e.citations]
    return cited + [e.date for e in answer.earlier] + [answer.date] + [p.date for p in answer.passages]


@pytest.mark.parametrize("as_of", [dt.date(2022, 7, 1), dt.date(2024, 7, 1), dt.date(2026, 7, 1)])
@pytest.mark.parametrize("question", ["Who won the Harbour Cup final?", "Who won the {year} Harbour Cup final?"])
def test_nothing_dated_after_as_of_is_read_cited_or_listed(archive, as_of, question):
    answer = archive.pipeline.answer(Question(question.format(year=as_of.year), as_of))
    assert all(d is None or d <= as_of for d in evidence_dates(answer)), answer.model_dump_json(indent=1)
    assert all(p.doc_id != "final-2026" for p in answer.passages) or as_of.year == 2026
    assert answer.answer is not None
    if answer.date is None:
        assert "undated" in answer.message, "an undated answer says so"


@pytest.mark.parametrize(("year", "winner"), [("2022", "Gullhaven Rovers"), ("2024", "Port Ellery Athletic")])
def test_a_named_year_gets_that_years_answer_not_the_newest(archive, year, winner):
    answer = archive.pipeline.answer(Question(f"Who won the {year} Harbour Cup final?", dt.date(2026, 12, 1)))
    assert answer.answer == winner, answer.message


def test_as_of_each_year_the_newest_final_then_is_the_answer(archive):
    for as_of, winner in ((dt.date(2022, 7, 1), "Gullhaven Rovers"), (dt.date(2026, 7, 1), "Kestrel United")):
        answer = archive.pipeline.answer(Question("Who won the Harbour Cup final?", as_of))
        assert answer.answer == winner, (as_of, answer.message)


def test_two_roles_in_two_articles_stay_apart(archive):
    answer = archive.pipeline.answer(Question("Who is the harbourmaster of Port Ellery?", dt.date(2026, 1, 1)))
    assert answer.answer == "Mara Quint", answer.message
    assert "Jon Brask" not in [e.answer for e in answer.earlier]
    chief = archive.pipeline.answer(Question("Who is the chief of the Port Ellery port authority?", dt.date(2026, 1, 1)))
    assert chief.answer == "Jon Brask"
    assert "Mara Quint" not in [e.answer for e in chief.earlier]


def test_the_seeds_name_the_current_european_council_president_and_the_earlier_one(seed_services):
    answer = seed_services.pipeline.answer(Question("Who is the President of the European Council?", dt.date(2026, 12, 1)))
    assert answer.answer is not None and "Costa" in answer.answer, answer.message
    assert any("Michel" in e.answer for e in answer.earlier), answer.message
