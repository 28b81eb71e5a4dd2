"""The web console (SPEC §9): Vietnamese pages served by the gateway at `/`.

A room of its own: routes, templates and static files here call the same service layer and
route functions the JSON API uses (`reachable_ticket`, `my_queue`, `list_tickets`), so a page
never shows what the API would refuse. Its only storage is its sign-in sessions.
"""
