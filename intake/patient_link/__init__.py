"""The patient's own link: a patient answers the questions that are theirs (source P) of one
draft intake, on their phone, in English or Spanish.

- ``tokens``: the link's random token and its stored hash.
- ``services``: create and revoke a link (front desk), check the date of birth (with lockout),
  save the patient's answers (provenance, screening as they are saved, red flags raised).
- ``selectors``: a link from its token, the patient's steps, the rate limit per address, the
  open patient red flags the staff pages show first.
- ``views`` / ``urls`` / ``forms``: the staff's two actions and the patient's pages (``/p/<token>/``,
  outside login; the session they get is bound to that one link).
"""
