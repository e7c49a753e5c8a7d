"""E-mail: SMTP when MAIL_SERVER is configured, otherwise a file outbox under
instance/mail_outbox (one .eml per message) for development and tests."""
from __future__ import annotations

import datetime as dt
import smtplib
import uuid
from email.message import EmailMessage
from pathlib import Path

from flask import current_app


def send(*, to: str, subject: str, body: str, attachments: list[tuple[str, bytes, str]] = ()) -> str:
    cfg = current_app.config
    msg = EmailMessage()
    msg["From"] = cfg["MAIL_FROM"]
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@megabird>"
    msg.set_content(body)
    for filename, data, mime in attachments:
        maintype, subtype = mime.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    if cfg.get("MAIL_SERVER"):
        with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=30) as smtp:
            if cfg.get("MAIL_USE_TLS"):
                smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
            smtp.send_message(msg)
        return msg["Message-ID"]
    outbox = Path(cfg["MAIL_OUTBOX_DIR"])
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")   # microseconds: the outbox sorts oldest first
    (outbox / f"{stamp}-{uuid.uuid4().hex[:8]}.eml").write_bytes(bytes(msg))
    return msg["Message-ID"]


def outbox_messages() -> list[EmailMessage]:
    """The file outbox, oldest first (tests and development)."""
    from email import policy
    from email.parser import BytesParser
    outbox = Path(current_app.config["MAIL_OUTBOX_DIR"])
    if not outbox.is_dir():
        return []
    return [BytesParser(policy=policy.default).parsebytes(p.read_bytes())
            for p in sorted(outbox.glob("*.eml"))]
