"""Criteria sets in Django admin, for criteria admins (a clinician with a clinic manager).

- ``criteria_set``: procedures, and criteria sets with their inlines and whole-set checks;
- ``inlines``: a set's parts on its page;
- ``pages``: the pages beside a set (golden cases, publish, clone, retire, export) and their
  list actions; other apps add theirs through ``screener.hooks`` (the intake side adds the
  impact preview and the re-screen: ``intake/rescreen/admin.py``);
- ``parts``: rules, questions and golden cases on their own lists;
- ``records``: the change log and the background jobs (progress, resume).

This module registers them.
"""

from django.contrib import admin

from screener.admin.criteria_set import CriteriaSetAdmin, ProcedureAdmin
from screener.admin.parts import GoldenCaseAdmin, QuestionAdmin, RuleAdmin
from screener.admin.records import CriteriaChangeAdmin, CriteriaJobAdmin
from screener.models import (
    CriteriaChange,
    CriteriaJob,
    CriteriaSet,
    GoldenCase,
    Procedure,
    Question,
    Rule,
)

admin.site.register(Procedure, ProcedureAdmin)
admin.site.register(CriteriaSet, CriteriaSetAdmin)
admin.site.register(Rule, RuleAdmin)
admin.site.register(Question, QuestionAdmin)
admin.site.register(GoldenCase, GoldenCaseAdmin)
admin.site.register(CriteriaChange, CriteriaChangeAdmin)
admin.site.register(CriteriaJob, CriteriaJobAdmin)
