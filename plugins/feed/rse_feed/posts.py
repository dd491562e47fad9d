"""Posting, editing and deleting feed posts through the core's content API."""

from __future__ import annotations

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from rse_core import (
    HASHTAG,
    Content,
    Space,
    User,
    clean_text,
    delete_content,
    hashtags,
    notify_mentions,
    publish,
    render_markdown,
    update_content,
)

from .models import Post

MAX_BODY = 5000


def render_body(body: str) -> Markup:
    """A post's Markdown as safe HTML: hashtags link to their tag page, mentions to people."""
    linked = HASHTAG.sub(lambda m: f"[#{m.group(1)}](/feed/tags/{m.group(1).lower()})", body)
    return render_markdown(linked)


def clean_body(body: object) -> str:
    """A post body: 1 to 5,000 characters of text."""
    return clean_text(body, "body", max_length=MAX_BODY, required="Write something first.")


def summary_of(body: str) -> str:
    """The content summary: the post's Markdown itself (streams render it without loading the
    post row; search indexes it as text)."""
    return body


def create_post(session: Session, author: User, body: object, space: Space | None) -> Post:
    """Publish a post to the company (``space`` None) or a space the author belongs to."""
    text = clean_body(body)
    content = publish(
        session,
        plugin="feed",
        type="feed.post",
        author=author,
        url="/feed/posts/pending",
        title="",
        summary=summary_of(text),
        space=space,
        tags=hashtags(text),
    )
    post = Post(content_id=content.id, body=text)
    session.add(post)
    session.flush()
    content.url = f"/feed/posts/{post.id}"
    notify_mentions(session, text, author, content)
    return post


def edit_post(session: Session, post: Post, content: Content, editor: User, body: object) -> None:
    """Change a post's text; consecutive edits fold into one stream entry."""
    text = clean_body(body)
    post.body = text
    update_content(session, content, editor, summary=summary_of(text), tags=hashtags(text))
    notify_mentions(session, text, editor, content)


def remove_post(session: Session, content: Content) -> None:
    """Hide a post everywhere (its row stays)."""
    delete_content(session, content)


def post_for_content(session: Session, content_id: int) -> Post | None:
    """The post behind a content id."""
    return session.execute(select(Post).where(Post.content_id == content_id)).scalar_one_or_none()
