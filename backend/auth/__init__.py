"""Who is calling: principals, role guards, token hashing and the authentication middleware.

No domain lives here. The middleware resolves bearer tokens and session cookies through the
:class:`~backend.auth.middleware.TokenResolver` protocol, which accounts (sessions, personal
tokens) and devices (device tokens) implement; the composition root hands them in.
"""
