"""What a criteria set does to intakes: the impact preview of a draft and the re-screen of
open intakes under a new version, with their background jobs, admin pages and command.

The criteria side (``screener``) never imports this package: ``hooks.register`` (called from
``intake.apps``) adds it to ``screener.hooks``. See docs/architecture.md.

- ``selectors``: intakes read in bulk as rows (``IntakeRow``);
- ``impact``: screen rows under a set and tally the outcome changes (``ImpactReport``);
- ``services``: ``intakes_rescreen``, the write;
- ``tasks``: the work of the two background job kinds;
- ``admin``, ``forms``: the two pages beside a criteria set;
- ``hooks``: the registration.
"""
