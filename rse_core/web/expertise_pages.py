"""Who knows a topic: the directory's ranking, a profile's "knows about", hiding a topic,
and the same in the API. Every list is what the reader may see (``expertise``)."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .. import expertise
from ..i18n import template_callables
from ..identity import accounts
from ..identity.models import User
from .context import current_user, principals, reading_page, runtime, write
from .contract import Limit, Query, Shape, Text, api, api_routes
from .forms import form_dict
from .templating import render, render_fragment

TOPIC_PAGE = 50  # people listed on a topic's page
DIRECTORY_TOP = 5  # the directory's "who knows" above the name matches
PROFILE_TOPICS = 8


def topic_or_404(text: str) -> str:
    """The topic a path names, or 404."""
    topic = expertise.topic_of(text)
    if topic is None:
        raise HTTPException(404)
    return topic


def ranked(request: Request, topic: str, limit: int) -> list[dict[str, Any]]:
    """The people who know ``topic`` as this reader may see it, with their explanation."""
    with runtime(request).db.read() as session:
        found = expertise.experts(session, principals(request), topic, limit=limit)
    return [_standing(request, standing) | {"person": person} for person, standing in found]


def _standing(request: Request, standing: expertise.Standing) -> dict[str, Any]:
    gettext = template_callables(request)["gettext"]
    phrases = expertise.explain(standing.counts, runtime(request).evidence_kinds, gettext)
    return {
        "topic": standing.tag,
        "score": round(standing.score, 2),
        "counts": dict(standing.counts),
        "phrases": phrases,
    }


def known(request: Request, person: User, limit: int = PROFILE_TOPICS) -> list[dict[str, Any]]:
    """What ``person`` knows about, as this reader may see it."""
    with runtime(request).db.read() as session:
        found = expertise.known_topics(session, principals(request), person.id, limit=limit)
    return [_standing(request, standing) for standing in found]


def knows_section(request: Request, person: User) -> Markup:
    """The profile's "knows about" section (with hiding, for the person themself)."""
    me = current_user(request)
    mine = me is not None and me.id == person.id
    hidden: list[str] = []
    if mine:
        with runtime(request).db.read() as session:
            hidden = expertise.hidden_topics(session, person.id)
    return render_fragment(
        request,
        "people/_knows.html",
        {"person": person, "topics": known(request, person), "mine": mine, "hidden": hidden},
    )


@reading_page
def topic_page(request: Request) -> Response:
    """GET /people/topics/{topic}: who knows this topic, best first."""
    topic = topic_or_404(request.path_params["topic"])
    return render(
        request,
        "people/topic.html",
        {"topic": topic, "experts": ranked(request, topic, TOPIC_PAGE)},
    )


async def hide_topic(request: Request) -> Response:
    """POST /profile/topics: hide a topic from one's expertise (``action=hide``) or show it
    again (``action=show``)."""
    me = current_user(request)
    data = await form_dict(request)
    topic = expertise.topic_of(str(data.get("topic", ""))[:80])
    action = data.get("action")
    if topic is None or action not in ("hide", "show"):
        raise HTTPException(400, "Say which topic to hide or show.")
    await write(
        request, lambda session: expertise.set_hidden(session, me.id, topic, action == "hide")
    )
    return RedirectResponse(f"/people/{me.username}#knows", status_code=303)


# -- API -----------------------------------------------------------------------------------

Topic = Text(60, required=True)


class ExpertsQuery(Query):
    topic: Topic
    limit: Limit = 10


class EvidenceOut(Shape):
    """How many pieces of one kind of evidence (as the caller may see them)"""

    kind: str
    count: int


class ExpertOut(Shape):
    """A colleague who knows a topic, with the evidence behind it"""

    username: str
    display_name: str
    url: str
    score: float
    evidence: list[EvidenceOut]
    explanation: list[str]


class ExpertsPage(Shape):
    """The colleagues who know a topic, best first"""

    topic: str
    items: list[ExpertOut]


class TopicOut(Shape):
    """A topic a colleague knows about, with the evidence behind it"""

    topic: str
    score: float
    evidence: list[EvidenceOut]
    explanation: list[str]


class TopicsPage(Shape):
    """The topics a colleague knows about, best first"""

    items: list[TopicOut]


def _evidence(found: dict[str, Any]) -> dict[str, Any]:
    return {
        "score": found["score"],
        "evidence": [{"kind": k, "count": n} for k, n in sorted(found["counts"].items())],
        "explanation": found["phrases"],
    }


@api(
    "GET",
    "/api/v1/experts",
    summary="Who knows a topic (a tag), best first, from what the caller may see",
    operation_id="listExperts",
    query=ExpertsQuery,
    responses={200: ExpertsPage},
)
async def experts_api(request: Request, query: ExpertsQuery) -> Response:
    """GET /api/v1/experts?topic=&limit=: who knows a topic."""
    topic = expertise.topic_of(query.topic)
    found = ranked(request, topic, query.limit) if topic else []
    items = [
        {
            "username": f["person"].username,
            "display_name": f["person"].display_name,
            "url": f"/people/{f['person'].username}",
        }
        | _evidence(f)
        for f in found
    ]
    return JSONResponse({"topic": topic or "", "items": items})


@api(
    "GET",
    "/api/v1/users/{username}/topics",
    summary="What a colleague knows about, from what the caller may see",
    operation_id="listUserTopics",
    responses={200: TopicsPage},
)
async def topics_api(request: Request) -> Response:
    """GET /api/v1/users/{username}/topics: a colleague's topics."""
    with runtime(request).db.read() as session:
        person = accounts.get_user(session, request.path_params["username"])
    if person is None or not person.is_active:
        raise HTTPException(404)
    found = known(request, person, limit=20)
    return JSONResponse({"items": [{"topic": f["topic"]} | _evidence(f) for f in found]})


ROUTES = [
    Route("/people/topics/{topic}", topic_page, methods=["GET"], name="topic_experts"),
    Route("/profile/topics", hide_topic, methods=["POST"]),
]
API_ROUTES = api_routes(experts_api, topics_api)
