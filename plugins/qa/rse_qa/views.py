"""Q&A pages: the lists (newest, unanswered, a tag's, a space's, mine), asking with similar
questions proposed while the title is typed, and a question with its answers, votes and the
accepted answer. Every form works without JavaScript; htmx only spares a page load."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from rse_core import (
    Space,
    User,
    ValidationError,
    access,
    can,
    current_user,
    explain_evidence,
    find_space,
    may_moderate,
    member_spaces,
    parse_id,
    people_and_spaces,
    principals,
    reading_page,
    render,
    render_fragment,
    render_markdown,
    render_social,
    runtime,
    search_visible,
    write,
)

from . import experts, questions
from .models import Question

PAGE = 20
FORM_FIELDS = ("title", "body", "tags", "space")


def _list_context(
    request: Request, session: Session, rows: list[Question], more: bool
) -> dict[str, Any]:
    authors, spaces = people_and_spaces(
        session, [q.author_id for q in rows], [q.space_id for q in rows]
    )
    return {
        "rows": rows,
        "authors": authors,
        "spaces": spaces,
        "next_before": rows[-1].id if more and rows else None,
    }


def _list_page(
    request: Request,
    *,
    tab: str,
    space: Space | None = None,
    mine: bool = False,
) -> Response:
    tag = (request.query_params.get("tag") or "").lstrip("#").lower()[:40] or None
    unanswered = tab == "unanswered"
    with runtime(request).db.read() as session:
        rows = questions.listing(
            session,
            principals(request),
            unanswered=unanswered,
            space_ids=[space.id] if space else None,
            author_id=current_user(request).id if mine else None,
            tags=[tag] if tag else (),
            before=parse_id(request.query_params.get("before")),
            limit=PAGE + 1,
        )
        more = len(rows) > PAGE
        context = _list_context(request, session, rows[:PAGE], more)
    return render(
        request,
        "qa/index.html",
        {**context, "tab": tab, "tag": tag, "space": space, "may_ask": _may_ask(request, space)},
    )


def _may_ask(request: Request, space: Space | None) -> bool:
    if space is None:
        return can(request, "qa.ask")
    return space.id in access(request).roles and can(request, "qa.ask", space)


@reading_page
def index(request: Request) -> Response:
    """GET /qa: the newest questions the reader may see (``?tag=`` one tag's)."""
    return _list_page(request, tab="newest")


@reading_page
def unanswered(request: Request) -> Response:
    """GET /qa/unanswered: questions nobody has answered yet, newest first."""
    return _list_page(request, tab="unanswered")


@reading_page
def mine(request: Request) -> Response:
    """GET /qa/mine: the questions the reader asked."""
    return _list_page(request, tab="mine", mine=True)


@reading_page
def space_questions(request: Request) -> Response:
    """GET /qa/spaces/{slug}: a space's questions (its tab)."""
    with runtime(request).db.read() as session:
        space = find_space(session, access(request), request.path_params["slug"])
    return _list_page(request, tab="space", space=space)


def _ask_form(
    request: Request, values: dict[str, Any], errors: dict[str, str], status_code: int = 200
) -> Response:
    with runtime(request).db.read() as session:
        spaces = member_spaces(request, session)
    similar = search_visible(request, values.get("title") or "", kind=questions.TYPE)
    return render(
        request,
        "qa/ask.html",
        {"values": values, "errors": errors, "spaces": spaces, "similar": similar},
        status_code=status_code,
    )


async def ask_page(request: Request) -> Response:
    """GET /qa/ask: the form (``?space=`` preselects a space, ``?title=`` starts the title)."""
    values = {k: request.query_params.get(k, "") for k in ("space", "title")}
    return _ask_form(request, values, {})


async def similar(request: Request) -> Response:
    """GET /qa/similar?title=: questions like the one being typed, that the reader may see
    (the ask form's live suggestions)."""
    title = (request.query_params.get("title") or "")[: questions.MAX_TITLE]
    hits = search_visible(request, title, kind=questions.TYPE)
    return HTMLResponse(str(render_fragment(request, "qa/similar.html", {"similar": hits})))


def _space_to_ask_in(request: Request, session: Session, slug: object) -> Space | None:
    if slug in (None, ""):
        if not can(request, "qa.ask"):
            raise ValidationError({"space": "You may not ask company-wide questions."})
        return None
    if not isinstance(slug, str):
        raise ValidationError({"space": "Give the space's address."})
    space = find_space(session, access(request), slug)
    if space.id not in access(request).roles or not can(request, "qa.ask", space):
        raise ValidationError({"space": "You can only ask in your spaces."})
    return space


async def create(request: Request) -> Response:
    """POST /qa/questions: the ask form."""
    form = await request.form()
    me = current_user(request)
    data = {k: form.get(k) for k in FORM_FIELDS if form.get(k) is not None}
    try:

        def run(session: Session) -> int:
            space = _space_to_ask_in(request, session, data.get("space"))
            fields = questions.clean(data, creating=True)
            return questions.ask(session, session.get(User, me.id), space, fields).id

        question_id = await write(request, run)
    except ValidationError as exc:
        return _ask_form(request, data, exc.fields, status_code=422)
    return RedirectResponse(f"/qa/questions/{question_id}", status_code=303)


def _question_context(request: Request, session: Session, question_id: int) -> dict[str, Any]:
    me = current_user(request)
    question, content = questions.readable(session, question_id, principals(request))
    rows = questions.answers(session, question)
    authors, spaces = people_and_spaces(
        session, [question.author_id, *(a.author_id for a in rows)], [question.space_id]
    )
    moderator = may_moderate(session, request, content, question.author_id)
    asker = question.author_id == me.id
    return {
        "experts": (
            experts.suggestions(session, question, content, me, principals(request))
            if asker
            else []
        ),
        "explain": lambda counts, gettext: explain_evidence(
            counts, runtime(request).evidence_kinds, gettext
        ),
        "question": question,
        "content": content,
        "answers": rows,
        "authors": authors,
        "space": spaces.get(question.space_id) if question.space_id else None,
        "voted": questions.my_votes(session, me.id, [a.id for a in rows]),
        "may_accept": question.author_id == me.id or moderator,
        "may_delete": moderator,
        "editable": question.author_id == me.id,
        "markdown": render_markdown,
    }


async def question_page(request: Request) -> Response:
    """GET /qa/questions/{id}: the question, its answers (the accepted one first, then by
    votes), the answer form, comments and likes."""
    with runtime(request).db.read() as session:
        context = _question_context(request, session, request.path_params["qa_question_id"])
    return render(
        request,
        "qa/question.html",
        {**context, "social": render_social(request, context["content"]), "errors": {}},
    )


async def change(request: Request) -> Response:
    """POST /qa/questions/{id}: ``action=answer`` (anyone who sees it), ``action=delete``
    (its author or a moderator of its space), ``action=ask_expert`` with ``expert`` (a
    suggested colleague's username; the asker only)."""
    form = await request.form()
    action = form.get("action")
    me = current_user(request)
    question_id = request.path_params["qa_question_id"]
    try:

        def run(session: Session) -> str:
            question, content = questions.readable(session, question_id, principals(request))
            if action == "answer":
                body = questions.clean_answer(form.get("body"))
                row = questions.answer(session, question, content, session.get(User, me.id), body)
                return f"{questions.question_url(question)}#answer-{row.id}"
            if action == "delete":
                if not may_moderate(session, request, content, question.author_id):
                    raise HTTPException(403)
                questions.remove(session, question)
                return "/qa"
            if action == "ask_expert":
                asker = session.get(User, me.id)
                expert = form.get("expert")
                experts.ask(session, question, content, asker, expert, principals(request))
                return f"{questions.question_url(question)}#experts"
            raise HTTPException(400, "action must be answer, ask_expert or delete")

        target = await write(request, run)
    except ValidationError as exc:
        with runtime(request).db.read() as session:
            context = _question_context(request, session, question_id)
        return render(
            request,
            "qa/question.html",
            {
                **context,
                "social": render_social(request, context["content"]),
                "errors": exc.fields,
                "draft": form.get("body") or "",
            },
            status_code=422,
        )
    return RedirectResponse(target, status_code=303)


async def answer_action(request: Request) -> Response:
    """POST /qa/answers/{id}: ``action=vote`` / ``unvote`` (anyone who sees it), ``accept``
    (the asker or a moderator), ``edit`` with ``body`` (its author), ``delete`` (its author
    or a moderator)."""
    form = await request.form()
    action = form.get("action")
    me = current_user(request)
    answer_id = request.path_params["qa_answer_id"]

    def run(session: Session) -> str:
        row, question, content = questions.readable_answer(session, answer_id, principals(request))
        if action in ("vote", "unvote"):
            questions.vote(session, row, session.get(User, me.id), 1 if action == "vote" else 0)
        elif action == "accept":
            if not (
                question.author_id == me.id
                or may_moderate(session, request, content, question.author_id)
            ):
                raise HTTPException(403)
            questions.accept(session, question, row)
        elif action == "edit":
            if row.author_id != me.id:
                raise HTTPException(403)
            questions.edit_answer(session, row, questions.clean_answer(form.get("body")))
        elif action == "delete":
            if not may_moderate(session, request, content, row.author_id):
                raise HTTPException(403)
            questions.remove_answer(session, row, question)
            return questions.question_url(question)
        else:
            raise HTTPException(400, "action must be vote, unvote, accept, edit or delete")
        return f"{questions.question_url(question)}#answer-{row.id}"

    try:
        target = await write(request, run)
    except ValidationError:
        raise HTTPException(422, "Write your answer first.") from None
    return RedirectResponse(target, status_code=303)


PAGE_ROUTES = [
    Route("/qa", index, methods=["GET"]),
    Route("/qa/unanswered", unanswered, methods=["GET"]),
    Route("/qa/mine", mine, methods=["GET"]),
    Route("/qa/ask", ask_page, methods=["GET"]),
    Route("/qa/similar", similar, methods=["GET"]),
    Route("/qa/questions", create, methods=["POST"]),
    Route("/qa/questions/{qa_question_id:int}", question_page, methods=["GET"]),
    Route("/qa/questions/{qa_question_id:int}", change, methods=["POST"]),
    Route("/qa/answers/{qa_answer_id:int}", answer_action, methods=["POST"]),
    Route("/qa/spaces/{slug}", space_questions, methods=["GET"]),
]
