"""The Q&A API under /api/v1/qa: ask, read, edit, delete and list questions; answer, vote
for and accept answers."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from rse_core import (
    ApiBody,
    ApiError,
    ApiId,
    ApiInt,
    ApiLink,
    ApiQuery,
    ApiShape,
    ApiText,
    Space,
    User,
    access,
    api,
    api_routes,
    can,
    current_user,
    find_space,
    may_moderate,
    people_and_spaces,
    principals,
    render_markdown,
    runtime,
    write,
)

from . import questions
from .models import Answer, Question


class PersonOut(ApiShape):
    """Who wrote it"""

    username: str
    display_name: str


class AnswerOut(ApiShape):
    """An answer: its Markdown, the sanitised HTML it renders to, its votes"""

    id: int
    question_id: int
    body: str
    html: str
    score: int
    voted: bool
    accepted: bool
    author: PersonOut
    created_at: str
    updated_at: str


class QuestionOut(ApiShape):
    """A question with its answers (the accepted one first, then by votes). ``content_id``
    is its item for comments and likes (``/api/v1/content/{content_id}/...``)."""

    id: int
    content_id: int
    url: str
    title: str
    body: str
    html: str
    tags: list[str]
    space: str | None
    author: PersonOut
    answer_count: int
    accepted_answer_id: int | None
    answers: list[AnswerOut]
    created_at: str
    updated_at: str


class QuestionSummary(ApiShape):
    """A question in a list"""

    id: int
    content_id: int
    url: str
    title: str
    tags: list[str]
    space: str | None
    author: PersonOut
    answer_count: int
    accepted_answer_id: int | None
    created_at: str


class QuestionPage(ApiShape):
    """Questions, newest first; ``next`` is the ``before`` of the following page"""

    items: list[QuestionSummary]
    next: str | None


class VoteOut(ApiShape):
    """The answer's votes after yours"""

    answer_id: int
    score: int
    voted: bool


Tag = Annotated[str, Field(pattern=r"^#?[^\W_][\w-]{0,39}$", max_length=41)]
Tags = Annotated[list[Tag], Field(max_length=questions.MAX_TAGS)]


class QuestionIn(ApiBody):
    """A new question, company-wide or in one of your spaces"""

    title: ApiText(questions.MAX_TITLE, required=True)
    body: ApiText(questions.MAX_BODY) = ""
    tags: Tags | None = None
    space: Annotated[str, Field(description="a space's slug; omit to ask the company")] | None = (
        None
    )


class QuestionEdit(ApiBody):
    """Changes to your question"""

    title: ApiText(questions.MAX_TITLE, required=True) | None = None
    body: ApiText(questions.MAX_BODY) | None = None
    tags: Tags | None = None


class AnswerIn(ApiBody):
    """An answer (Markdown)"""

    body: ApiText(questions.MAX_BODY, required=True)


class VoteIn(ApiBody):
    """1: vote for the answer; 0: take your vote back"""

    value: ApiInt(0, 1)


class ListQuery(ApiQuery):
    unanswered: bool = False
    mine: bool = False
    space: ApiText(60) | None = None
    tag: ApiText(41) | None = None
    before: ApiId | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 20


QUESTION_LINKS = {
    "GetQuestion": ApiLink("qa.getQuestion", {"qa_question_id": "$response.body#/id"}),
    "AnswerQuestion": ApiLink("qa.answerQuestion", {"qa_question_id": "$response.body#/id"}),
}


ANSWER_LINKS = {
    "VoteAnswer": ApiLink("qa.voteAnswer", {"qa_answer_id": "$response.body#/id"}),
    "AcceptAnswer": ApiLink("qa.acceptAnswer", {"qa_answer_id": "$response.body#/id"}),
}


def _person(user: User) -> dict[str, str]:
    return {"username": user.username, "display_name": user.display_name}


def answer_json(row: Answer, question: Question, author: User, voted: bool) -> dict[str, Any]:
    """An answer as the API shows it."""
    return {
        "id": row.id,
        "question_id": row.question_id,
        "body": row.body,
        "html": str(render_markdown(row.body)),
        "score": row.score,
        "voted": voted,
        "accepted": question.accepted_answer_id == row.id,
        "author": _person(author),
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }


def summary_json(question: Question, author: User, space: Space | None) -> dict[str, Any]:
    """A question as lists show it."""
    return {
        "id": question.id,
        "content_id": question.content_id,
        "url": questions.question_url(question),
        "title": question.title,
        "tags": question.tags.split(),
        "space": space.slug if space else None,
        "author": _person(author),
        "answer_count": question.answer_count,
        "accepted_answer_id": question.accepted_answer_id,
        "created_at": question.created_at.isoformat(),
    }


def _question_answer(request: Request, question_id: int, status: int) -> Response:
    me = current_user(request)
    with runtime(request).db.read() as session:
        question, _content = questions.readable(session, question_id, principals(request))
        rows = questions.answers(session, question)
        people, spaces = people_and_spaces(
            session, [question.author_id, *(a.author_id for a in rows)], [question.space_id]
        )
        voted = questions.my_votes(session, me.id, [a.id for a in rows])
        space = spaces.get(question.space_id) if question.space_id else None
        body = {
            **summary_json(question, people[question.author_id], space),
            "body": question.body,
            "html": str(render_markdown(question.body)),
            "answers": [answer_json(a, question, people[a.author_id], a.id in voted) for a in rows],
            "updated_at": question.updated_at.isoformat(),
        }
    return JSONResponse(body, status_code=status)


@api(
    "POST",
    "/api/v1/qa/questions",
    summary="Ask a question, company-wide or in one of your spaces",
    operation_id="qa.askQuestion",
    body=QuestionIn,
    responses={201: QuestionOut},
    errors=(403, 404),
    links={201: QUESTION_LINKS},
)
async def api_ask(request: Request, body: QuestionIn) -> Response:
    """POST /api/v1/qa/questions {"title", "body"?, "tags"?, "space"?}."""
    me = current_user(request)
    data = body.model_dump(exclude_unset=True)

    def run(session: Session) -> int:
        space = None
        if body.space:
            space = find_space(session, access(request), body.space)
            if space.id not in access(request).roles:
                raise ApiError(403, "forbidden", "You can only ask in your spaces.")
        if not can(request, "qa.ask", space):
            raise ApiError(403, "forbidden", "You may not ask questions here.")
        fields = questions.clean(data, creating=True)
        return questions.ask(session, session.get(User, me.id), space, fields).id

    return _question_answer(request, await write(request, run), 201)


@api(
    "GET",
    "/api/v1/qa/questions/{qa_question_id:int}",
    summary="A question with its answers",
    operation_id="qa.getQuestion",
    responses={200: QuestionOut},
)
async def api_get(request: Request) -> Response:
    """GET /api/v1/qa/questions/{id}."""
    return _question_answer(request, request.path_params["qa_question_id"], 200)


@api(
    "PATCH",
    "/api/v1/qa/questions/{qa_question_id:int}",
    summary="Edit your question",
    operation_id="qa.editQuestion",
    body=QuestionEdit,
    responses={200: QuestionOut},
    errors=(403,),
)
async def api_edit(request: Request, body: QuestionEdit) -> Response:
    """PATCH /api/v1/qa/questions/{id}: its author only."""
    me = current_user(request)
    question_id = request.path_params["qa_question_id"]
    data = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}

    def run(session: Session) -> None:
        question, _content = questions.readable(session, question_id, principals(request))
        if question.author_id != me.id:
            raise ApiError(403, "forbidden", "Only its author edits a question.")
        fields = questions.clean(data, creating=False)
        questions.edit(session, question, session.get(User, me.id), fields)

    await write(request, run)
    return _question_answer(request, question_id, 200)


@api(
    "DELETE",
    "/api/v1/qa/questions/{qa_question_id:int}",
    summary="Delete a question and its answers (its author, or a moderator of its space)",
    operation_id="qa.deleteQuestion",
    responses={204: None},
    errors=(403,),
)
async def api_delete(request: Request) -> Response:
    """DELETE /api/v1/qa/questions/{id}."""

    def run(session: Session) -> None:
        question, content = questions.readable(
            session, request.path_params["qa_question_id"], principals(request)
        )
        if not may_moderate(session, request, content, question.author_id):
            raise ApiError(403, "forbidden", "You may not delete this question.")
        questions.remove(session, question)

    await write(request, run)
    return Response(status_code=204)


@api(
    "GET",
    "/api/v1/qa/questions",
    summary="Questions you may see, newest first (unanswered, yours, a space's, a tag's)",
    operation_id="qa.listQuestions",
    query=ListQuery,
    responses={200: QuestionPage},
    errors=(404,),
)
async def api_list(request: Request, query: ListQuery) -> Response:
    """GET /api/v1/qa/questions?unanswered=&mine=&space=&tag=&before=&limit=."""
    with runtime(request).db.read() as session:
        space_ids = None
        if query.space:
            space_ids = [find_space(session, access(request), query.space).id]
        rows = questions.listing(
            session,
            principals(request),
            unanswered=query.unanswered,
            space_ids=space_ids,
            author_id=current_user(request).id if query.mine else None,
            tags=[query.tag.lstrip("#")] if query.tag else (),
            before=query.before,
            limit=query.limit + 1,
        )
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        people, spaces = people_and_spaces(
            session, [q.author_id for q in rows], [q.space_id for q in rows]
        )
        items = [
            summary_json(q, people[q.author_id], spaces.get(q.space_id) if q.space_id else None)
            for q in rows
        ]
    return JSONResponse({"items": items, "next": str(rows[-1].id) if more else None})


@api(
    "POST",
    "/api/v1/qa/questions/{qa_question_id:int}/answers",
    summary="Answer a question you may see",
    operation_id="qa.answerQuestion",
    body=AnswerIn,
    responses={201: AnswerOut},
    links={201: ANSWER_LINKS},
)
async def api_answer(request: Request, body: AnswerIn) -> Response:
    """POST /api/v1/qa/questions/{id}/answers {"body"}."""
    me = current_user(request)

    def run(session: Session) -> dict[str, Any]:
        question, content = questions.readable(
            session, request.path_params["qa_question_id"], principals(request)
        )
        author = session.get(User, me.id)
        row = questions.answer(
            session, question, content, author, questions.clean_answer(body.body)
        )
        return answer_json(row, question, author, False)

    return JSONResponse(await write(request, run), status_code=201)


@api(
    "POST",
    "/api/v1/qa/answers/{qa_answer_id:int}/vote",
    summary="Vote for an answer (1) or take your vote back (0); one vote per person",
    operation_id="qa.voteAnswer",
    body=VoteIn,
    responses={200: VoteOut},
)
async def api_vote(request: Request, body: VoteIn) -> Response:
    """POST /api/v1/qa/answers/{id}/vote {"value": 1|0}."""
    me = current_user(request)

    def run(session: Session) -> dict[str, Any]:
        row, _question, _content = questions.readable_answer(
            session, request.path_params["qa_answer_id"], principals(request)
        )
        score = questions.vote(session, row, session.get(User, me.id), body.value)
        return {"answer_id": row.id, "score": score, "voted": body.value == 1}

    return JSONResponse(await write(request, run))


@api(
    "POST",
    "/api/v1/qa/answers/{qa_answer_id:int}/accept",
    summary="Accept an answer (the asker, or a moderator of the question's space)",
    operation_id="qa.acceptAnswer",
    responses={200: AnswerOut},
    errors=(403,),
)
async def api_accept(request: Request) -> Response:
    """POST /api/v1/qa/answers/{id}/accept: it replaces any accepted answer."""
    me = current_user(request)

    def run(session: Session) -> dict[str, Any]:
        row, question, content = questions.readable_answer(
            session, request.path_params["qa_answer_id"], principals(request)
        )
        if question.author_id != me.id and not may_moderate(
            session, request, content, question.author_id
        ):
            raise ApiError(403, "forbidden", "Only the asker or a moderator accepts an answer.")
        questions.accept(session, question, row)
        voted = row.id in questions.my_votes(session, me.id, [row.id])
        return answer_json(row, question, session.get(User, row.author_id), voted)

    return JSONResponse(await write(request, run))


API_ROUTES = api_routes(
    api_vote,
    api_accept,
    api_ask,
    api_get,
    api_edit,
    api_delete,
    api_list,
    api_answer,
)
