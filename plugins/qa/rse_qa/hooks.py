"""Hook implementations of the Q&A plugin."""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request

from rse_core import (
    N_,
    EvidenceKind,
    ExportTable,
    NavItem,
    Permission,
    SpaceTab,
    access,
    current_user,
    excerpt,
    followed,
    hookimpl,
    principals,
    render_fragment,
    runtime,
)

from . import api, questions, views
from .demo import load_demo
from .models import Answer, ExpertRequest, Question, Vote


@hookimpl
def rse_routes(settings):
    """The lists, the ask form and its suggestions, a question's page and its forms."""
    return list(views.PAGE_ROUTES)


@hookimpl
def rse_api_routes(settings):
    """The Q&A API under /api/v1/qa."""
    return list(api.API_ROUTES)


@hookimpl
def rse_evidence_kinds():
    """What questions and answers say about who knows their tags."""
    return [
        EvidenceKind(questions.TYPE, N_("question asked"), N_("questions asked"), 0.3),
        EvidenceKind("qa.answer", N_("answer"), N_("answers"), 2.0),
        EvidenceKind("qa.accepted", N_("accepted answer"), N_("accepted answers"), 5.0),
        EvidenceKind("qa.upvote", N_("vote for an answer"), N_("votes for answers"), 1.0),
    ]


@hookimpl
def rse_evidence(session, items):
    """Who answered these questions, which answer was accepted, who voted for them."""
    return questions.evidence(session, items)


@hookimpl
def rse_permissions():
    """Asking questions (every employee company-wide; in a space, its members)."""
    return [Permission("qa.ask", "Ask questions", default_roles=("everyone",))]


@hookimpl
def rse_nav_items(request: Request):
    """A "Questions" entry in the header."""
    return [NavItem("Questions", "/qa", order=35)]


@hookimpl
def rse_space_tabs(request: Request, space):
    """A space's questions."""
    return [SpaceTab("Questions", f"/qa/spaces/{space.slug}", order=45)]


@hookimpl
def rse_render_activity(request: Request, entry):
    """A question in the stream: its title and the start of its text (no query per entry)."""
    if entry.content.type != questions.TYPE:
        return None
    return render_fragment(
        request, "qa/entry.html", {"entry": entry, "teaser": excerpt(entry.content.summary, 280)}
    )


@hookimpl
def rse_home_widgets(request: Request):
    """Unanswered questions in the reader's spaces and the tags they follow."""
    with runtime(request).db.read() as session:
        tags = [t[4:] for t in followed(session, current_user(request).id) if t.startswith("tag:")]
        rows = questions.waiting_for(
            session, principals(request), list(access(request).roles), tags
        )
    return [render_fragment(request, "qa/widget.html", {"rows": rows})]


@hookimpl
def rse_demo_data(session, settings):
    """Questions in French and English, answered, voted and accepted, and one waiting."""
    load_demo(session)


@hookimpl
def rse_content_types():
    """The names search shows for this plugin's items."""
    return {questions.TYPE: "Question"}


@hookimpl
def rse_personal_data(session, user):
    """The person's answers, the answers they voted for, the experts they asked."""
    answers = session.execute(
        select(Answer, Question.title)
        .join(Question, Question.id == Answer.question_id)
        .where(Answer.author_id == user.id)
        .order_by(Answer.id)
    )
    votes = session.scalars(
        select(Question.title)
        .join(Answer, Answer.question_id == Question.id)
        .join(Vote, Vote.answer_id == Answer.id)
        .where(Vote.user_id == user.id)
    )
    asked = session.scalars(
        select(Question.title)
        .join(ExpertRequest, ExpertRequest.question_id == Question.id)
        .where(ExpertRequest.asker_id == user.id)
    )
    return {
        "answers": [
            {
                "question": title,
                "body": a.body,
                "created_at": a.created_at.isoformat(),
                "deleted_at": a.deleted_at.isoformat() if a.deleted_at else None,
            }
            for a, title in answers
        ],
        "voted_for_answers_to": sorted(votes),
        "asked_experts_about": sorted(asked),
    }


@hookimpl
def rse_export_tables() -> list[ExportTable]:
    """Questions, answers, votes and experts asked."""
    return [
        ExportTable("qa_question"),
        ExportTable("qa_answer"),
        ExportTable("qa_vote"),
        ExportTable("qa_expert_request"),
    ]
