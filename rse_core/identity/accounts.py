"""Accounts and profiles: create, authenticate, change passwords, edit, find colleagues."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from zoneinfo import available_timezones

from sqlalchemy import (
    Integer,
    Select,
    String,
    and_,
    bindparam,
    column,
    func,
    or_,
    select,
    table,
    true,
)
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.expression import ColumnClause, ColumnElement

from ..changes import mark_skills
from ..sql_sets import in_set, set_parameter
from ..validation import EMAIL, USERNAME, ValidationError, clean_text
from .models import AuthSession, User, UserSkill
from .passwords import burn_time, hash_password, password_problem, verify_password
from .sessions import end_user_sessions

PROFILE_FIELDS = {
    "display_name": 120,
    "job_title": 120,
    "department": 120,
    "location": 120,
    "phone": 40,
    "bio": 20_000,
}
MAX_SKILLS = 30


def normalise_username(username: str) -> str:
    """Usernames are compared lower-cased."""
    return username.strip().lower()


def get_user(session: Session, username: str) -> User | None:
    """The user with this username (any case), or None."""
    query = select(User).where(User.username == normalise_username(username))
    return session.execute(query).scalar_one_or_none()


def create_user(
    session: Session,
    username: str,
    *,
    email: str,
    password: str | None,
    display_name: str = "",
    is_admin: bool = False,
    **profile: str,
) -> User:
    """Create an account; raise ValidationError naming each bad field."""
    username = normalise_username(username)
    errors: dict[str, str] = {}
    if not USERNAME.match(username):
        errors["username"] = "2-40 characters: lower-case letters, digits, '.', '_' or '-'."
    elif get_user(session, username) is not None:
        errors["username"] = "This username is taken."
    email = (email or "").strip().lower()
    if not EMAIL.match(email):
        errors["email"] = "Enter a valid e-mail address."
    elif session.execute(select(User.id).where(User.email == email)).first():
        errors["email"] = "This e-mail address is already used."
    if password is not None and (problem := password_problem(password)):
        errors["password"] = problem
    if errors:
        raise ValidationError(errors)
    user = User(
        username=username,
        email=email,
        password_hash=hash_password(password) if password else "",
        display_name=clean_text(display_name or username, "display_name", max_length=120),
        is_admin=is_admin,
    )
    session.add(user)
    update_profile(session, user, profile)
    session.flush()
    reindex_person(session, user)
    return user


def reindex_person(session: Session, user: User) -> None:
    """Queue the person's search entry to be rewritten (or removed, if deactivated)."""
    from ..content import SearchOutbox  # content imports identity: import at call time

    if user.id is not None:
        session.add(SearchOutbox(user_id=user.id, op="index"))


def deactivate_user(session: Session, user: User) -> None:
    """Take an account out of use: inactive, its sessions ended (its tokens stop working);
    what the person wrote stays."""
    if user.is_active:
        user.is_active = False
        end_user_sessions(session, user.id)
        reindex_person(session, user)


def authenticate_local(session: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, upgrading the hash if needed."""
    user = get_user(session, username)
    if user is None or not user.is_active:
        burn_time(password)
        return None
    ok, new_hash = verify_password(user.password_hash, password)
    if not ok:
        return None
    if new_hash:
        user.password_hash = new_hash
    return user


def set_password(session: Session, user: User, new_password: str) -> None:
    """Change the password and end every session of the user (the caller starts a new one)."""
    if problem := password_problem(new_password):
        raise ValidationError({"new_password": problem})
    user.password_hash = hash_password(new_password)
    session.execute(AuthSession.__table__.delete().where(AuthSession.user_id == user.id))


def parse_skills(raw: str | Iterable[str]) -> list[str]:
    """Skills from a comma-separated string or a list: trimmed, de-duplicated ignoring case."""
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    seen: dict[str, str] = {}
    for item in items:
        if not isinstance(item, str):
            raise ValidationError({"skills": "Skills must be text."})
        skill = " ".join(item.split())[:60]
        if skill and skill.lower() not in seen:
            seen[skill.lower()] = skill
    if len(seen) > MAX_SKILLS:
        raise ValidationError({"skills": f"Use at most {MAX_SKILLS} skills."})
    return list(seen.values())


def update_profile(session: Session, user: User, data: dict[str, object]) -> None:
    """Apply profile fields present in ``data`` (unknown keys are refused)."""
    unknown = set(data) - set(PROFILE_FIELDS) - {"skills", "time_zone"}
    if unknown:
        raise ValidationError({name: "Unknown field." for name in sorted(unknown)})
    errors: dict[str, str] = {}
    for name, max_length in PROFILE_FIELDS.items():
        if name in data:
            try:
                value = clean_text(
                    data[name], name, max_length=max_length, required=name == "display_name"
                )
                setattr(user, name, value)
            except ValidationError as exc:
                errors.update(exc.fields)
    if "time_zone" in data:
        zone = data["time_zone"]
        if zone == "" or (isinstance(zone, str) and zone in available_timezones()):
            user.time_zone = zone
        else:
            errors["time_zone"] = "Choose a time zone from the list."
    if "skills" in data:
        try:
            skills = parse_skills(data["skills"])  # type: ignore[arg-type]
        except ValidationError as exc:
            errors.update(exc.fields)
        else:
            existing = {row.key: row for row in user.skills}
            rows = []
            for skill in skills:
                row = existing.get(skill.lower()) or UserSkill(key=skill.lower())
                row.skill = skill
                rows.append(row)
            user.skills = rows
            if user.id is None:
                session.flush()  # a new account: the mark names it by its id
            mark_skills(session, user.id)
    if errors:
        raise ValidationError(errors)
    reindex_person(session, user)


def like_pattern(term: str) -> str:
    """A LIKE pattern finding ``term`` anywhere, its wildcards escaped (use ``escape="\\"``)."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_users(
    session: Session, q: str = "", *, after: str | None = None, limit: int = 20
) -> list[User]:
    """Active users matching every word of ``q`` in name, username, job, department or a
    skill, ordered by username; page with ``after`` (the last username seen).

    The people a search names are first asked of the trigram index of everyone's words
    (``rse_user_words``, migration core_0028), up to :data:`CANDIDATES` of them: as many or
    fewer, they are all the matches and are read by key and sorted (their ids come back
    rather than being counted in SQL: a word the index cannot look up reads everyone's
    words, which a second statement would do again). More, and the words are common enough
    that walking everyone in username order, checking each, meets a page of them soon (25
    matches within ~25 x people / CANDIDATES people); the trigram index would spend longer
    listing them all. Unless they are all later in that order (a first name in usernames
    made of first names, ``user9`` among ``user1`` ... ``user100000``): a page not found among
    the next :data:`WALK_WINDOW` people, the index lists the people with the words past them,
    if they are rare enough for that to be faster than walking on (``lead zz``: "lead" is
    in everyone's words, "zz" in nobody's)."""
    words = [w.lower() for w in q.split()[:MAX_SEARCH_WORDS]]
    values: dict[str, object] = {f"word{n}": like_pattern(w) for n, w in enumerate(words)}
    values |= {"after": after, "limit": limit}
    dialect = session.get_bind().dialect.name
    if not words:
        return list(session.scalars(_users_matching(0, bool(after), dialect, False), values))
    # PostgreSQL's GIN index takes any word, and builds the whole bitmap of the people with a
    # common word before the first row: the lookup checks every word there.
    indexed = tuple(dialect == "postgresql" or _trigram_word(w) for w in words)
    candidates = _candidates(indexed, dialect)
    listed = session.execute(candidates, values | {"cap": CANDIDATES + 1}).all()
    if len(listed) <= CANDIDATES:
        found = [person for person, holds_the_others in listed if holds_the_others]
        return list(session.scalars(_users_among(bool(after)), values | {"ids": found}))
    values["bound"] = session.scalar(_window_end(bool(after)), values | {"window": WALK_WINDOW})
    walk = _users_matching(len(words), bool(after), dialect, values["bound"] is not None)
    people = list(session.scalars(walk, values))
    if len(people) >= limit or values["bound"] is None:
        return people
    rest = values | {"limit": limit - len(people)}
    # The index lists every person with the words it looks up (~1.1 us each on SQLite, 2.6
    # on PostgreSQL), the walk reads every person left (0.35 and 0.9 us): it is the faster
    # while the words are rarer than one person in four. The first listed are spread over
    # the ids (assigned in order) as the words are over everyone.
    if max(person for person, _ in listed) > SPARSE * len(listed):
        return people + list(session.scalars(_users_past(indexed, dialect), rest))
    rest["after"] = values["bound"]
    return people + list(session.scalars(_users_matching(len(words), True, dialect, False), rest))


MAX_SEARCH_WORDS = 8
#: How many people a search may name for the trigram index to find them all: see
#: :func:`search_users`.
CANDIDATES = 500
#: How many people, in username order, a search for common words walks before asking the
#: index for the people past them: see :func:`search_users`.
WALK_WINDOW = 2000
#: Past the window, the index lists the people with the words when they are rarer than one in
#: SPARSE, else the walk goes on: see :func:`search_users`.
SPARSE = 4
USER_WORDS = table("rse_user_words", column("words"), column("rowid"), column("user_id"))


def _trigram_word(word: str) -> bool:
    """Whether SQLite's trigram index may look ``word`` up: three letters or more, none of
    them a wildcard of ``LIKE``."""
    return len(word) >= 3 and not any(c in word for c in "%_\\")


#: The text FTS5 keeps of each row of ``rse_user_words`` (its documented ``%_content`` table:
#: ``id``, then ``c0`` for the first column): read with no trigram to look up, a plain table
#: is read faster than FTS5 reads its rows to the SQL engine (10 against 24 ms, 100,000 people).
USER_WORDS_TEXT = table("rse_user_words_content", column("id"), column("c0"))


def _words_columns(dialect: str, *, through_index: bool) -> tuple[ColumnClause, ColumnClause]:
    """The key (a user id) and the text of everyone's words: on SQLite through the FTS5
    table when ``through_index`` (a word of three letters to look up), else FTS5's own
    table, read like any other (FTS5 hands its rows over one at a time)."""
    if dialect == "postgresql":
        return USER_WORDS.c.user_id, USER_WORDS.c.words
    if through_index:
        return USER_WORDS.c.rowid, USER_WORDS.c.words
    return USER_WORDS_TEXT.c.id, USER_WORDS_TEXT.c.c0


def _word_filters(
    indexed: tuple[bool, ...], dialect: str
) -> tuple[ColumnClause, list[ColumnElement[bool]], list[ColumnElement[bool]]]:
    """The words' key column, the ``LIKE`` the trigram index looks up (``indexed``) and
    those checked on each row (``LIKE ... ESCAPE``, see :func:`_candidates`)."""
    key, words = _words_columns(dialect, through_index=any(indexed))
    looked_up, checked = [], []
    for n, trigrams in enumerate(indexed):
        pattern = bindparam(f"word{n}", type_=String)
        if trigrams:
            looked_up.append(words.like(pattern))
        else:
            checked.append(words.like(pattern, escape="\\"))
    return key, looked_up, checked


@lru_cache(maxsize=64)
def _candidates(indexed: tuple[bool, ...], dialect: str) -> Select[tuple[int, bool]]:
    """Up to ``cap`` people whose words hold every word (``word0``...) that ``indexed`` says
    the trigram index may look up, each with whether their words also hold the others.

    Only the looked-up words decide the list, so that a common word beside a rare short one
    (``lead zz``) lists 501 people and stops, where checking the short one in the lookup made
    the index list everyone with the common word (90 ms at 100,000 people). SQLite's FTS5
    answers a ``LIKE`` without ``ESCAPE``, and only for three letters or more: the other words
    are checked by SQLite's own ``LIKE ... ESCAPE`` (SQLite 3.40's FTS5 also crashes the
    process on some ``LIKE`` of fewer than three letters: ``ESCAPE`` keeps them out of its
    hands), and with no word to look up every person's words are read and checked, from
    FTS5's own table. PostgreSQL's GIN index takes any word (:func:`search_users` looks them
    all up there), and its ``LIKE`` escapes with a backslash by default."""
    key, looked_up, checked = _word_filters(indexed, dialect)
    if not looked_up:  # everyone's words are read: check them all there
        looked_up, checked = checked, []
    holds_the_others = and_(*checked) if checked else true()
    candidates = select(key, holds_the_others).where(*looked_up)
    return candidates.limit(bindparam("cap", type_=Integer))


@lru_cache(maxsize=2)
def _users_among(after: bool) -> Select[tuple[User]]:
    """The active people among ``ids`` (at most :data:`CANDIDATES`), a page in username
    order, built once. Looked up by key whatever their number (``large=False``: the form
    PostgreSQL gets for a large set hides the column from its index, and read all 100,000
    people for 101 candidates or more)."""
    ids = set_parameter("ids", integers=True)
    query = _active_users().where(in_set(User.id, ids, integers=True, large=False, indexed=True))
    return _a_page(query, after)


@lru_cache(maxsize=2)
def _window_end(after: bool) -> Select[tuple[str]]:
    """The username ``window`` people after ``after`` (or the first): None when fewer remain."""
    query = select(User.username)
    if after:
        query = query.where(User.username > bindparam("after"))
    query = query.order_by(User.username).offset(bindparam("window", type_=Integer))
    return query.limit(1)


@lru_cache(maxsize=64)
def _users_past(indexed: tuple[bool, ...], dialect: str) -> Select[tuple[User]]:
    """The active people past ``bound`` in username order whose words hold every word, all
    listed by the trigram index then sorted: a page. PostgreSQL lists them first (a
    materialised query): told to find a page in username order, its planner walked everyone
    and looked each up (``user9``: 107 against 29 ms at 100,000 people)."""
    key, looked_up, checked = _word_filters(indexed, dialect)
    matched = select(key.label("id")).where(*looked_up, *checked)
    query = _active_users()
    if dialect == "postgresql":
        listed = matched.cte("matched").prefix_with("MATERIALIZED")
        query = query.join(listed, listed.c.id == User.id)
    else:
        query = query.where(User.id.in_(matched))
    return _a_page(query.where(User.username > bindparam("bound")), after=False)


def _active_users() -> Select[tuple[User]]:
    return select(User).where(User.is_active.is_(True)).options(selectinload(User.skills))


def _a_page(query: Select[tuple[User]], after: bool) -> Select[tuple[User]]:
    """``query``'s people in username order, after ``after`` if ``after``, ``limit`` of them."""
    if after:
        query = query.where(User.username > bindparam("after"))
    return query.order_by(User.username).limit(bindparam("limit", type_=Integer))


@lru_cache(maxsize=8 * (MAX_SEARCH_WORDS + 1))
def _users_matching(words: int, after: bool, dialect: str, bounded: bool) -> Select[tuple[User]]:
    """:func:`search_users`' walk for so many words (the parameters ``word0``...), built
    once: everyone in username order (up to ``bound`` when ``bounded``), each checked.

    SQLite checks each person's words (``rse_user_words``'s text, read by key) with one
    ``LIKE`` a word: three times cheaper a person than the fields and the skills one by one
    (a walk through 100,000 people 30 against 100 ms). PostgreSQL checks the fields of the
    row it has read, and the skills only when they fail: reading the words by key cost it
    more (130 against 81 ms)."""
    query = _active_users()
    if words and dialect != "postgresql":
        key, text = _words_columns(dialect, through_index=False)
        query = query.join(key.table, key == User.id)
    for n in range(words):
        pattern = bindparam(f"word{n}", type_=String)
        if dialect != "postgresql":
            query = query.where(text.like(pattern, escape="\\"))
            continue
        skill_match = (
            select(UserSkill.id)
            .where(UserSkill.user_id == User.id, UserSkill.key.like(pattern, escape="\\"))
            .exists()
        )
        query = query.where(
            or_(
                func.lower(User.display_name).like(pattern, escape="\\"),
                User.username.like(pattern, escape="\\"),
                func.lower(User.job_title).like(pattern, escape="\\"),
                func.lower(User.department).like(pattern, escape="\\"),
                skill_match,
            )
        )
    if bounded:
        query = query.where(User.username <= bindparam("bound"))
    return _a_page(query, after)
