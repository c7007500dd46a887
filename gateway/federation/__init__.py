"""The federation operator's side: edit the directory draft, sign, publish and push it.

Usage::

    with edit_draft(Path("draft.json")) as draft:   # gateway.federation.draft; locked, saved
        draft.grant("DE/GOV/05974028/gewerbeamt", "EE/GOV/70000310/ariregister/ettevotted")
    publication = publish_draft(Path("draft.json"), key, cert, Path("www/directory.jws"))
    await push_directory(publication.token, urls, tokens)              # .push

``cli`` adds the commands (``xgw directory member|service|access|cert|ca|publish``,
``xgw certs revoke``); docs/federation-admin.md is the operator's guide.
"""
