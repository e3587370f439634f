"""SQuAD v1.1: loading, the by-article split, and the official answer scoring.

Scoring lives here (not in eval/) because training needs it too, to calibrate the
no-answer threshold and to report held-out EM/F1; eval/ imports it, so there is one
definition of "correct" in the whole project.
"""

from __future__ import annotations

import collections
import gzip
import json
import re
import string
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from index.errors import RagError


@dataclass(frozen=True)
class SquadQuestion:
    id: str
    question: str
    context: str
    answers: tuple[str, ...]
    answer_start: int  # of the first answer, in context; -1 when the paragraph does not answer it
    title: str


class SquadFormatError(RagError, ValueError):
    """A file that is not SQuAD v1.1 layout, said with the file's name and what is wrong."""

    exit_code = 2  # bad input: nothing was touched


def _read_json(path: Path) -> dict:
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if n.endswith(".json")]
            if not names:
                raise SquadFormatError(f"{path}: the zip holds no .json file")
            return json.loads(zf.read(names[0]))
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return json.load(f)
    return json.loads(path.read_text(encoding="utf-8"))


def load_squad(path: Path) -> list[SquadQuestion]:
    """Read a SQuAD-layout file (`.json`, `.json.gz` or `.zip`) into flat question records."""
    try:
        raw = _read_json(path)
        return list(_questions(raw))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, zipfile.BadZipFile, EOFError) as exc:
        raise SquadFormatError(f"{path}: cannot read it as SQuAD JSON ({exc})") from None
    except (KeyError, TypeError, IndexError) as exc:
        raise SquadFormatError(f"{path}: not SQuAD v1.1 layout (data/paragraphs/qas/answers), missing {exc}") from None


def _questions(raw: dict) -> Iterator[SquadQuestion]:
    """Flat records; a question with an empty answer list is unanswerable from its paragraph
    (SQuAD 2.0's convention, which the news set uses for its negatives)."""
    for article in raw["data"]:
        for para in article["paragraphs"]:
            for qa in para["qas"]:
                answers = qa["answers"]
                yield SquadQuestion(
                    id=qa["id"],
                    question=qa["question"],
                    context=para["context"],
                    answers=tuple(a["text"] for a in answers),
                    answer_start=answers[0]["answer_start"] if answers else -1,
                    title=article.get("title") or "",
                )


# the rebuilt SQuAD 2.0 dev's split (datasets README): its first 17 titles are the calibration half, fit there;
# the other 18 the evaluation half, report there
SQUAD2_CALIBRATION_TITLES = 17


def split_by_article(questions: list[SquadQuestion], n_heldout: int = 10) -> tuple[list[SquadQuestion], list[SquadQuestion]]:
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


# typographic punctuation as the ASCII the official normalisation removes: news is set with curly
# quotes and apostrophes, and "“Harbour Lights”" and "Harbour Lights" are one answer
_TYPOGRAPHY = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'", "–": "-", "—": "-"})


def plain_punctuation(text: str) -> str:
    """`text` with its typographic quotes, apostrophes and dashes in ASCII. The news figures
    (`rag eval`) score answers this way; the SQuAD figures keep the official normalisation alone,
    so that they compare with published ones."""
    return text.translate(_TYPOGRAPHY)


def answer_key(text: str) -> str:
    """What two answers share when they are the same answer, whatever their punctuation is set in."""
    return normalize_answer(plain_punctuation(text))


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


def best_over_golds(metric: Callable[[str, str], float], prediction: str, golds: Sequence[str]) -> float:
    """SQuAD takes the maximum of a metric over all acceptable answers."""
    return max(metric(prediction, g) for g in golds)
