"""The federation operator's side: edit the directory draft, sign, publish and push it.

Usage::

    draft = Draft.load(Path("draft.json"))                   # gateway.federation.draft
    draft.grant("DE/GOV/05974028/gewerbeamt", "EE/GOV/70000310/ariregister/ettevotted")
    draft.save()
    publication = publish(draft, key, cert, Path("www/directory.jws"))   # .publish
    await push_directory(publication.token, urls, tokens)              # .push

``cli`` adds the commands (``xgw directory member|service|access|cert|ca|publish``,
``xgw certs revoke``); docs/federation-admin.md is the operator's guide.
"""
