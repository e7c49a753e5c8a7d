"""REL-02 soak: the fault scenario of tests/support/faults.py over many seeds — a real
worker process SIGKILLed at a seeded crash point during dispatch, report application
or settlement, restarted until the send completes. Prints one line per seed and a
summary counted over the seeds whose kill fired (a crash point the run never reached
proves nothing): sends completed, client references submitted twice (must be 0), ledger
problems (must be none).

    .venv/bin/python bench/soak_kill.py [--seeds 50] [--backends sqlite,postgresql] [--kinds sms,alimtalk,friendtalk]
"""
from __future__ import annotations

import argparse
import collections
import itertools
import sys

from _env import Environment


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--first", type=int, default=1000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--kinds", default="sms,alimtalk,friendtalk",
                        help="sms; alimtalk: an AlimTalk send with 대체문자 (its failures get a fallback SMS); "
                             "friendtalk: a 친구톡 (Brand Message) with its ad fallback")
    args = parser.parse_args()
    env = Environment()
    summary = []
    try:
        from tests.support.factories import approve_channel, make_customer, make_template
        from tests.support.faults import scenario
        for backend, kind in itertools.product(args.backends.split(","), args.kinds.split(",")):
            app = env.app(env.database_url(backend, f"soak_kill_{kind}"))
            customer = make_customer(app, kind="corporate", cash=100_000_000)
            template_id = channel = None
            if kind == "alimtalk":
                template_id = make_template(app, customer.account_id, approve_channel(app, customer.account_id, "@soak"),
                                            status="approved")
            elif kind == "friendtalk":
                approve_channel(app, customer.account_id, "@soak")
                channel = "@soak"
            with app.app_context():
                from app.extensions import db
                from app.models import Account
                db.session.get(Account, customer.account_id).daily_cap = 10_000_000
                db.session.commit()
            results = []
            for seed in range(args.first, args.first + args.seeds):
                outcome = scenario(app, customer.account_id, customer.phone, seed, template_id=template_id,
                                   channel=channel)
                results.append(outcome)
                print(f"{backend} {kind} seed {seed}: crash {outcome.crash:<28} kills {outcome.kills} "
                      f"rounds {outcome.rounds} {outcome.status} duplicates {outcome.duplicate_refs} "
                      f"fallbacks {outcome.fallbacks_final}/{outcome.fallbacks} "
                      f"ledger {'ok' if not outcome.ledger_problems else outcome.ledger_problems}", flush=True)
            fired = [o for o in results if o.kills]       # a seed whose crash point was never reached proves little
            points = collections.Counter(o.crash.split(":")[0] for o in fired)
            summary.append(f"{backend} {kind}: {len(fired)} of {len(results)} seeds killed a worker "
                           f"({sum(o.kills for o in fired)} kills: {dict(sorted(points.items()))}); of those, "
                           f"{sum(o.status == 'completed' for o in fired)} completed, "
                           f"{sum(o.duplicate_refs for o in fired)} duplicate refs, "
                           f"{sum(bool(o.ledger_problems) for o in fired)} ledger problems; all seeds: "
                           f"{sum(o.status == 'completed' for o in results)}/{len(results)} completed")
    finally:
        env.close()
    print("SUMMARY soak_kill: " + "; ".join(summary))


if __name__ == "__main__":
    sys.exit(main())
