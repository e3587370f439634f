"use strict";
// The chat page: talks to POST /v1/chat and renders each answer with its citations.
// Every piece of text (questions, answers, article titles and passages) goes into the page
// through textContent or text nodes, never as markup: articles may contain "<script>".

const state = { conversationId: null, busy: false };

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
    el("time", "cite-date", citation.date || "undated"),
  );
  const where = `${citation.source || citation.doc_id} · characters ${citation.start}–${citation.end}`;
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

function answerCard(answer) {
  const card = el("article", "answer");
  if (answer.answer === null) {
    card.classList.add("not-found");
    card.append(
      el("p", "answer-text", "Not found in the corpus"),
      el("p", "answer-message", answer.message),
      el("span", "confidence", `confidence that the corpus does not say: ${percent(answer.confidence)}`),
    );
    if (answer.suggestion) card.append(suggestionBox(answer.suggestion));
  } else {
    const citations = el("ol", "citations");
    answer.citations.forEach((citation, i) => citations.append(citationItem(citation, i + 1)));
    card.append(
      el("p", "answer-text", answer.answer),
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

async function postChat(message) {
  const headers = { "Content-Type": "application/json" };
  const key = byId("api-key").value.trim();
  if (key) headers.Authorization = `Bearer ${key}`;
  const body = { message };
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

async function ask(message) {
  const turn = el("li", "turn");
  const pending = el("p", "pending", "Searching the corpus…");
  turn.append(el("p", "question", message), pending);
  byId("conversation").append(turn);
  byId("empty-state").hidden = true;
  turn.scrollIntoView({ block: "end" });
  try {
    pending.replaceWith(answerCard(await postChat(message)));
  } catch (error) {
    pending.replaceWith(el("p", "error", `Could not answer: ${error.message}`));
  }
  turn.scrollIntoView({ block: "end" });
}

async function onSubmit(event) {
  event.preventDefault();
  const box = byId("message");
  const message = box.value.trim();
  if (!message || state.busy) return;
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
    if (event.key === "Enter" && !event.shiftKey) byId("ask-form").requestSubmit();
  });
  byId("message").focus();
});
