"""What the assessment pages show about each question, prepared once per page so that templates
run no queries and translate nothing per question."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, get_template_attribute, request, url_for
from markupsafe import Markup

from app.assessments.answers import State, earlier_answers
from app.frameworks import store
from app.frameworks.types import QuestionBase, ShowContext
from app.frameworks.words import human_size, language, localized, words
from app.i18n import datetime_utc
from app.models import Answer, Assessment, EvidenceFile
from app.scoring.explain import provision_label


def show_context(assessment: Assessment, state: State, files: list[EvidenceFile]) -> ShowContext:
    """Return what displays of this assessment's values need: indicator texts and files."""
    download = url_for(
        "assessments.download_evidence", assessment_id=assessment.id, public_id="__ID__"
    )
    return ShowContext(
        indicators=state.runtime.indicators,
        files={file.public_id: file for file in files},
        file_url=lambda public_id: download.replace("__ID__", public_id),
        upload_label=words().attach_label
        % {"size": human_size(current_app.config["EVIDENCE_MAX_BYTES"])},
    )


@dataclass(frozen=True)
class Article:
    """A provision a question evidences, as cited beside the question's label."""

    framework_id: str
    article: str
    #: The framework's abbreviation by language ("Budapest", "UN").
    names: dict[str, str]

    def label(self) -> str:
        return provision_label(localized(self.names), self.article)

    def url(self) -> str:
        return url_for("library.framework", framework_id=self.framework_id) + f"#p-{self.article}"


#: Per questionnaire version (content hash): question id -> the provisions it evidences.
_ARTICLES: dict[str, dict[str, tuple[Article, ...]]] = {}


def articles(version) -> dict[str, tuple[Article, ...]]:
    """Return the provisions each question of ``version`` evidences, in the order of the
    questionnaire's frameworks and of their articles (read once per process and version)."""
    found = _ARTICLES.get(version.content_hash)
    if found is not None:
        return found
    models = {row.framework_id: store.framework_model(row) for row in version.frameworks}
    questionnaire = store.questionnaire_model(version)
    rank = {framework_id: i for i, framework_id in enumerate(questionnaire.frameworks)}
    order = {
        (framework_id, provision.id): (rank.get(framework_id, len(rank)), i)
        for framework_id, model in models.items()
        for i, provision in enumerate(model.provisions)
    }
    found = {}
    for section in questionnaire.sections:
        for question in section.questions:
            refs = {tuple(ref.split(".", 1)[0].split(":")) for ref in question.evidences}
            refs = sorted((ref for ref in refs if ref in order), key=order.__getitem__)
            if refs:
                found[question.id] = tuple(
                    Article(fid, art, dict(models[fid].abbreviation or models[fid].short_title))
                    for fid, art in refs
                )
    _ARTICLES[version.content_hash] = found
    return found


@dataclass
class QuestionPage:
    """The per-page facts every question block reads."""

    assessment: Assessment
    answers: dict[str, Answer]
    visible: dict[str, bool]
    editable: bool
    show: ShowContext
    words: Any
    history: str
    language: str
    #: The ``question_block`` macro, looked up once per page.
    macro: Any = None
    #: A message shown next to a question's inputs (an upload's outcome): id -> (kind, text).
    notices: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: The provisions each question evidences (cited beside its label).
    articles: dict[str, tuple[Article, ...]] = field(default_factory=dict)
    #: For questions that replace earlier ones: the earlier questions and their answers.
    earlier: dict[str, list[tuple[QuestionBase, Any]]] = field(default_factory=dict)
    #: The reviewer's questions of the latest clarification round, by question id.
    asked: dict[str, list[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.macro = self.macro or _block_macro()

    @classmethod
    def build(
        cls,
        assessment: Assessment,
        state: State,
        files: list[EvidenceFile],
        *,
        editable: bool,
        questions: list[QuestionBase] | None = None,
    ) -> QuestionPage:
        """Return the page facts for ``assessment`` as ``state`` holds it; ``questions`` are
        those shown (their earlier answers, where they replace earlier questions, are read)."""
        return cls(
            assessment,
            state.answers,
            state.visible,
            editable,
            show_context(assessment, state, files),
            words(),
            url_for("assessments.answer_history", assessment_id=assessment.id, question_id="__Q__"),
            language(),
            articles=articles(assessment.questionnaire_version),
            earlier=earlier_answers(assessment, questions) if questions is not None else {},
            asked=_asked(assessment),
        )

    def block(self, question: QuestionBase, error=None, conflict=None, submitted=None) -> Markup:
        """Return a question's block: rendered by ``question_block``, or reused from the cache.

        A block shows nothing but the question (fixed by the questionnaire version), its answer
        (fixed by the answer's id, version and time of change), the page's language and whether
        the page is editable; a block with an error, a conflict or a value being re-submitted is
        always rendered afresh.
        """
        render = self.macro
        if (
            error is not None
            or conflict is not None
            or submitted is not None
            or question.id in self.notices
            or question.id in self.earlier
            or question.id in self.asked
        ):
            return render(question, self, error=error, conflict=conflict, submitted=submitted)
        answer = self.answers.get(question.id)
        key = (
            self.assessment.questionnaire_version.content_hash,
            self.assessment.id,
            question.id,
            self.language,
            self.editable,
            self.visible.get(question.id, True),
            request.script_root,
            None
            if answer is None
            else (
                answer.id,
                answer.version,
                answer.updated_at,
                answer.updated_by.display_name if answer.updated_by else None,
            ),
        )
        html = BLOCKS.get(key)
        if html is None:
            html = render(question, self)
            BLOCKS.put(key, html, current_app.config["QUESTION_CACHE_SIZE"])
        return html

    def history_url(self, question_id: str) -> str:
        """Return the address of an answer's history."""
        return self.history.replace("__Q__", question_id)

    def saved_by(self, answer: Answer) -> str:
        """Return "Last saved by NAME, WHEN"."""
        if answer.carried_over:
            return self.words["carried_from"]  # copied when the cycle opened, by no one here
        name = answer.updated_by.display_name if answer.updated_by else "—"
        return self.words["last_saved"] % {"name": name, "when": datetime_utc(answer.updated_at)}


def _asked(assessment: Assessment) -> dict[str, list[Any]]:
    """Return the latest round's questions to the country, by the question they are on (none
    before the first return to the country: no query then)."""
    from app.assessments.review import clarifications

    if assessment.review_started_at is None:
        return {}
    found: dict[str, list[Any]] = {}
    for item in clarifications(assessment):
        if item.latest and item.question_id:
            found.setdefault(item.question_id, []).append(item)
    return found


class BlockCache:
    """Rendered question blocks, the least recently used dropped first; shared by threads."""

    def __init__(self) -> None:
        self._items: OrderedDict[tuple, Markup] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Markup | None:
        """Return the block stored under ``key``, if any."""
        with self._lock:
            html = self._items.get(key)
            if html is not None:
                self._items.move_to_end(key)
            return html

    def put(self, key: tuple, html: Markup, size: int) -> None:
        """Keep ``html`` under ``key``, within ``size`` blocks (0 keeps nothing)."""
        if size <= 0:
            return
        with self._lock:
            self._items[key] = html
            self._items.move_to_end(key)
            while len(self._items) > size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        """Forget every block."""
        with self._lock:
            self._items.clear()


BLOCKS = BlockCache()


def _block_macro():
    return get_template_attribute("assessments/_questions.html", "question_block")
