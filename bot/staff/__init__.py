"""What the staff console and the editor pages share: accounts and roles, signed sessions
with CSRF tokens, sign-in and sign-out, and server-rendered pages in the staff's language
(the `console` gettext domain). The console and the editor are siblings that both import
this package and never each other."""
