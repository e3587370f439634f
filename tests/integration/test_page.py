"""The chat page in a real browser (Debian's chromium driven by Playwright) on a real server.

The corpus is the seeds plus one article whose title and text contain markup, to check
that the page shows it as text and never runs it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from rag.answer_text import band_label
from rag.service import Services
from rag.settings import Settings
from tests.support import SEEDS_DIR, running_server

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ANSWER_TIMEOUT_MS = 180_000

HOSTILE_ARTICLE = {
    "doc_id": "harbour-festival",
    "title": "Harbour festival <script>window.pwned = 1</script> opens",
    "date": "2025-09-12",
    "source": "test",
    "text": (
        "The harbour festival returned to the old port this weekend. "
        'The festival, advertised under the banner <script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">, '
        "was opened by the harbour master Ingrid Solheim on Friday evening. "
        "Organisers expect forty thousand visitors over three days."
    ),
}

WIRE = (
    "Volunteers in Skarvik finished restoring the lamp of the old lighthouse on Saturday, ninety years after it was "
    "first lit. The restoration was led by the glassmaker Oona Brekke, who rebuilt the lens from 212 salvaged prisms. "
    "The lighthouse will be open to visitors on Sundays from May, the harbour society said."
)
# one wire story run by two outlets, and a fact that changed between two dates
NEWS_ARTICLES = [
    {"doc_id": "skarvik-gull", "title": "Lighthouse lamp shines again", "date": "2025-03-03", "source": "The Daily Gull", "text": WIRE},
    {
        "doc_id": "skarvik-heron",
        "title": "Skarvik light restored",
        "date": "2025-03-04",
        "source": "Heron Post",
        "text": WIRE + " Heron Post readers can send us their photos of the lighthouse.",
    },
    {
        "doc_id": "skarvik-keeper-2022",
        "title": "New keeper",
        "date": "2022-06-01",
        "source": "The Daily Gull",
        "text": "The Skarvik harbour society appointed Lars Moen as keeper of the lighthouse on Wednesday.",
    },
    {
        "doc_id": "skarvik-keeper-2025",
        "title": "Keeper retires",
        "date": "2025-04-01",
        "source": "The Daily Gull",
        "text": "The Skarvik harbour society appointed Mette Dahl as keeper of the lighthouse on Monday, after Lars Moen retired.",
    },
    {
        "doc_id": "kestrel-ferry",
        "title": "Ferry talks bring five countries to Kestrel",
        "date": "2025-03-10",
        "source": "Valley Times",
        "text": "Delegations from Norway, Portugal, Ireland, Iceland and Denmark met in Kestrel on Friday to discuss a shared "
        "ferry route across the North Atlantic. The talks ended without a deal because Iceland asked for more time.",
    },
]


@pytest.fixture(scope="module")
def page_server(tmp_path_factory) -> str:
    corpus = tmp_path_factory.mktemp("page-corpus")
    for seed in SEEDS_DIR.iterdir():
        shutil.copy(seed, corpus / seed.name)
    (corpus / "harbour-festival.json").write_text(json.dumps(HOSTILE_ARTICLE))
    (corpus / "skarvik.json").write_text(json.dumps(NEWS_ARTICLES))
    settings = Settings(data_dir=tmp_path_factory.mktemp("page-data"))
    services = Services(settings)
    assert not services.ingestor.ingest_paths([corpus]).failed
    services.store.close()
    with running_server(settings) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, page_server, request):
    """A fresh tab on the chat page; its final state is saved as test-artifacts/<test>.png, pass or fail."""
    page = browser.new_page(viewport={"width": 1000, "height": 1100})
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(page_server)
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    page.close()
    assert dialogs == [], "a script from the data ran"


def _ask(page, question: str):
    """Type a question, send it, and wait for its turn to hold an answer (or not-found) card."""
    turns = page.locator("#conversation > li")
    n = turns.count()
    page.fill("#message", question)
    page.click("#send")
    card = turns.nth(n).locator(".answer")
    sync_api.expect(card).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    return turns.nth(n)


def _expect_cited_answer(turn) -> None:
    """The first citation: numbered, dated, closed until clicked, then the passage with the
    answer highlighted."""
    expect = sync_api.expect
    citation = turn.locator(".citation").first
    passage = citation.locator(".passage")
    expect(citation.locator(".cite-number")).to_have_text("[1]")
    expect(citation.locator(".cite-date")).to_have_text(re.compile(r"^(\d{4}-\d{2}-\d{2}|undated)$"))
    expect(passage).to_be_hidden()
    citation.locator("summary").click()
    expect(passage).to_be_visible()
    expect(passage.locator("mark")).to_have_text(turn.locator(".answer-text").inner_text())


def test_a_two_turn_conversation(page):
    expect = sync_api.expect
    first = _ask(page, "Who is the US Treasury Secretary?")
    expect(first.locator(".question")).to_have_text("Who is the US Treasury Secretary?")
    expect(first.locator(".answer-text")).to_contain_text("Bessent")
    expect(first.locator(".confidence")).to_contain_text("%")
    _expect_cited_answer(first)

    second = _ask(page, "Which TV programme did he speak on?")
    expect(second.locator(".rewritten")).to_contain_text("Scott Bessent")
    expect(second.locator(".answer-text")).to_contain_text(re.compile("meet the press", re.IGNORECASE))
    _expect_cited_answer(second)


def test_not_found_is_a_distinct_state(page):
    missing = _ask(page, "What is the capital of Australia?")
    sync_api.expect(missing.locator(".answer")).to_have_class(re.compile(r"\bnot-found\b"))
    sync_api.expect(missing.locator(".answer-text")).to_have_text("Not found in the corpus")
    sync_api.expect(missing.locator(".answer > .citations")).to_have_count(0)  # nothing is cited as an answer
    hints = missing.locator(".suggestion")  # the reader's best span below the threshold, if it had one
    if hints.count():
        sync_api.expect(hints.locator(".suggestion-label")).to_contain_text("not an answer")


def test_markup_in_questions_and_articles_is_shown_as_text(page):
    question = "Who opened the harbour festival <script>window.pwned = 3</script>?"
    turn = _ask(page, question)
    sync_api.expect(turn.locator(".question")).to_have_text(question)
    sync_api.expect(turn.locator(".answer-text")).to_contain_text("Ingrid Solheim")
    citation = turn.locator(".citation").first
    citation.locator("summary").click()
    sync_api.expect(citation.locator(".cite-title")).to_have_text(HOSTILE_ARTICLE["title"])
    sync_api.expect(citation.locator(".passage")).to_contain_text("<script>window.pwned = 1</script><img src=x")
    assert page.locator("#conversation script, #conversation img").count() == 0
    assert page.evaluate("window.pwned") is None


def test_dates_earlier_answers_and_other_outlets_are_shown(page):
    expect = sync_api.expect
    copy = _ask(page, "Who rebuilt the lens of the Skarvik lighthouse?")
    expect(copy.locator(".answer-text")).to_contain_text("Oona Brekke")
    expect(copy.locator(".answer-message")).to_contain_text(re.compile(r"dated 2025-03-0[34]"))
    copy.locator(".citation summary").first.click()
    expect(copy.locator(".cite-also").first).to_have_text(
        re.compile(r"^Also published by: (Heron Post \(2025-03-04\)|The Daily Gull \(2025-03-03\))$")
    )

    keeper = _ask(page, "Who did the Skarvik harbour society appoint as keeper of the lighthouse?")
    expect(keeper.locator(".answer-text")).to_contain_text("Mette Dahl")
    expect(keeper.locator(".answer-message")).to_contain_text("dated 2025-04-01. Earlier reports: Lars Moen (2022-06-01).")


def _fresh_ask(page, question: str):
    page.click("#new-conversation")
    return _ask(page, question)


def test_bands_are_labelled_as_the_cli_and_slack_label_them_and_the_newest_answer_is_above_the_input_bar(page, page_server):
    """One question per band; each card's label is the shared one for the band the API gives the
    same question; the newest answer is scrolled into view above the sticky input bar."""
    expect = sync_api.expect
    page.set_viewport_size({"width": 1000, "height": 600})  # three answers outgrow it
    seen = set()
    questions = (
        "Who is the President of the European Commission?",
        "Is India a major importer of Russian energy?",
        "What is the capital of Australia?",
    )
    for question in questions:
        turn = _ask(page, question)  # one conversation, so the page grows past the window
        with httpx.Client(base_url=page_server, timeout=ANSWER_TIMEOUT_MS / 1000) as client:
            reply = client.post("/v1/ask", json={"question": question}).json()
        expect(turn.locator(".band")).to_have_text(band_label(reply["confidence_band"]))
        seen.add(reply["confidence_band"])
    assert seen == {"answer", "possible", "none"}
    assert page.evaluate("document.documentElement.scrollHeight > window.innerHeight"), "the page did not outgrow the window"
    last = turn.bounding_box()
    bar = page.locator("footer").bounding_box()
    assert last is not None and bar is not None
    assert 0 <= last["y"] and last["y"] + last["height"] <= bar["y"] + 1, "the newest answer is under the input bar"


def test_a_list_answer_shows_each_item(page):
    turn = _fresh_ask(page, "Which countries sent delegations to the ferry talks?")
    sync_api.expect(turn.locator(".items > li")).to_have_count(5)
    sync_api.expect(turn.locator(".items > li").first).to_contain_text("Norway")
    sync_api.expect(turn.locator(".citation .cite-source").first).to_have_text("Valley Times")
    sync_api.expect(turn.locator(".citation .cite-title").first).to_have_text("Ferry talks bring five countries to Kestrel")


def test_a_paste_over_the_limit_is_kept_and_a_notice_says_so(page):
    expect = sync_api.expect
    box, notice, send = page.locator("#message"), page.locator("#length-notice"), page.locator("#send")
    expect(notice).to_be_hidden()
    box.fill("x" * 5000)
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("5,000 characters; the limit is 2,000")
    expect(send).to_be_disabled()
    assert len(box.input_value()) == 5000, "the paste was cut"
    box.fill("Who is the US Treasury Secretary?")
    expect(notice).to_be_hidden()
    expect(send).to_be_enabled()


def test_enter_sends_and_leaves_the_box_empty(page):
    turns = page.locator("#conversation > li")
    page.fill("#message", "Who is the US Treasury Secretary?")
    page.press("#message", "Enter")
    sync_api.expect(turns.first.locator(".answer")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    sync_api.expect(page.locator("#message")).to_have_value("")


def test_a_question_is_asked_as_of_the_users_own_day(browser, page_server):
    """The page sends the browser's local day as `as_of`: in Kiritimati (UTC+14) that is the server's tomorrow
    for ten hours of every day, and a newsroom there asks about its own today."""
    zone = "Pacific/Kiritimati"
    context = browser.new_context(timezone_id=zone)
    page = context.new_page()
    try:
        page.goto(page_server)
        before = dt.datetime.now(ZoneInfo(zone)).date()
        page.fill("#message", "Who is the US Treasury Secretary?")
        with page.expect_request(lambda r: r.url.endswith("/v1/chat") and r.method == "POST") as sent:
            page.click("#send")
        after = dt.datetime.now(ZoneInfo(zone)).date()
        assert sent.value.post_data_json["as_of"] in {before.isoformat(), after.isoformat()}
        sync_api.expect(page.locator("#conversation > li").first.locator(".answer")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    finally:
        context.close()


def test_the_api_docs_render_without_internet(browser, page_server):
    """/docs with every request off this machine refused: Swagger UI comes from our own server."""
    page = browser.new_page()
    off_machine: list[str] = []
    page.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), lambda route: (off_machine.append(route.request.url), route.abort()))
    page.goto(f"{page_server}/docs")
    sync_api.expect(page.locator(".swagger-ui .info .title")).to_contain_text("rag-news", timeout=60_000)
    sync_api.expect(page.locator(".opblock-summary-path").first).to_be_visible()
    page.close()
    assert off_machine == []
