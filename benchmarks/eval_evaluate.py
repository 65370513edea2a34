"""Does ``geo-heart evaluate`` hold a planted effect, and zero when there is none?

On the REAL Durham incident table (``[layers.calls]``), for several seeds:

* **planted**: pick a random set of city beats (as many as the pilot), remove a share of the
  targeted reports (binomial thinning, default 30%) in those beats from the start date on, and run
  the evaluation with ``--treated`` those beats: does the 95% interval hold the planted effect?
* **none**: the same random sets on the unchanged table: does the interval hold zero?

Prints coverage rates, mean estimates and interval widths, for the headline interval
(randomization inference) and the cluster-robust one. Usage::

    PYTHONPATH=. python benchmarks/eval_evaluate.py --seeds 20 --ri-draws 99
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--area", default="durham")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--ri-draws", type=int, default=99)
    ap.add_argument("--remove", type=float, default=0.3, help="share of targeted reports removed")
    ap.add_argument("--start", default="2022-06-27")
    ap.add_argument("--end", default="2023-10-22")
    args = ap.parse_args()

    import geo_heart as gh
    from geo_heart.analysis.evaluate import evaluate_calls
    from geo_heart.analysis.evaluate_design import city_beats, design_from_area, outcome_masks

    area = gh.Area.load(args.area)
    data = area.load_calls()
    frame = data.frame
    city = city_beats(area.config, list(area.beat_index.beats))
    base = design_from_area(area.config, list(area.beat_index.beats))
    k = len(base.treated)
    targeted, _ = outcome_masks(area.config, frame, base)
    start = np.datetime64(args.start)
    after = frame["local_time"].to_numpy(dtype="datetime64[ns]") >= start
    planted = -args.remove
    stats = {s: {"ri": [], "cl": [], "eff": [], "w": []} for s in ("planted", "none")}
    t0 = time.time()
    for seed in range(args.seeds):
        rng = np.random.default_rng(1000 + seed)
        beats = sorted(rng.choice(city, size=k, replace=False).tolist())
        in_set = frame["beat"].isin(beats).to_numpy()
        drop = targeted & in_set & after & (rng.random(len(frame)) < args.remove)
        thinned = dataclasses.replace(data, frame=frame.loc[~drop].reset_index(drop=True))
        for scenario, d, truth in (("planted", thinned, planted), ("none", data, 0.0)):
            r = evaluate_calls(
                area,
                d,
                treated=beats,
                start=args.start,
                end=args.end,
                ri_draws=args.ri_draws,
                boot_reps=0,
                seed=seed,
            )
            cl = r.inference["cluster"]["ci95"]
            s = stats[scenario]
            s["ri"].append(r.ci95[0] <= truth <= r.ci95[1])
            s["cl"].append(cl[0] <= truth <= cl[1])
            s["eff"].append(r.effect)
            s["w"].append(r.ci95[1] - r.ci95[0])
        print(
            f"seed {seed:2d}: beats {','.join(beats)}  planted {stats['planted']['eff'][-1]:+.3f}"
            f"  none {stats['none']['eff'][-1]:+.3f}  ({time.time() - t0:.0f} s)",
            flush=True,
        )
    print(
        f"\n{args.seeds} random sets of {k} of {len(city)} beats, window {args.start} to {args.end}"
    )
    for scenario, truth in (("planted", planted), ("none", 0.0)):
        s = stats[scenario]
        print(
            f"{scenario:8s} (truth {truth:+.2f}): headline ({r.ci_method}) interval holds it "
            f"{np.mean(s['ri']):.0%}, cluster-robust {np.mean(s['cl']):.0%}; mean estimate "
            f"{np.mean(s['eff']):+.3f}, mean width {np.mean(s['w']):.3f}"
        )


if __name__ == "__main__":
    main()
