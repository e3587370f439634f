"use strict";
// The chat page: talks to POST /v1/chat and renders each answer with its citations.
// Every piece of text (questions, answers, article titles and passages) goes into the page
// through textContent or text nodes, never as markup: articles may contain "<script>".

const state = { conversationId: null, busy: false };

// The confidence bands, worded as the CLI and Slack word them (rag/policy.py BAND_LABELS).
const BAND_LABELS = {
  answer: "Answer",
  possible: "Possible answer (low confidence)",
  none: "Not found",
};

function byId(id) {
  return document.getElementById(id);
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function clamp(value, low, high) {
  return Math.min(Math.max(value, low), high);
}

// The server's offsets count code points (Python); JS strings count UTF-16 units, so the
// passage is sliced as an array of code points to keep the highlight on the answer.
function highlightedPassage(citation) {
  const chars = Array.from(citation.text);
  const from = clamp(citation.start - citation.snippet_start, 0, chars.length);
  const to = clamp(citation.end - citation.snippet_start, from, chars.length);
  const quote = el("blockquote", "passage");
  quote.append(
    chars.slice(0, from).join(""),
    el("mark", "answer-span", chars.slice(from, to).join("")),
    chars.slice(to).join(""),
  );
  return quote;
}

function citationItem(citation, number) {
  const details = el("details", "citation");
  const summary = el("summary");
  summary.append(
    el("span", "cite-number", `[${number}]`),
    " ",
    el("span", "cite-title", citation.title),
    " ",
    el("span", "cite-source", citation.source || "outlet not stated"),
    " · ",
    el("time", "cite-date", citation.date || "undated"),
  );
  const where = `${citation.doc_id} · characters ${citation.start}–${citation.end}`;
  details.append(summary, highlightedPassage(citation), el("p", "cite-meta", where));
  const copies = citation.also_published_by || [];
  if (copies.length) {
    const outlets = copies.map((o) => `${o.source || o.doc_id} (${o.date || "undated"})`).join(", ");
    details.append(el("p", "cite-also", `Also published by: ${outlets}`));
  }
  const item = el("li");
  item.append(details);
  return item;
}

function percent(confidence) {
  return `${Math.round(confidence * 100)}%`;
}

// Below the threshold the reader's best span is no answer, but it tells the user where to look:
// shown apart, marked as a hint, with its passage.
function suggestionBox(suggestion) {
  const box = el("aside", "suggestion");
  box.append(
    el("p", "suggestion-label", `Low-confidence hint, not an answer (confidence ${percent(suggestion.confidence)}):`),
    el("p", "suggestion-text", suggestion.text),
  );
  const where = el("ol", "citations");
  where.append(citationItem(suggestion.citation, 1));
  box.append(where);
  return box;
}

function bandLabel(answer) {
  return el("p", "band", BAND_LABELS[answer.confidence_band] || BAND_LABELS.none);
}

// A list question's items, each with the number of its citation.
function itemList(items) {
  const list = el("ul", "items");
  items.forEach((item, i) => {
    const entry = el("li", "item", item.text);
    entry.append(" ", el("span", "cite-number", `[${i + 1}]`));
    list.append(entry);
  });
  return list;
}

function answerCard(answer) {
  const card = el("article", `answer band-${answer.confidence_band || "none"}`);
  if (answer.answer === null) {
    card.classList.add("not-found");
    card.append(
      bandLabel(answer),
      el("p", "answer-text", "Not found in the corpus"),
      el("p", "answer-message", answer.message),
      el("span", "confidence", `confidence that the corpus does not say: ${percent(answer.confidence)}`),
    );
    if (answer.suggestion) card.append(suggestionBox(answer.suggestion));
  } else {
    const citations = el("ol", "citations");
    answer.citations.forEach((citation, i) => citations.append(citationItem(citation, i + 1)));
    const items = answer.items || [];
    card.append(
      bandLabel(answer),
      items.length ? itemList(items) : el("p", "answer-text", answer.answer),
      el("span", "confidence", `confidence ${percent(answer.confidence)}`),
      el("p", "answer-message", answer.message),
      citations,
    );
  }
  if (answer.query !== answer.question) {
    card.append(el("p", "rewritten", `Searched for: ${answer.query}`));
  }
  return card;
}

function errorText(response, body) {
  const said = body && (body.error || (typeof body.detail === "string" ? body.detail : null));
  if (response.status === 401) return `${said || "unauthorised"}: enter the API key below`;
  return said || `the server answered ${response.status}`;
}

function localDay(now = new Date()) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

async function postChat(message) {
  const headers = { "Content-Type": "application/json" };
  const key = byId("api-key").value.trim();
  if (key) headers.Authorization = `Bearer ${key}`;
  // asked as of the user's own day: east of the server's time zone a new day starts before the server's does
  const body = { message, as_of: localDay() };
  if (state.conversationId) body.conversation_id = state.conversationId;
  const response = await fetch("/v1/chat", { method: "POST", headers, body: JSON.stringify(body) });
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    if (response.status === 404) state.conversationId = null; // expired: the next message starts afresh
    if (response.status === 401) byId("settings").open = true;
    throw new Error(errorText(response, data));
  }
  state.conversationId = data.conversation_id;
  return data;
}

// Brings a turn into view above the sticky input bar: its end when it fits, else its start
// (a long answer is read from the question down).
function reveal(turn) {
  const bar = document.querySelector("footer").getBoundingClientRect().height;
  const room = window.innerHeight - bar;
  turn.style.scrollMarginBottom = `${bar + 8}px`;
  turn.scrollIntoView({ block: turn.getBoundingClientRect().height + 8 <= room ? "end" : "start" });
}

async function ask(message) {
  const turn = el("li", "turn");
  const pending = el("p", "pending", "Searching the corpus…");
  turn.append(el("p", "question", message), pending);
  byId("conversation").append(turn);
  byId("empty-state").hidden = true;
  reveal(turn);
  try {
    pending.replaceWith(answerCard(await postChat(message)));
  } catch (error) {
    pending.replaceWith(el("p", "error", `Could not answer: ${error.message}`));
  }
  reveal(turn);
}

// The question limit is the server's (RAG_MAX_QUESTION_CHARS); a longer paste is not cut
// silently: the box keeps it, says by how much it is over, and Ask waits until it fits.
function maxChars() {
  return Number(byId("message").dataset.maxChars) || 2000;
}

function checkLength() {
  const length = byId("message").value.trim().length;
  const over = length > maxChars();
  const notice = byId("length-notice");
  notice.hidden = !over;
  notice.textContent = over
    ? `Your question is ${length.toLocaleString("en")} characters; the limit is ${maxChars().toLocaleString("en")}. Shorten it to ask.`
    : "";
  byId("send").disabled = over || state.busy;
  return !over;
}

async function onSubmit(event) {
  event.preventDefault();
  const box = byId("message");
  const message = box.value.trim();
  if (!message || state.busy || !checkLength()) return;
  state.busy = true;
  byId("send").disabled = true;
  box.value = "";
  try {
    await ask(message);
  } finally {
    state.busy = false;
    byId("send").disabled = false;
    box.focus();
  }
}

function newConversation() {
  state.conversationId = null;
  byId("conversation").replaceChildren();
  byId("empty-state").hidden = false;
  byId("message").focus();
}

document.addEventListener("DOMContentLoaded", () => {
  byId("ask-form").addEventListener("submit", onSubmit);
  byId("new-conversation").addEventListener("click", newConversation);
  byId("message").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault(); // Enter sends; it must not leave a newline in the emptied box
      byId("ask-form").requestSubmit();
    }
  });
  byId("message").addEventListener("input", checkLength);
  byId("message").focus();
});
