"""Identity: accounts and profiles, spaces and memberships, sessions and tokens."""
