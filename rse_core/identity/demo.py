"""Demo employees and spaces (``rse demo``), so a first visit shows a living intranet."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..identity.models import Membership, Space
from .accounts import create_user

DEMO_PASSWORD = "rse-demo-2026"

EMPLOYEES = [
    # username, name, job, department, location, skills, admin
    ("alice", "Alice Martin", "Head of IT", "IT", "Paris", "Kubernetes, Python, Security", True),
    (
        "bruno",
        "Bruno Lefèvre",
        "Platform engineer",
        "IT",
        "Lyon",
        "Kubernetes, Terraform, Go",
        False,
    ),
    (
        "chloe",
        "Chloé Dubois",
        "HR partner",
        "Human Resources",
        "Paris",
        "Recruiting, Onboarding, Labour law",
        False,
    ),
    ("david", "David Nguyen", "Sales manager", "Sales", "Lille", "Negotiation, CRM, German", False),
    (
        "emma",
        "Emma Rossi",
        "Marketing lead",
        "Marketing",
        "Paris",
        "SEO, Copywriting, Events",
        False,
    ),
    ("farid", "Farid Haddad", "Accountant", "Finance", "Nantes", "IFRS, Excel, SAP", False),
    (
        "gaelle",
        "Gaëlle Bernard",
        "Product designer",
        "Product",
        "Bordeaux",
        "UX research, Figma, Accessibility",
        False,
    ),
    ("hugo", "Hugo Moreau", "Data analyst", "Finance", "Paris", "SQL, Python, Power BI", False),
]

SPACES = [
    # slug, name, visibility, join policy, description, owner, members
    (
        "all-hands",
        "All hands",
        "public",
        "open",
        "News for the whole company.",
        "alice",
        ["bruno", "chloe", "david", "emma", "farid", "gaelle", "hugo"],
    ),
    (
        "kubernetes-guild",
        "Kubernetes guild",
        "public",
        "open",
        "Everything about running our platform.",
        "bruno",
        ["alice", "hugo"],
    ),
    (
        "lunch-lyon",
        "Lunch in Lyon",
        "public",
        "open",
        "Where to eat near the Lyon office.",
        "bruno",
        ["david"],
    ),
    ("hr-team", "HR team", "private", "request", "The HR team's working space.", "chloe", []),
    (
        "sales-emea",
        "Sales EMEA",
        "private",
        "request",
        "Deals, pipeline, territory plans.",
        "david",
        ["emma"],
    ),
    (
        "design-system",
        "Design system",
        "private",
        "request",
        "Components, tokens and accessibility reviews.",
        "gaelle",
        ["emma", "bruno"],
    ),
    (
        "project-atlas",
        "Project Atlas",
        "secret",
        "invite",
        "Acquisition due diligence (confidential).",
        "alice",
        ["farid"],
    ),
    (
        "board-prep",
        "Board preparation",
        "secret",
        "invite",
        "Board meeting materials.",
        "farid",
        ["hugo"],
    ),
    ("reorg-2027", "Reorganisation 2027", "secret", "invite", "Draft plans.", "chloe", ["alice"]),
]


def load_core_demo(session: Session) -> None:
    """Create the demo employees and spaces."""
    users = {}
    for username, name, job, department, location, skills, admin in EMPLOYEES:
        users[username] = create_user(
            session,
            username,
            email=f"{username}@example.com",
            password=DEMO_PASSWORD,
            display_name=name,
            is_admin=admin,
            job_title=job,
            department=department,
            location=location,
            skills=skills,
            bio=f"Hello, I am {name.split()[0]}. Ask me about *{skills.split(',')[0]}*.",
        )
    # The HR manager looks after the community (reports of every item she may read); so
    # does the head of IT, who runs the intranet.
    for username in ("chloe", "alice"):
        users[username].is_community_manager = True
    for slug, name, visibility, policy, description, owner, member_names in SPACES:
        space = Space(
            slug=slug,
            name=name,
            visibility=visibility,
            join_policy=policy,
            description=description,
            created_by=users[owner].id,
        )
        session.add(space)
        session.flush()
        session.add(Membership(space_id=space.id, user_id=users[owner].id, role="owner"))
        for member in member_names:
            session.add(Membership(space_id=space.id, user_id=users[member].id, role="member"))
    session.flush()


def demo_logins() -> list[str]:
    """Lines printed by ``make run``: who to sign in as."""
    lines = [f"Demo logins (password for all: {DEMO_PASSWORD}):"]
    for username, name, job, department, _loc, _skills, admin in EMPLOYEES:
        role = "admin" if admin else "employee"
        if username in ("chloe", "alice"):
            role += ", community manager"
        lines.append(f"  {username:<8} {name} — {job}, {department} ({role})")
    return lines
