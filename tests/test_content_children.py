"""Items that belong to another (a file attached to a post, or to one of its comments): the
parent's audience, hidden and restored with it, hidden with their comment."""

from __future__ import annotations

from rse_core.content import Content, delete, publish, restore
from rse_core.identity.accounts import get_user
from rse_core.social import add_comment, delete_comment
from rse_core.testing import add_user


def test_children_share_the_audience_and_the_life_of_their_parent(rse_app):
    add_user(rse_app, "ann")
    db = rse_app.state.rse.db
    with db.write() as session:
        ann = get_user(session, "ann")
        common = {"plugin": "example", "type": "example.greeting", "author": ann, "url": "/x"}
        host = publish(session, title="host", audience=f"user:{ann.id}", **common)
        kept = publish(session, title="kept", parent=host, **common)
        alone = publish(session, title="alone", parent=host, **common)
        comment = add_comment(session, host, ann, "a comment")
        on_comment = publish(
            session, title="on comment", parent=host, parent_comment_id=comment.id, **common
        )
        session.flush()
        assert kept.audience == host.audience == f"user:{ann.id}"
        ids = host.id, kept.id, alone.id, on_comment.id
        delete(session, alone)  # deleted on its own first
    with db.write() as session:
        host = session.get(Content, ids[0])
        delete(session, host)
    with db.read() as session:
        assert all(session.get(Content, i).deleted_at is not None for i in ids)
    with db.write() as session:
        restore(session, session.get(Content, ids[0]))
    with db.read() as session:
        host, kept, alone, on_comment = (session.get(Content, i) for i in ids)
        assert host.deleted_at is None and kept.deleted_at is None
        assert on_comment.deleted_at is None
        assert alone.deleted_at is not None  # it was not hidden with its parent
    with db.write() as session:
        from rse_core.social import Comment

        delete_comment(session, session.get(Comment, comment.id))
    with db.read() as session:
        assert session.get(Content, ids[3]).deleted_at is not None
        assert session.get(Content, ids[1]).deleted_at is None
