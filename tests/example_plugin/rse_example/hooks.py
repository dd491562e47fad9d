"""Hook implementations of the example plugin."""

import click
from sqlalchemy import or_, select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from rse_core import (
    EVERYONE,
    ApiBody,
    ApiError,
    ApiShape,
    ApiText,
    Content,
    ExportTable,
    Job,
    JobContext,
    NavItem,
    Permission,
    SearchDocument,
    access,
    api,
    api_routes,
    call_hook,
    can,
    current_user,
    enqueue_job,
    find_space,
    hookimpl,
    principals,
    publish,
    reading_page,
    render,
    render_fragment,
    runtime,
    utcnow,
    visible,
    write,
)

from .models import Greeting

STARTED: list[str] = []


@reading_page
def hello(request: Request) -> Response:
    # Only what this reader may see: a greeting shared in a space is for its members (one
    # without an item, the demo's, is for everyone).
    readable = or_(Greeting.content_id.is_(None), visible(Content.audience, principals(request)))
    with runtime(request).db.read() as session:
        rows = session.execute(
            select(Greeting.text, Greeting.delivered_at)
            .outerjoin(Content, Content.id == Greeting.content_id)
            .where(readable, Content.deleted_at.is_(None))
            .order_by(Greeting.id)
        )
        greetings = [
            {
                "text": text,
                "delivered_at": delivered_at,
                # Words other plugins add through the hook this plugin declares.
                "suffixes": [
                    word
                    for words in call_hook(request, "example_greeting_suffixes", text=text)
                    for word in words
                ],
            }
            for text, delivered_at in rows
        ]
    return render(request, "example/hello.html", {"greetings": greetings})


def deliver(job: JobContext) -> None:
    """Background job: mark a greeting delivered (queued by the API that added it)."""
    with job.runtime.db.write() as session:
        greeting = session.get(Greeting, job.payload["greeting"])
        if greeting is not None and greeting.delivered_at is None:
            greeting.delivered_at = job.now


class GreetingsOut(ApiShape):
    """Every greeting, oldest first"""

    items: list[str]


class GreetingIn(ApiBody):
    text: ApiText(200, required=True)
    space: str | None = None


class GreetingOut(ApiShape):
    """The greeting added"""

    text: str
    content_id: int


@api(
    "GET",
    "/api/v1/example/greetings",
    summary="List greetings",
    operation_id="example.listGreetings",
    responses={200: GreetingsOut},
)
async def api_greetings(request: Request) -> Response:
    with runtime(request).db.read() as session:
        greetings = list(session.execute(select(Greeting.text).order_by(Greeting.id)).scalars())
    return JSONResponse({"items": greetings})


@api(
    "POST",
    "/api/v1/example/greetings",
    summary="Add a greeting",
    operation_id="example.addGreeting",
    body=GreetingIn,  # validated before the handler runs: 400 or 422 with the error shape
    responses={201: GreetingOut},
    errors=(403, 404),
)
async def api_add_greeting(request: Request, body: GreetingIn) -> Response:
    if not can(request, "example.greet"):
        raise ApiError(403, "forbidden", "You may not add greetings.")
    me = current_user(request)

    def save(session):
        space = find_space(session, access(request), body.space) if body.space else None
        content = publish(
            session,
            plugin="example",
            type="example.greeting",
            author=me,
            url="/example/",
            title=body.text,
            summary=body.text,
            space=space,
        )
        greeting = Greeting(text=body.text, content_id=content.id)
        session.add(greeting)
        session.flush()
        # In the same transaction: delivered once this commits, never if it rolls back.
        enqueue_job(session, "example.deliver", {"greeting": greeting.id})
        return content.id

    content_id = await write(request, save)
    return JSONResponse({"text": body.text, "content_id": content_id}, status_code=201)


@hookimpl
def rse_routes(settings):
    return [Route("/example/", hello, name="example_hello")]


@hookimpl
def rse_api_routes(settings):
    return api_routes(api_greetings, api_add_greeting)


@hookimpl
def rse_addhooks(pluginmanager):
    """Declare example_greeting_suffixes for other plugins."""
    from . import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def rse_jobs():
    """Greetings are delivered in the background."""
    return [Job("example.deliver", deliver)]


@hookimpl
def rse_permissions():
    return [Permission("example.greet", "Add greetings", default_roles=("everyone",))]


@hookimpl
def rse_nav_items(request):
    return [NavItem("Example", "/example/", order=50)]


@hookimpl
def rse_home_widgets(request):
    return [render_fragment(request, "example/widget.html", {"text": "Hello from example"})]


@hookimpl
def rse_startup(app):
    STARTED.append("started")


@hookimpl
def rse_cli(cli):
    @cli.command("example-hello")
    def example_hello():
        """Say hello from the example plugin."""
        click.echo("hello from the example plugin")


@hookimpl
def rse_demo_data(session, settings):
    session.add(Greeting(text="Bonjour from the demo"))


@hookimpl
def rse_index_documents(session):
    """The greetings board as one searchable page (it lives outside the content registry),
    for everyone: so only the greetings everyone may read (a space's are found as items)."""
    texts = list(
        session.execute(
            select(Greeting.text)
            .outerjoin(Content, Content.id == Greeting.content_id)
            .where(or_(Greeting.content_id.is_(None), Content.audience == EVERYONE))
            .where(Content.deleted_at.is_(None))
            .order_by(Greeting.id)
        ).scalars()
    )
    if texts:
        yield SearchDocument(
            key="example:board",
            kind="example.board",
            title="Greetings board",
            text="\n".join(texts),
            audience=EVERYONE,
            url="/example/",
            space="",
            author="",
            created=utcnow(),
        )


@hookimpl
def rse_content_types():
    """The names search shows for this plugin's items."""
    return {"example.greeting": "Greeting", "example.board": "Greetings board"}


@hookimpl
def rse_export_tables() -> list[ExportTable]:
    """Greetings."""
    return [ExportTable("example_greeting")]
