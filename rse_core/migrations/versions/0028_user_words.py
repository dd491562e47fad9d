"""The words the people directory searches, one row a person, kept by triggers, with a
trigram index.

``/people?q=`` finds a word anywhere in a name, username, job, department or skill (``LIKE
'%word%'``), which no B-tree serves: every search read every person with four ``LIKE`` and a
skill subquery each, ~110-150 ms at 100,000 employees whatever the word. Here each person's
searchable words are one text (fields and skills a line each, so a word never spans two), in
a table with a trigram index that answers ``LIKE '%word%'`` for words of three letters or
more: SQLite's FTS5 ``trigram`` tokenizer (the table is the index, row id = user id),
PostgreSQL's ``pg_trgm`` GIN index (its text lower-cased, as PostgreSQL's ``LIKE`` is
case-sensitive; SQLite's ignores ASCII case as the directory always did).

The table is not a model (``rse export`` leaves it out: importing the people fills it). The
triggers keep it equal to the people and their skills on any write (the pages, SCIM, sign-in
by SSO, an erasure, an import, a bulk load), in the writer's own transaction.

On PostgreSQL ``pg_trgm`` is a trusted extension: the database's owner may create it (into
``public``, so that every schema of the database shares one); otherwise an administrator
runs ``CREATE EXTENSION pg_trgm`` once (docs/admin.md, "On PostgreSQL").

Revision ID: core_0028
Revises: core_0027
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

from rse_core.db import POSTGRES_EXTENSIONS

revision: str = "core_0028"
down_revision: str | None = "core_0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _words(person: str) -> str:
    """One person's words on SQLite: the statement reading them for the id ``person``."""
    return f"""(SELECT u.display_name || char(10) || u.username || char(10) || u.job_title
    || char(10) || u.department || coalesce(char(10) || (SELECT group_concat(s.key, char(10))
    FROM rse_user_skill s WHERE s.user_id = u.id), '') FROM rse_user u WHERE u.id = {person})"""


def _refresh(person: str) -> str:
    return f"UPDATE rse_user_words SET words = {_words(person)} WHERE rowid = {person};"


SQLITE = (
    "CREATE VIRTUAL TABLE rse_user_words USING fts5(words, tokenize='trigram')",
    f"""CREATE TRIGGER rse_user_words_insert AFTER INSERT ON rse_user BEGIN
        INSERT INTO rse_user_words (rowid, words) VALUES (NEW.id, {_words("NEW.id")});
    END""",
    f"""CREATE TRIGGER rse_user_words_update
    AFTER UPDATE OF display_name, username, job_title, department ON rse_user
    BEGIN {_refresh("NEW.id")} END""",
    """CREATE TRIGGER rse_user_words_delete AFTER DELETE ON rse_user
    BEGIN DELETE FROM rse_user_words WHERE rowid = OLD.id; END""",
    f"""CREATE TRIGGER rse_user_skill_words_insert AFTER INSERT ON rse_user_skill
    BEGIN {_refresh("NEW.user_id")} END""",
    f"""CREATE TRIGGER rse_user_skill_words_update AFTER UPDATE OF user_id, key ON rse_user_skill
    BEGIN {_refresh("OLD.user_id")} {_refresh("NEW.user_id")} END""",
    f"""CREATE TRIGGER rse_user_skill_words_delete AFTER DELETE ON rse_user_skill
    BEGIN {_refresh("OLD.user_id")} END""",
    f"""INSERT INTO rse_user_words (rowid, words)
    SELECT person.id, {_words("person.id")} FROM rse_user person""",
)

POSTGRES = (
    *POSTGRES_EXTENSIONS,
    """CREATE TABLE rse_user_words (
        user_id integer PRIMARY KEY REFERENCES rse_user (id) ON DELETE CASCADE,
        words text NOT NULL
    )""",
    """CREATE FUNCTION rse_user_words_of(person integer) RETURNS text LANGUAGE sql STABLE AS $$
        SELECT coalesce(lower(u.display_name || E'\\n' || u.username || E'\\n' || u.job_title
            || E'\\n' || u.department || coalesce(E'\\n' || (SELECT string_agg(s.key, E'\\n')
            FROM rse_user_skill s WHERE s.user_id = person), '')), '')
        FROM rse_user u WHERE u.id = person
    $$""",
    """CREATE FUNCTION rse_user_words_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_TABLE_NAME = 'rse_user' THEN
            INSERT INTO rse_user_words (user_id, words) VALUES (NEW.id, rse_user_words_of(NEW.id))
                ON CONFLICT (user_id) DO UPDATE SET words = EXCLUDED.words;
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            UPDATE rse_user_words SET words = coalesce(rse_user_words_of(OLD.user_id), '')
                WHERE user_id = OLD.user_id;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            UPDATE rse_user_words SET words = coalesce(rse_user_words_of(NEW.user_id), '')
                WHERE user_id = NEW.user_id;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER rse_user_words
    AFTER INSERT OR UPDATE OF display_name, username, job_title, department ON rse_user
    FOR EACH ROW EXECUTE FUNCTION rse_user_words_sync()""",
    """CREATE TRIGGER rse_user_skill_words AFTER INSERT OR DELETE OR UPDATE OF user_id, key
    ON rse_user_skill FOR EACH ROW EXECUTE FUNCTION rse_user_words_sync()""",
    "INSERT INTO rse_user_words (user_id, words) SELECT id, rse_user_words_of(id) FROM rse_user",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        version = op.get_bind().exec_driver_sql("SELECT sqlite_version()").scalar_one()
        if tuple(int(part) for part in version.split(".")[:2]) < (3, 34):
            raise RuntimeError(
                f"SQLite {version} has no trigram tokenizer for the people directory's index:"
                " run rse with a Python whose SQLite is 3.34 or later (with FTS5)."
            )
        for statement in SQLITE:
            op.execute(statement)
        return
    for statement in POSTGRES:
        op.execute(statement)
    # The operator class lives where the extension is (``public`` unless an administrator
    # installed it elsewhere), which a schema's search_path need not name.
    schema = op.get_bind().exec_driver_sql(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_trgm'"
    )
    (name,) = schema.one()
    op.execute(
        f'CREATE INDEX ix_rse_user_words ON rse_user_words USING gin (words "{name}".gin_trgm_ops)'
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER rse_user_skill_words ON rse_user_skill")
        op.execute("DROP TRIGGER rse_user_words ON rse_user")
        op.execute("DROP FUNCTION rse_user_words_sync()")
        op.execute("DROP TABLE rse_user_words")
        op.execute("DROP FUNCTION rse_user_words_of(integer)")
        return
    for name in ("words_insert", "words_update", "words_delete"):
        op.execute(f"DROP TRIGGER rse_user_{name}")
        op.execute(f"DROP TRIGGER rse_user_skill_{name}")
    op.execute("DROP TABLE rse_user_words")
