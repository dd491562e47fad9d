"""rse-ldap: people sign in with their directory password; the directory keeps accounts and
profiles current (LDAP, OpenLDAP, Active Directory), through ldap3."""
