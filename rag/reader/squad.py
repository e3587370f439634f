"""SQuAD v1.1: loading, the by-article split, and the official answer scoring.

Scoring lives here (not in eval/) because training needs it too, to calibrate the
no-answer threshold and to report held-out EM/F1; eval/ imports it, so there is one
definition of "correct" in the whole project.
"""

from __future__ import annotations

import collections
import json
import re
import string
import zipfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SquadQuestion:
    id: str
    question: str
    context: str
    answers: tuple[str, ...]
    answer_start: int  # of the first answer, in context
    title: str


def load_squad(path: Path) -> list[SquadQuestion]:
    """Read the official JSON, zipped or not, into flat question records."""
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as zf:
            name = next(n for n in zf.namelist() if n.endswith(".json"))
            raw = json.loads(zf.read(name))
    else:
        raw = json.loads(path.read_text(encoding="utf-8"))
    out: list[SquadQuestion] = []
    for article in raw["data"]:
        for para in article["paragraphs"]:
            for qa in para["qas"]:
                answers = tuple(a["text"] for a in qa["answers"])
                out.append(
                    SquadQuestion(
                        id=qa["id"],
                        question=qa["question"],
                        context=para["context"],
                        answers=answers,
                        answer_start=qa["answers"][0]["answer_start"],
                        title=article["title"],
                    )
                )
    return out


def split_by_article(
    questions: list[SquadQuestion], n_heldout: int = 10
) -> tuple[list[SquadQuestion], list[SquadQuestion]]:
    """Hold out whole articles (the alphabetically first ones) so no held-out text is seen in training."""
    titles = sorted({q.title for q in questions})
    heldout = set(titles[:n_heldout])
    train = [q for q in questions if q.title not in heldout]
    test = [q for q in questions if q.title in heldout]
    return train, test


def normalize_answer(text: str) -> str:
    """The official SQuAD normalisation: lower-case, no punctuation, no articles, single spaces."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def exact_match(prediction: str, gold: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(gold))


def f1_score(prediction: str, gold: str) -> float:
    pred_tokens = normalize_answer(prediction).split()
    gold_tokens = normalize_answer(gold).split()
    if not pred_tokens or not gold_tokens:
        return float(pred_tokens == gold_tokens)
    common = collections.Counter(pred_tokens) & collections.Counter(gold_tokens)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision = same / len(pred_tokens)
    recall = same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def best_over_golds(metric, prediction: str, golds: tuple[str, ...] | list[str]) -> float:
    """SQuAD takes the maximum of a metric over all acceptable answers."""
    return max(metric(prediction, g) for g in golds)
