"""The consents a person gives at sign-up (ACC-01): what they are, which are required,
the version of each text, and the reading of the form's checkboxes.

개인정보 보호법 §15 and §22 ask that each purpose be agreed to separately and that an
optional one (marketing, 정보통신망법 §50) may be refused without refusing the service;
"전체 동의" only ticks every box at once. The texts themselves are templates
(portal/terms/<kind>.html); their version is here, so a new text is a new version and
what each person saw stays recorded."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from app.domain.korean import josa
from app.errors import ValidationError


@dataclass(frozen=True)
class Term:
    kind: str          # terms, privacy, marketing (user_consent.kind)
    title: str         # the text's name: 이용약관
    required: bool
    version: str       # the date the text took effect

    @property
    def field(self) -> str:
        """The checkbox's label, as error messages name it: 이용약관 동의."""
        return f"{self.title} 동의"

    @property
    def label(self) -> str:
        return f"{self.field} ({'필수' if self.required else '선택'})"


TERMS: tuple[Term, ...] = (
    Term("terms", "이용약관", True, "2026-12-01"),
    Term("privacy", "개인정보 수집·이용", True, "2026-12-01"),
    Term("marketing", "마케팅 정보 수신", False, "2026-12-01"),
)
BY_KIND = {term.kind: term for term in TERMS}
MARKETING = BY_KIND["marketing"]


def term(kind: str) -> Term:
    return BY_KIND[kind]


def read_form(form: Mapping[str, str]) -> dict[str, bool]:
    """The checkboxes `agree_<kind>` (value "1") and `agree_all`, which agrees to every
    term (a browser without scripts posts only the box that was ticked)."""
    everything = form.get("agree_all") == "1"
    return {t.kind: everything or form.get(f"agree_{t.kind}") == "1" for t in TERMS}


def check(choices: Mapping[str, bool]) -> dict[str, bool]:
    """Every required term agreed to, else a refusal naming the first one that is not.
    Returns the choice for every term."""
    for t in TERMS:
        if t.required and not choices.get(t.kind):
            raise ValidationError(f"{josa(t.field, '은/는')} 필수입니다. {josa(t.title, '을/를')} 읽고 "
                                  "동의해주세요.", field=t.field, code="consent_required")
    return {t.kind: bool(choices.get(t.kind)) for t in TERMS}


def read_choice(value, t: Term = MARKETING) -> bool:
    """A later change of an optional consent (마이페이지): "agree" or "refuse"."""
    if value in ("agree", "refuse"):
        return value == "agree"
    raise ValidationError(f"{t.field} 여부를 선택해주세요.", field=t.field, code="invalid_choice")
