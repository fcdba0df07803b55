"""What the staff console and the editor pages share: accounts, roles and municipalities,
server-side sessions with CSRF tokens, sign-in (failures limited), sign-out and the
password page, and server-rendered pages in the staff's language (the `console` gettext
domain). The console and the editor are siblings that both import
this package and never each other."""
