"""`flask megabird …`: init, seed-demo, tick, worker, scheduler, smpp-connector, local-smsc, sandbox-outbox."""
from __future__ import annotations

import json
import logging
import sys
import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import SimpleWorker
from rq.cron import CronScheduler

from sqlalchemy import func, select

from app import clock
from app.domain.numbers import digits_only
from app.errors import MegabirdError
from app.extensions import all_queues, db, queue, redis_connection
from app.models import Account
from app.gateways.sandbox import SandboxGateway
from app.gateways.smpp import smsc
from app.jobs.system import run_tick
from app.security.sync import sync_roles
from app.security.tenancy import account_id_for_user
from app.services import checks, periodic
from app.services.accounts import api_keys
from app.services.accounts.signup import default_price_plan
from app.services.ops import demo, production
from app.services.sending import dispatch, smpp_connector

megabird = AppGroup("megabird", help="megabird operations.")


@megabird.command("init")
def init_command():
    """Create roles and permissions (and the default price plan). Run after `flask db upgrade`."""
    summary = sync_roles()
    default_price_plan()
    db.session.commit()
    for role, count in summary.items():
        click.echo(f"role {role}: {count} permissions")


@megabird.command("seed-demo")
@click.option("--if-empty", is_flag=True,
              help="seed only a database with no accounts yet; else print the demo logins (scripts/start)")
def seed_demo_command(if_empty):
    """Demo users and data (ACC-09). Idempotent; prints one line per demo login (with its
    password while the person has not changed it), and the demo API key."""
    if if_empty and db.session.scalar(select(func.count()).select_from(Account)):
        lines = demo.demo_logins()
    else:
        lines = demo.seed(clock.now())
    for line in lines:
        click.echo(line)


@megabird.command("tick")
@click.option("--now", "now_text", default=None, help="ISO-8601 time to run the tick at (default: now)")
@click.option("--only", multiple=True, help="run only these tasks, due or not")
def tick_command(now_text, only):
    """Run the periodic work that is due at NOW."""
    try:
        now = clock.parse_iso(now_text) if now_text else clock.now()
    except ValueError:
        raise click.BadParameter("ISO-8601 형식으로 입력해주세요 (예: 2026-12-01T09:00:00+09:00)",
                                 param_hint="--now") from None
    results = periodic.tick(now, only=set(only) or None)
    click.echo(json.dumps({"now": clock.to_kst(now).isoformat(), "results": results}, ensure_ascii=False,
                          default=str))
    if any(isinstance(v, str) and v.startswith("error:") for v in results.values()):
        sys.exit(1)


@megabird.command("ledger-check")
def ledger_check_command():
    """REL-05: verify the money invariant for every account (and completed send).
    Exits non-zero naming the first violation."""
    problems = checks.invariant_violations(limit=1)
    if problems:
        click.echo(f"ledger-check FAILED: {problems[0]}", err=True)
        sys.exit(1)
    click.echo("ledger-check ok")


api_key = AppGroup("api-key", help="Integration API keys (API-01).")
megabird.add_command(api_key)


@api_key.command("create")
@click.argument("login")
@click.option("--name", default="CLI", show_default=True, help="a name to recognise the key by")
def api_key_create_command(login, name):
    """Create a key for the account of LOGIN (its API use must be approved); prints it once."""
    user = current_app.appbuilder.sm.find_user(username=login)
    account_id = account_id_for_user(user.id) if user else None
    if account_id is None:
        raise click.ClickException(f"{login}: 고객 계정이 있는 로그인이 아닙니다.")
    try:
        _key, plaintext = api_keys.create(account_id=account_id, name=name, now=clock.now())
    except MegabirdError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"api_key={plaintext}")


@megabird.command("sandbox-outbox")
@click.option("--to", "to", default=None, help="only messages to this number")
@click.option("--last", default=20, show_default=True, help="how many of the newest messages")
def sandbox_outbox_command(to, last):
    """What the sandbox carrier delivered (sign-up codes included)."""
    for m in reversed(SandboxGateway.outbox(to=digits_only(to) if to else None, last=last)):
        when = clock.to_kst(m.submitted_at).strftime("%Y-%m-%d %H:%M:%S")
        click.echo(f"{when}  {m.channel:<10} {m.sender} -> {m.recipient}  [{m.result_code or '-'}]  {m.text}")


@megabird.command("worker")
@click.option("--burst", is_flag=True, help="exit when the queues are empty")
@click.option("--log-level", default="WARNING", show_default=True,
              help="RQ's log level (INFO logs every job, the tick included)")
def worker_command(burst, log_level):
    """An RQ SimpleWorker (jobs run in this process) with RQ's scheduler. It first takes
    back the dispatch batches of dead workers of its host (the one it replaces, most
    often), without waiting for a tick to run on this host (REL-03)."""
    production.refuse_unsafe(current_app)
    recover_dead_claims()

    def work():
        worker = SimpleWorker(all_queues(), connection=redis_connection())
        worker.work(burst=burst, with_scheduler=True, logging_level=log_level.upper())
    keep_connected("worker", work, once=burst)


def recover_dead_claims() -> None:
    """Claims of dead processes of this host back to their gateway's answer, at start-up.
    A failure only delays them to the next tick on this host (or to the time cutoff)."""
    try:
        recovered = dispatch.recover_stale_claims(clock.now(), dead_owners_only=True)
    except Exception as exc:  # noqa: BLE001 - the worker must start; the tick does this too
        db.session.rollback()
        click.echo(f"megabird worker: claims of dead workers not recovered yet ({exc})", err=True)
        return
    if any(recovered.values()):
        click.echo(f"megabird worker: claims of dead workers recovered: {json.dumps(recovered)}", err=True)


@megabird.command("scheduler")
def scheduler_command():
    """Enqueue the tick every TICK_INTERVAL_SECONDS (RQ's cron scheduler)."""
    production.refuse_unsafe(current_app)
    interval = int(current_app.config["TICK_INTERVAL_SECONDS"])

    def schedule():
        cron = CronScheduler(connection=redis_connection(), name="megabird-tick")
        cron.register(run_tick, queue_name=queue("periodic").name, interval=interval, ttl=max(30, interval * 3),
                      result_ttl=60, failure_ttl=7 * 86400)
        cron.start()
    keep_connected("scheduler", schedule)


def keep_connected(what: str, run, *, once: bool = False, sleep=time.sleep):
    """Run `run` again whenever Redis goes away (REL-03, issue 13): the worker and the
    scheduler wait and reconnect with backoff (1 s doubling to 30 s) instead of exiting,
    which used to take the whole site down with them. `once`: a burst worker fails instead."""
    wait = 1.0
    while True:
        started = time.monotonic()
        try:
            return run()
        except (RedisConnectionError, RedisTimeoutError) as exc:
            if once:
                raise
            if time.monotonic() - started > 60:       # it ran a while: start the backoff again
                wait = 1.0
            click.echo(f"megabird {what}: Redis unavailable ({exc}); retrying in {wait:.0f} s", err=True)
            sleep(wait)
            wait = min(wait * 2, 30.0)


@megabird.command("smpp-connector")
@click.option("--log-level", default="WARNING", show_default=True)
def smpp_connector_command(log_level):
    """Hold the SMPP binds and hand the SMS gateway's messages to the SMSC (GW-03):
    run one or more of these (on any host) when GATEWAY_SMS=smpp."""
    production.refuse_unsafe(current_app)
    if current_app.config.get("GATEWAY_SMS") != "smpp":
        raise click.ClickException("GATEWAY_SMS is not smpp: the SMS gateway has no connector to run")
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    smpp_connector.main(current_app._get_current_object())


@megabird.command("local-smsc", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def local_smsc_command(args):
    """A local SMSC for trying GATEWAY_SMS=smpp (smpp34's server; results by the sandbox's
    magic last digits). Options: --port, --log, --receipt-delay, … (--help)."""
    smsc.main(list(args))


@megabird.command("check-config")
def check_config_command():
    """What production mode (MEGABIRD_ENV=production) would refuse, one line each; exit 1 if any."""
    found = production.problems(current_app.config)
    mode = "운영(production)" if production.is_production(current_app.config) else "개발(development)"
    click.echo(f"현재 모드: {mode}")
    if not found:
        click.echo("운영 모드에서 막을 설정이 없습니다.")
        return
    for line in found:
        click.echo(f"- {line}")
    raise SystemExit(1)


def register_cli(app: Flask) -> None:
    app.cli.add_command(megabird)
