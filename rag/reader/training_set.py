"""The whole reader training set in one fixed, seeded order, and the pairs each question is trained on.

On a 2-core CPU an epoch of it takes days, so training runs in resumable slices
(`rag train-reader --resume`): a slice only has to know where the previous one stopped (a cursor into
this order) for the run as a whole to see every question once, none twice, whatever the slice sizes.
That only holds if the order and each question's negatives depend on nothing but the seed and the
question's position, so both are derived from those alone here.

Held-out titles: the 10 SQuAD train articles the head-start checkpoint reader-mpnet-20k held out
(`../shared/checkpoints/README.md`): neither it nor, as far as is recorded, the shipped reader trained on
them, so every starting point is scored on text it has not seen.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, replace
from pathlib import Path

from rag.reader.calibrate import without_answer
from rag.reader.squad import SquadQuestion, load_squad

HELDOUT_TITLES = (
    "2008_Summer_Olympics_torch_relay",
    "Adolescence",
    "American_Idol",
    "Annelid",
    "Armenia",
    "Boston",
    "Canon_law",
    "Cardinal_(Catholicism)",
    "Child_labour",
    "Comprehensive_school",
)

Pair = tuple[str, str, int | None, str | None]  # (question, context, answer_start, answer_text); None: no answer


@dataclass(frozen=True)
class NegativeMix:
    """Per answerable question, the chance of each kind of no-answer pair beside it."""

    easy: float = 0.3  # another article's paragraph: off topic, the kind the shipped reader learned from
    cut_out: float = 0.25  # its own paragraph minus every sentence that holds the answer
    same_article: float = 0.25  # another paragraph of its own article that does not hold the answer
    swapped: float = 0.0  # the question with a name, year or number swapped for one its paragraph lacks (`swapped_question`)

    @property
    def pairs_per_question(self) -> float:
        return 1 + self.easy + self.cut_out + self.same_article + self.swapped


@dataclass(frozen=True)
class TrainingSet:
    order: list[SquadQuestion]  # every training question, in the run's one fixed order
    heldout: list[SquadQuestion]
    contexts_by_title: dict[str, list[str]]
    titles: list[str]


def _tydi_questions(path: Path) -> list[SquadQuestion]:
    """TyDi articles carry no title; each gets one of its own so that "another article" means something."""
    ids: dict[str, int] = {}
    return [replace(q, title=f"tydi-{ids.setdefault(q.context, len(ids)):05d}") for q in load_squad(path)]


def load_training_set(
    squad_path: Path, tydi_path: Path | None, flags_path: Path | None, seed: int, heldout_titles: tuple[str, ...] = HELDOUT_TITLES
) -> TrainingSet:
    """SQuAD v1.1 train (flagged ids dropped) and TyDi-en train, held-out titles set aside, the rest shuffled once by `seed`."""
    flagged: set[str] = set()
    if flags_path is not None:
        flagged = {qid for ids in json.loads(flags_path.read_text()).values() for qid in ids}
    questions = [q for q in load_squad(squad_path) if q.id not in flagged and q.answers]
    if tydi_path is not None:
        questions += [q for q in _tydi_questions(tydi_path) if q.answers]
    held = set(heldout_titles)
    train = [q for q in questions if q.title not in held]
    random.Random(seed).shuffle(train)
    contexts_by_title: dict[str, list[str]] = {}
    for q in train:
        contexts = contexts_by_title.setdefault(q.title, [])
        if q.context not in contexts:
            contexts.append(q.context)
    return TrainingSet(
        order=train,
        heldout=[q for q in questions if q.title in held],
        contexts_by_title=contexts_by_title,
        titles=sorted(contexts_by_title),
    )


def same_article_paragraph(q: SquadQuestion, contexts: list[str], rng: random.Random) -> str | None:
    others = [c for c in contexts if c != q.context and not any(a in c for a in q.answers)]
    return rng.choice(others) if others else None


# what a question is anchored to its paragraph by: years, other numbers, and runs of capitalised words
_ANCHOR_KINDS = {
    "year": re.compile(r"\b1[0-9]{3}\b|\b20[0-9]{2}\b"),
    "number": re.compile(r"\b(?!1[0-9]{3}\b|20[0-9]{2}\b)[0-9][0-9,.]*[0-9]\b|\b[0-9]\b"),
    "name": re.compile(r"\b[A-Z][\w-]+(?: (?:of |the |de |van |von )?[A-Z][\w-]+)*"),
}
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"“(]\s*)$")
# capitalised at the start of a sentence, not names: dropped from the front of a run ("In Alaska" -> "Alaska")
_NOT_NAMES = frozenset(
    "A An The In On At By For From To Of As With After Before During Since Under Over Between What Which Who Whom Whose "
    "When Where Why How This That These Those It Its His Her Their Our Many Some Most Other And But Or Is Was Were Did Does Do".split()
)


def _anchors(text: str, kind: str) -> list[str]:
    """A one-word name that starts a sentence is left out: "What", "Although" and "Teletype" are capitalised there
    whatever they are."""
    found = []
    for m in _ANCHOR_KINDS[kind].finditer(text):
        words = m.group().split(" ")
        if kind == "name":
            lead = 0
            while lead < len(words) and words[lead] in _NOT_NAMES:
                lead += 1
            words = words[lead:]
            if not words or (lead == 0 and len(words) == 1 and _SENTENCE_START.search(text[: m.start()])):
                continue
        found.append(" ".join(words))
    return found


def swapped_question(q: SquadQuestion, contexts: list[str], rng: random.Random) -> str | None:
    """The question with one of its names, years or numbers that its paragraph contains swapped for one of
    the same kind that only another paragraph of its article contains: still on topic, no longer answerable
    from its own paragraph. It is the commonest way SQuAD 2.0's writers made a question look answerable
    ("entity swap"), which cut-out paragraphs do not teach: there the question is intact and the paragraph
    changes; here the paragraph is intact and the question asks for something it does not say."""
    others = [c for c in contexts if c != q.context]
    options = []
    for kind in _ANCHOR_KINDS:
        mine = sorted({a for a in _anchors(q.question, kind) if a in q.context})
        if not mine:  # nothing of this kind to swap: no need to read the other paragraphs for it
            continue
        theirs = sorted({a for c in others for a in _anchors(c, kind) if a not in q.context and a.lower() not in q.question.lower()})
        # a name for a name of as many words: "Kanye" becomes another one-word name, not "Institute of Education"
        options += [(a, b) for a in mine for b in theirs if kind != "name" or a.count(" ") == b.count(" ")]
    if not options:
        return None
    old, new = rng.choice(options)
    swapped = re.sub(rf"\b{re.escape(old)}\b", lambda _: new, q.question, count=1)  # "Alaska", not the start of "Alaskan"
    return swapped if swapped != q.question else None  # never the answerable question labelled unanswerable


def pairs_for(data: TrainingSet, position: int, mix: NegativeMix, seed: int) -> list[Pair]:
    """The question at `position` with its answer, and the negatives drawn for it: the same for a
    given seed and position whichever slice reaches it."""
    q = data.order[position]
    rng = random.Random(f"{seed}:{position}")
    pairs: list[Pair] = [(q.question, q.context, q.answer_start, q.answers[0])]
    if rng.random() < mix.easy:
        other = rng.choice(data.titles)
        if other != q.title:
            pairs.append((q.question, rng.choice(data.contexts_by_title[other]), None, None))
    if rng.random() < mix.cut_out and (cut := without_answer(q)) is not None:
        pairs.append((q.question, cut, None, None))
    if rng.random() < mix.same_article and (same := same_article_paragraph(q, data.contexts_by_title[q.title], rng)) is not None:
        pairs.append((q.question, same, None, None))
    if rng.random() < mix.swapped and (swapped := swapped_question(q, data.contexts_by_title[q.title], rng)) is not None:
        pairs.append((swapped, q.context, None, None))  # drawn last: a run without it draws every other negative alike
    return pairs
