"""The gateway interface (GW-01). Adapters hand messages to an upstream network in
batches and bring back delivery reports. Only jobs (and the tick) call gateways;
the web app never does."""
from __future__ import annotations

import abc
import datetime as dt
from typing import NamedTuple

# Named tuples, not dataclasses: a batch holds thousands of them and they are built in
# the hot path of dispatch and reports.


class OutboundMessage(NamedTuple):
    ref: str                      # megabird's message id: the client reference
    channel: str                  # sms | lms | mms | alimtalk | friendtalk
    sender: str                   # sender number digits, or the Kakao sender key
    recipient: str                # mobile number digits
    text: str
    title: str | None = None
    account_id: int | None = None
    images: tuple = ()            # JPEG bytes (MMS)
    kakao: dict | None = None     # template code, buttons, ...


class Receipt(NamedTuple):
    ref: str
    accepted: bool
    gateway_ref: str | None = None
    error_code: str | None = None


class Report(NamedTuple):
    ref: str
    code: str                     # the raw result code
    at: dt.datetime
    report_id: str = ""           # what `ack_reports` needs
    optout_number: str | None = None   # the number that opted out (080 ARS)
    # An opt-out call on a 080 number (SND-09), as the 080 provider reports it: the number
    # called and the code entered (the caller is `optout_number`). It names its account by
    # the code on the shared number, or by an approved own number — not by the message.
    optout_called: str | None = None
    optout_code: str | None = None


class TemplateSubmission(NamedTuple):
    """An AlimTalk template handed to Kakao's review (KAT-03, GW-01 `submit_template`)."""
    code: str
    account_id: int
    sender_key: str | None
    name: str
    message_type: str
    emphasis_type: str
    content: str
    extra: str | None = None
    emphasis_title: str | None = None
    emphasis_subtitle: str | None = None
    item_header: str | None = None
    items: tuple = ()
    security: bool = False
    category: str | None = None
    buttons: tuple = ()
    quick_replies: tuple = ()
    image_file_id: int | None = None
    image: bytes | None = None        # the emphasis image (IMAGE), for a dealer that uploads it


class TemplateStatus(NamedTuple):
    """Where Kakao's review of a template stands: `requested`, `in_review`, `approved`
    or `rejected` (with the reviewer's comment)."""
    status: str
    at: dt.datetime | None = None
    comment: str | None = None


class Gateway(abc.ABC):
    name = "abstract"
    #: messages per second this adapter may submit (0 = unlimited)
    throughput_limit = 0
    #: True when the upstream takes a reference submitted again as the same message and can
    #: say which references it has (`lookup`): dispatch then writes a message once when it
    #: claims it, and recovery resubmits only what the upstream never got. False (an SMSC
    #: that sends whatever it is given): every message is recorded before and after its PDU.
    deduplicates = False
    #: True when a connector process (app/services/sending/handover.py) claims this gateway's
    #: batches and holds the link (an SMSC's binds): dispatch jobs leave its messages alone
    connector = False
    #: False for an SMS route that cannot carry images (SMPP): MMS is refused at acceptance
    carries_mms = True

    @abc.abstractmethod
    def submit(self, messages: list[OutboundMessage], now: dt.datetime) -> list[Receipt]:
        """Hand over a batch. A reference already submitted is the same message."""

    @abc.abstractmethod
    def poll_reports(self, now: dt.datetime, limit: int) -> list[Report]:
        """Reports not yet acknowledged. May return a report again until it is acked; two
        pollers at once should get different reports (a lease), though applying one twice
        is harmless."""

    def has_reports(self, now: dt.datetime) -> bool:
        """Whether reports are waiting (the tick asks before it enqueues a report job)."""
        return True

    @abc.abstractmethod
    def ack_reports(self, reports: list[Report], now: dt.datetime) -> None:
        """The reports were applied; do not deliver them again."""

    def lookup(self, refs: list[str], now: dt.datetime | None = None) -> set[str] | None:
        """Which of these references the upstream has received, or None if it cannot say
        (`now`: the caller's clock, for an adapter that weighs how long ago it asked)."""
        return None

    # Kakao (06-kakao.md, SND-07)
    #: True when Kakao itself sends the channel's admin a token (a dealer's sender-profile
    #: registration) and the customer types that token: megabird sends no code of its own
    channel_token_by_kakao = False

    def confirm_channel_token(self, channel_id: str, token: str) -> str | None:
        """The channel's sender key for Kakao's token, or None when the token is wrong."""
        raise NotImplementedError

    def verify_channel_admin(self, channel_id: str, phone: str) -> bool:
        raise NotImplementedError

    def channel_sender_key(self, channel_id: str) -> str:
        raise NotImplementedError

    def channel_problem(self, sender_key: str) -> str | None:
        """Why Kakao will not send for this sender key now (`blocked`, `deleted`, `dormant`),
        or None — asked before each Kakao batch (None: nothing known against it)."""
        return None

    #: True when megabird's operators play Kakao's template reviewer (the sandbox): the
    #: staff queue decides. False for a dealer: its review results come by `template_status`.
    reviews_templates_by_operators = False

    def submit_template(self, template: TemplateSubmission) -> "TemplateStatus | None":
        """Ask Kakao to review the template (a dealer's registration request). The same
        code submitted again is the same request. A registration refused at once comes back
        as a `rejected` TemplateStatus with the reason; otherwise None."""
        raise NotImplementedError

    def submit_comment(self, sender_key: str | None, code: str, comment: str) -> None:
        """The customer's comment on a rejected template, to the dealer's reviewer."""
        raise NotImplementedError

    def template_status(self, code: str, *, account_id: int, sender_key: str | None = None) -> TemplateStatus | None:
        """The review's state at Kakao, or None when it cannot say now."""
        raise NotImplementedError
